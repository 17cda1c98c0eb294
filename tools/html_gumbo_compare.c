/*
 * Development tool (not built by Meson): compares the tree of lib/html with
 * libgumbo's on a set of pages and times both parsers. For every page the
 * text of the body in document order (script, style, noscript, template,
 * textarea, title, iframe, head excluded) is taken from both trees and
 * scored with th_score_page; pages below 0.995 are listed. Build:
 *   gcc -O2 -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L \
 *     -Iinclude -Ilib/html -Ilib/core tools/html_gumbo_compare.c \
 *     BUILD/lib/html/libth_html.a BUILD/lib/core/libth_core.a \
 *     -lgumbo -lutf8proc -lxxhash -lm -o html_gumbo_compare
 * (Debian libgumbo-dev). Run: html_gumbo_compare SET_DIR
 * Known difference: libgumbo parses <noscript> content as markup (scripting
 * off), lib/html as raw text (scripting on, as browsers with JavaScript).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <gumbo.h>
#include "html_internal.h"
static uint64_t cpu(void){struct timespec t;clock_gettime(CLOCK_THREAD_CPUTIME_ID,&t);return t.tv_sec*1000000000ull+t.tv_nsec;}
static char *rd(const char *p, size_t *n){FILE*f=fopen(p,"rb");if(!f)return NULL;fseek(f,0,SEEK_END);long l=ftell(f);fseek(f,0,SEEK_SET);char*b=malloc(l+1);*n=fread(b,1,l,f);b[*n]=0;fclose(f);return b;}
static struct th_buf gb, tb;
static int skiptag(GumboTag t){return t==GUMBO_TAG_SCRIPT||t==GUMBO_TAG_STYLE||t==GUMBO_TAG_NOSCRIPT||t==GUMBO_TAG_TEMPLATE||t==GUMBO_TAG_TEXTAREA||t==GUMBO_TAG_TITLE||t==GUMBO_TAG_IFRAME||t==GUMBO_TAG_HEAD||t==GUMBO_TAG_NOEMBED||t==GUMBO_TAG_NOFRAMES||t==GUMBO_TAG_XMP;}
static void gwalk(GumboNode*n){ if(n->type==GUMBO_NODE_TEXT||n->type==GUMBO_NODE_WHITESPACE||n->type==GUMBO_NODE_CDATA){th_buf_append(&gb,n->v.text.text,strlen(n->v.text.text));th_buf_putc(&gb,' ');return;}
 if(n->type==GUMBO_NODE_ELEMENT||n->type==GUMBO_NODE_DOCUMENT){ if(n->type==GUMBO_NODE_ELEMENT&&skiptag(n->v.element.tag))return; GumboVector*c=n->type==GUMBO_NODE_ELEMENT?&n->v.element.children:&n->v.document.children; for(unsigned i=0;i<c->length;i++)gwalk(c->data[i]);}}
static int tskip(unsigned t){return t==TH_TAG_SCRIPT||t==TH_TAG_STYLE||t==TH_TAG_NOSCRIPT||t==TH_TAG_TEMPLATE||t==TH_TAG_TEXTAREA||t==TH_TAG_TITLE||t==TH_TAG_IFRAME||t==TH_TAG_HEAD||t==TH_TAG_NOEMBED||t==TH_TAG_NOFRAMES||t==TH_TAG_XMP;}
static void twalk(struct th_html_parser*p,uint32_t n){struct th_html_node*x=&p->nodes[n]; if(x->tag==TH_TAG_TEXT){th_buf_append(&tb,x->text.ptr,x->text.len);th_buf_putc(&tb,' ');return;} if(x->tag!=TH_TAG_DOCUMENT&&tskip(x->tag))return; for(uint32_t c=x->first_child;c;c=p->nodes[c].next_sibling)twalk(p,c);}
int main(int argc,char**argv){
 DIR*d=opendir(argv[1]);struct dirent*e; uint64_t tg=0,tt=0; size_t bytes=0; int n=0; double sumf=0; struct th_arena*a; th_arena_new(&a,0,0); struct th_html_parser*p; th_html_parser_new(&p);
 th_buf_init(&gb,0);th_buf_init(&tb,0);
 while((e=readdir(d))){ if(e->d_name[0]=='.')continue; char path[4096]; snprintf(path,sizeof path,"%s/%s/source.html",argv[1],e->d_name); size_t len; char*h=rd(path,&len); if(!h)continue;
  struct th_slice u; th_html_decode((uint8_t*)h,len,(struct th_slice){0},a,&u,NULL,NULL);
  uint64_t t0=cpu(); GumboOutput*o=gumbo_parse_with_options(&kGumboDefaultOptions,u.ptr,u.len); uint64_t t1=cpu(); th_html_parse(p,u.ptr,u.len,a,NULL); uint64_t t2=cpu();
  tg+=t1-t0; tt+=t2-t1; bytes+=len; n++;
  th_buf_reset(&gb); th_buf_reset(&tb); gwalk(o->document); twalk(p,0);
  struct th_score_page sp; th_score_page(gb.ptr?gb.ptr:"",gb.len,tb.ptr?tb.ptr:"",tb.len,&sp); double P,R,F; th_score_page_prf(&sp,&P,&R,&F); sumf+=F;
  if(F<0.995) printf("%-30s F=%.4f P=%.4f R=%.4f\n",e->d_name,F,P,R);
  gumbo_destroy_output(&kGumboDefaultOptions,o); free(h); th_arena_reset(a);}
 printf("pages %d: mean text F1 vs gumbo %.4f; gumbo %.1f MB/s %.0f pages/s; thresh %.1f MB/s %.0f pages/s\n",n,sumf/n,bytes/1e3/(tg/1e6),n/(tg/1e9),bytes/1e3/(tt/1e6),n/(tt/1e9));
 return 0;}
