/*
 * Where the built-in language-ID model lives: a colon-separated list of
 * candidate paths that the build passes in (installed copy first, then the
 * source tree). A bare `cc -c lib/langid/langid.c` gets the relative path
 * models/langid-thresh.ftz, found when run from the source root.
 */
#ifndef THRESH_LANGID_MODEL_PATH_H
#define THRESH_LANGID_MODEL_PATH_H

#ifndef TH_LANGID_MODEL_PATHS
#define TH_LANGID_MODEL_PATHS "models/langid-thresh.ftz"
#endif

#endif
