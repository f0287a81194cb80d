/* running_line.h - what the sipcd running from this home runs now, said by
 * the commands that change the home's files without reloading that sipcd
 * (import; enable, mode and disable without --reload), so that the step
 * does not read as in effect there. */
#ifndef SIPC_TLSTOOL_RUNNING_LINE_H
#define SIPC_TLSTOOL_RUNNING_LINE_H

#include <jansson.h>

#include "services/tlstool/tlstool.h"

/* What runs from a home. */
typedef enum {
    HOME_RUN_CLIENT,  /* a client-only home (services/common/client_home.h) */
    HOME_RUN_NONE,    /* a node's home that no sipcd runs from */
    HOME_RUN_MODE,    /* a sipcd runs from it, in a mode known */
    HOME_RUN_UNKNOWN  /* a sipcd may run from it, its mode not known */
} home_run;

/* "running": the node running from this home, asked of it as `tlstool
 * status` asks (cmd_status.c); warnings gets what to do when it differs
 * from sipc.conf. */
json_t *running_json(const opts *o, const sipc_config *cfg, const char *own_fp,
                     json_t *warnings);

/* Prints one "running:" line (none for a client-only home) and returns
 * which of home_run this home is, the mode in *mode ("off", "permissive",
 * "strict") for HOME_RUN_MODE. until: what the step waits for there ("until
 * it reloads or restarts"). */
home_run say_running(const opts *o, const sipc_config *cfg, const char *until,
                     const char **mode);

#endif
