/* cmd_start.c - `sipc-load start`: detach a generator (double fork, new
 * session) and return once it has reached a pipeline, or say why not. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "load.h"

#define READY_WAIT_MS 20000 /* the generator answers within its own 15 s */

/* The detached generator: never returns. */
static void generator(const load_opts *o, load_setup *su, int ready_fd)
{
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    int log = open(su->paths.log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (null >= 0)
        dup2(null, STDIN_FILENO);
    if (log >= 0) {
        dup2(log, STDOUT_FILENO);
        dup2(log, STDERR_FILENO);
    }
    if (chdir("/") != 0)
        _exit(SIPC_EXIT_SOFTWARE);
    load_log_open(su->paths.log);
    FILE *pf = fopen(su->paths.pid, "we");
    if (!pf || fprintf(pf, "%ld\n", (long)getpid()) < 0 || fclose(pf) != 0) {
        load_log("ERROR", "%s: cannot write the pid file", su->paths.pid);
        ssize_t w = write(ready_fd, "internal: cannot write the pid file\n", 36);
        (void)w;
        _exit(SIPC_EXIT_SOFTWARE);
    }
    load_ledger lg = {-1, 0};
    int rc = load_begin(o, su, &lg);
    if (rc == 0) {
        load_send_conf conf = {&su->c, su->nodes, su->nnodes, o->rate, o->duration, o->deadline,
                               o->batch, o->reconnect, 0, ready_fd, &lg, su->run};
        rc = load_send(&conf);
    } else {
        char msg[700];
        int n = snprintf(msg, sizeof msg, "%s: %s: %s\n",
                         rc == SIPC_EXIT_CANTCREAT ? "ledger" : "config", su->paths.ledger,
                         rc == SIPC_EXIT_CANTCREAT ? "cannot be written" : "cannot be opened");
        ssize_t w = write(ready_fd, msg, n > 0 && (size_t)n < sizeof msg ? (size_t)n : 0);
        (void)w;
    }
    load_ledger_close(&lg);
    remove(su->paths.pid);
    load_log("INFO", "generator exits (%d)", rc);
    _exit(rc);
}

int cmd_start(void *arg)
{
    const load_opts *o = arg;
    load_setup *su = calloc(1, sizeof *su);
    if (!su)
        return SIPC_EXIT_SOFTWARE;
    int rc = load_prepare(o, su);
    if (rc != 0) {
        free(su);
        return rc;
    }
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        free(su);
        return load_fail(SIPC_EXIT_SOFTWARE, "pipe: %s", strerror(errno));
    }
    fflush(NULL);
    pid_t child = fork();
    if (child < 0) {
        free(su);
        return load_fail(SIPC_EXIT_SOFTWARE, "fork: %s", strerror(errno));
    }
    if (child == 0) {
        close(fds[0]);
        setsid();
        pid_t g = fork();
        if (g != 0)
            _exit(g < 0 ? SIPC_EXIT_SOFTWARE : 0);
        umask(022);
        generator(o, su, fds[1]);
    }
    close(fds[1]);
    int status;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR)
        ;
    char msg[1400] = "";
    size_t have = 0;
    struct pollfd pfd = {fds[0], POLLIN, 0};
    /* bounded: the generator answers within its own limit, and poll's */
    while (have < sizeof msg - 1 && poll(&pfd, 1, READY_WAIT_MS) > 0) {
        ssize_t n = read(fds[0], msg + have, sizeof msg - 1 - have);
        if (n <= 0)
            break;
        have += (size_t)n;
        msg[have] = '\0';
        if (strchr(msg, '\n'))
            break;
    }
    close(fds[0]);
    char *nl = strchr(msg, '\n');
    if (nl)
        *nl = '\0';
    if (!strcmp(msg, "ok")) {
        printf("sipc-load: run %s started (pid %ld): ledger %s, log %s\n", su->run,
               load_running_pid(&su->paths), su->paths.ledger, su->paths.log);
        rc = 0;
    } else if (!strncmp(msg, "unreachable: ", 13)) {
        rc = load_fail(SIPC_EXIT_UNAVAILABLE, "%s", msg + 13);
    } else if (!strncmp(msg, "config: ", 8)) {
        rc = load_fail(SIPC_EXIT_CONFIG, "%s", msg + 8);
    } else if (!strncmp(msg, "ledger: ", 8)) {
        rc = load_fail(SIPC_EXIT_CANTCREAT, "%s (see %s)", msg + 8, su->paths.log);
    } else {
        rc = load_fail(SIPC_EXIT_SOFTWARE, "the generator did not start%s%s (see %s)",
                       msg[0] ? ": " : "", msg, su->paths.log);
    }
    free(su);
    return rc;
}
