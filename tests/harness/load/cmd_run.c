/* cmd_run.c - `sipc-load run --count N`: start, drain, verify and report in
 * the foreground. */
#include <stdio.h>
#include <stdlib.h>

#include "load.h"

int cmd_run(void *arg)
{
    const load_opts *o = arg;
    if (o->count <= 0)
        return load_fail(SIPC_EXIT_USAGE, "run needs --count N (see sipc-load run --help)");
    load_setup *su = calloc(1, sizeof *su);
    if (!su)
        return SIPC_EXIT_SOFTWARE;
    int rc = load_prepare(o, su);
    if (rc == 0) {
        load_log_open(su->paths.log);
        load_ledger lg = {-1, 0};
        rc = load_begin(o, su, &lg);
        if (rc == 0) {
            load_send_conf conf = {&su->c, su->nodes, su->nnodes, o->rate, 0, o->deadline,
                                   o->batch, o->reconnect, (uint64_t)o->count, -1, &lg, su->run};
            rc = load_send(&conf);
            load_ledger_close(&lg);
            if (rc == SIPC_EXIT_UNAVAILABLE)
                load_fail(rc, "no pipeline could be reached (see %s)", su->paths.log);
        }
        if (rc == SIPC_EXIT_CANTCREAT)
            load_fail(rc, "%s cannot be written (%s): sending stopped there, and a run whose "
                          "ledger misses events cannot be verified (see %s)",
                      su->paths.ledger, lg.failed ? sipc_strerror(lg.failed) : "see the log",
                      su->paths.log);
        load_report r;
        if (rc == 0)
            rc = load_verify_and_report(o, &su->c, &su->paths, &r);
        /* always: a run that lost records or ended in errors is no success */
        if (rc == 0)
            rc = load_report_check(&r, stderr);
    }
    free(su);
    return rc;
}
