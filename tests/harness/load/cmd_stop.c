/* cmd_stop.c - `sipc-load stop`: stop the generator, let it drain, verify
 * what it acknowledged, write and print the report. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "load.h"

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Asks the generator to stop and waits up to timeout_s for it to drain. */
static void stop_generator(const load_paths *p, int timeout_s)
{
    long pid = load_running_pid(p);
    if (!pid)
        return;
    kill((pid_t)pid, SIGTERM);
    for (long waited = 0; waited < (long)timeout_s * 1000; waited += 50) {
        if (kill((pid_t)pid, 0) != 0)
            return;
        sleep_ms(50);
    }
    fprintf(stderr, "sipc-load: the generator (pid %ld) did not drain within %d s: killed; its "
                    "records still outstanding count as pending\n", pid, timeout_s);
    kill((pid_t)pid, SIGKILL);
    for (int i = 0; i < 100 && kill((pid_t)pid, 0) == 0; i++)
        sleep_ms(20);
    remove(p->pid);
}

int load_verify_and_report(const load_opts *o, const load_cluster *c, const load_paths *p,
                           load_report *out)
{
    char err[1200];
    load_state st;
    load_state_init(&st);
    int e = load_state_read(&st, p->ledger, c, err, sizeof err);
    if (e != 0) {
        load_state_free(&st);
        return load_fail(e == SIPC_ENOTCONN ? LOAD_EXIT_USAGE : LOAD_EXIT_INTERNAL,
                         "no run to verify: %s", err);
    }
    load_ledger lg = {-1};
    if (load_ledger_open(&lg, p->ledger, err, sizeof err) != 0) {
        load_state_free(&st);
        return load_fail(LOAD_EXIT_CONFIG, "%s", err);
    }
    load_report r;
    int rc = load_verify(&st, c, &lg, o->timeout, &r);
    load_ledger_close(&lg);
    load_state_free(&st);
    if (rc != 0 && rc != LOAD_EXIT_UNAVAILABLE)
        return rc;
    if (load_report_write(&r, p->report, err, sizeof err) != 0)
        return load_fail(LOAD_EXIT_INTERNAL, "%s", err);
    load_report_print(stdout, &r, o->json);
    if (out)
        *out = r;
    return rc;
}

int cmd_stop(void *arg)
{
    const load_opts *o = arg;
    char err[1200], dir[512];
    if (!realpath(o->dir, dir))
        return load_fail(LOAD_EXIT_CONFIG, "%s: %s", o->dir, strerror(errno));
    load_cluster *c = calloc(1, sizeof *c);
    if (!c)
        return LOAD_EXIT_INTERNAL;
    load_paths p;
    int rc = 0;
    if (load_cluster_read(c, dir, err, sizeof err) != 0)
        rc = load_fail(LOAD_EXIT_CONFIG, "%s", err);
    else if (load_paths_make(&p, dir, 0, err, sizeof err) != 0)
        rc = load_fail(LOAD_EXIT_CONFIG, "%s", err);
    if (rc == 0) {
        load_log_open(p.log);
        stop_generator(&p, o->timeout);
        rc = load_verify_and_report(o, c, &p, NULL);
    }
    free(c);
    return rc;
}
