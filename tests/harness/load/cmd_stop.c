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
        rc = load_verify_and_report(o, c, &p, NULL);
    }
    free(c);
    return rc;
}
