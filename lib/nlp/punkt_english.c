/*
 * punkt_english.c: placeholder parameter set (empty); replaced by the
 * generated one.
 */
#include "nlp_internal.h"
#include "banned.h"

const struct nlp_punkt_params nlp_punkt_english = {0};
