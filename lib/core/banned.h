/*
 * Functions that must not be used in thresh: unbounded string copies and
 * locale-dependent or non-reentrant calls [git banned.h]. Included last in
 * every lib/ file so a use is a compile error.
 */
#ifndef THRESH_BANNED_H
#define THRESH_BANNED_H

#define TH_BANNED(func) sorry_##func##_is_banned_in_thresh

#undef strcpy
#define strcpy(x, y) TH_BANNED(strcpy)
#undef strcat
#define strcat(x, y) TH_BANNED(strcat)
#undef sprintf
#define sprintf(...) TH_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) TH_BANNED(vsprintf)
#undef gets
#define gets(x) TH_BANNED(gets)
#undef strtok
#define strtok(x, y) TH_BANNED(strtok)
#undef asctime
#define asctime(x) TH_BANNED(asctime)
#undef ctime
#define ctime(x) TH_BANNED(ctime)
#undef localtime
#define localtime(x) TH_BANNED(localtime)
#undef gmtime
#define gmtime(x) TH_BANNED(gmtime)

#endif
