/*
 * The "pii" stage: redacts e-mail addresses, public IP addresses and phone
 * numbers in doc->text (th_pii_redact) and records how many of each it
 * replaced in the metadata member "pii" ({"email":N,...}; only when
 * something was found). Configuration: pii.mode = placeholder | fake,
 * pii.email, pii.ip, pii.phone (booleans, default true).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "thresh/filter.h"
#include "thresh/stage.h"
#include "../core/banned.h"

static int pii_create(void **state_out, void *shared,
                      const struct th_config *cfg, struct th_error *err)
{
    struct th_pii_opts *o = malloc(sizeof(*o));
    if (!o)
        return th_error_set(err, TH_ENOMEM, "out of memory");
    th_pii_opts_init(o);
    const char *mode = th_config_get(cfg, "pii.mode");
    int rc = 0;
    if (mode && !strcmp(mode, "fake"))
        o->mode = TH_PII_FAKE;
    else if (mode && strcmp(mode, "placeholder"))
        rc = th_error_set(err, TH_EINVAL, "unknown pii.mode '%s' "
                          "(placeholder, fake)", mode);
    bool ip = true;
    if (rc == 0)
        rc = th_config_get_bool(cfg, "pii.email", true,
                                &o->kinds[TH_PII_EMAIL], err);
    if (rc == 0)
        rc = th_config_get_bool(cfg, "pii.ip", true, &ip, err);
    if (rc == 0)
        rc = th_config_get_bool(cfg, "pii.phone", true,
                                &o->kinds[TH_PII_PHONE], err);
    if (rc < 0) {
        free(o);
        return rc;
    }
    o->kinds[TH_PII_IPV4] = o->kinds[TH_PII_IPV6] = ip;
    *state_out = o;
    return 0;
}

static int pii_process(void *state, struct th_doc *doc,
                       struct th_arena *arena, struct th_error *err)
{
    const struct th_pii_opts *o = state;
    size_t counts[TH_PII_N_KINDS];
    struct th_slice out;
    int rc = th_pii_redact(o, doc->text.ptr, doc->text.len, arena, &out,
                           counts, err);
    if (rc < 0)
        return rc;
    if (out.ptr == doc->text.ptr)
        return 0;
    doc->text = out;
    char json[160];
    snprintf(json, sizeof(json),
             "{\"email\":%zu,\"ipv4\":%zu,\"ipv6\":%zu,\"phone\":%zu}",
             counts[TH_PII_EMAIL], counts[TH_PII_IPV4], counts[TH_PII_IPV6],
             counts[TH_PII_PHONE]);
    return th_doc_set_meta_json(doc, arena, "pii", json, strlen(json));
}

static void pii_destroy(void *state)
{
    free(state);
}

const struct th_stage_type th_stage_pii = {
    .name = "pii",
    .summary = "redact e-mail addresses, public IPs and phone numbers",
    .flags = TH_STAGE_TEXT_ONLY,
    .shared_new = NULL,
    .shared_free = NULL,
    .create = pii_create,
    .process = pii_process,
    .process_serial = NULL,
    .destroy = pii_destroy,
};
