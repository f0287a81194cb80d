/* cmd_stop.c - `sipc-load stop`: stop the generator, let it drain, verify
 * what it acknowledged, write and print the report, and exit as its check
 * says. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "load.h"

#define SAY_EVERY_MS 5000 /* a progress line while the drain lasts */

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Asks the generator to stop and waits up to timeout_s for it to drain,
 * saying every few seconds what it still holds. A pid file whose process is
 * gone (a generator killed, or one that stopped on a ledger it could not
 * write) is said and removed: the replay then finds the ledger without its
 * last line. */
/* A generator that ends removes its pid file; one still there names a
 * generator that was killed or died. */
static void say_stale_pid(const load_paths *p)
{
    FILE *f = fopen(p->pid, "re");
    long stale = 0;
    if (!f)
        return;
    if (fscanf(f, "%ld", &stale) != 1)
        stale = 0;
    fclose(f);
    fprintf(stderr, "sipc-load: no generator runs in %s: its pid file names pid %ld, "
                    "which is gone (it was killed, or it died): its pid file removed\n",
            p->dir, stale);
    remove(p->pid);
}

static void stop_generator(const load_paths *p, int timeout_s)
{
    long pid = load_running_pid(p);
    if (!pid) {
        say_stale_pid(p);
        return;
    }
    kill((pid_t)pid, SIGTERM);
    for (long waited = 0; waited < (long)timeout_s * 1000; waited += 50) {
        /* a generator SIGKILLed just before may still read as running
         * while the kernel tears it down: gone with its pid file left */
        if (kill((pid_t)pid, 0) != 0) {
            say_stale_pid(p);
            return;
        }
        if (waited && waited % SAY_EVERY_MS == 0) {
            uint64_t out = 0;
            char held[64] = "";
            if (load_ledger_outstanding(p->ledger, &out) == 0)
                snprintf(held, sizeof held, ", %" PRIu64 " record(s) outstanding", out);
            fprintf(stderr, "sipc-load: draining: the generator (pid %ld) still runs%s; "
                            "SIGKILL in %ld s (--timeout)\n",
                    pid, held, ((long)timeout_s * 1000 - waited + 999) / 1000);
        }
        sleep_ms(50);
    }
    fprintf(stderr, "sipc-load: the generator (pid %ld) did not drain within %d s: killed; its "
                    "records still outstanding count as pending\n", pid, timeout_s);
    kill((pid_t)pid, SIGKILL);
    for (int i = 0; i < 100 && kill((pid_t)pid, 0) == 0; i++)
        sleep_ms(20);
    remove(p->pid);
}

int cmd_stop(void *arg)
{
    const load_opts *o = arg;
    char err[1200], dir[512];
    if (load_dir_resolve(o, dir) != 0)
        return SIPC_EXIT_CONFIG;
    load_cluster *c = calloc(1, sizeof *c);
    if (!c)
        return SIPC_EXIT_SOFTWARE;
    load_paths p;
    int rc = 0;
    if (load_cluster_read(c, dir, err, sizeof err) != 0)
        rc = load_fail(SIPC_EXIT_CONFIG, "%s", err);
    else if (load_paths_make(&p, dir, 0, err, sizeof err) != 0)
        rc = load_fail(SIPC_EXIT_CONFIG, "%s", err);
    if (rc == 0) {
        load_log_open(p.log);
        stop_generator(&p, o->timeout);
        load_report r;
        rc = load_verify_and_report(o, c, &p, &r);
        /* what --check says, always: `stop && echo PASS` must not pass a run
         * that lost records, ended in errors or has no whole ledger (a node
         * that could not be asked keeps its 69) */
        if (rc == 0 || rc == SIPC_EXIT_UNAVAILABLE) {
            int check = load_report_check(&r, stderr);
            if (rc == 0)
                rc = check;
        }
    }
    free(c);
    return rc;
}
