/* cmd_report.c - `sipc-load report`: the report of the last verified run
 * (DIR/load/report.json), or the counters replayed from the ledger while a
 * generator runs or when it was never verified. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "load.h"

int cmd_report(void *arg)
{
    const load_opts *o = arg;
    char err[1200], dir[512];
    load_paths p;
    if (load_dir_resolve(o, dir) != 0)
        return SIPC_EXIT_CONFIG;
    if (load_paths_make(&p, dir, 0, err, sizeof err) != 0)
        return load_fail(SIPC_EXIT_CONFIG, "%s", err);
    long pid = load_running_pid(&p);
    load_report r;
    struct stat sb;
    if (!pid && stat(p.report, &sb) == 0) {
        if (load_report_read(&r, p.report, err, sizeof err) != 0)
            return load_fail(SIPC_EXIT_SOFTWARE, "%s", err);
    } else {
        /* no destination mapping is needed for counting */
        load_state st;
        load_state_init(&st);
        int e = load_state_read(&st, p.ledger, NULL, err, sizeof err);
        if (e != 0) {
            load_state_free(&st);
            return load_fail(e == SIPC_ENOTCONN ? SIPC_EXIT_CONFIG : SIPC_EXIT_SOFTWARE,
                             "no run in %s: %s", p.dir, err);
        }
        load_report_from_state(&r, &st, pid != 0);
        load_state_free(&st);
    }
    load_report_print(stdout, &r, o->json);
    return o->check ? load_report_check(&r, stderr) : 0;
}
