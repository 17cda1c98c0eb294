/* Umbrella header: everything public in libthresh. */
#ifndef THRESH_THRESH_H
#define THRESH_THRESH_H

#include "thresh/core.h"
#include "thresh/config.h"
#include "thresh/doc.h"
#include "thresh/stage.h"

#endif
