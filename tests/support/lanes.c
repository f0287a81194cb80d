/* lanes.c - see lanes.h. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lanes.h"

#define LANES_MAX 16

typedef struct lane_out {
    int fd;         /* the read end of its stdout and stderr; -1 at EOF */
    pid_t pid;      /* -1: not started */
    size_t len;
    char buf[4096];
} lane_out;

static void emit(const tu_lane *l, lane_out *o, size_t len)
{
    printf("[%s] %.*s\n", l->name, (int)len, o->buf);
    fflush(stdout);
    o->len -= len;
    memmove(o->buf, o->buf + len, o->len);
}

/* Writes out the whole lines o holds (everything at EOF or when full). */
static void emit_lines(const tu_lane *l, lane_out *o, int all)
{
    char *nl;
    while ((nl = memchr(o->buf, '\n', o->len)) != NULL) {
        emit(l, o, (size_t)(nl - o->buf));
        o->len--; /* the newline */
        memmove(o->buf, o->buf + 1, o->len);
    }
    if (o->len && (all || o->len == sizeof o->buf))
        emit(l, o, o->len);
}

static void run_child(const tu_lane *l, int out, pid_t parent)
{
    /* a test that times out kills this process: its lanes go with it */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(1);
    if (dup2(out, STDOUT_FILENO) < 0 || dup2(out, STDERR_FILENO) < 0)
        _exit(1);
    close(out);
    /* cmocka writes results to stdout and failures to stderr: one order */
    setvbuf(stdout, NULL, _IOLBF, 0);
    int fails = _cmocka_run_group_tests(l->name, l->tests, l->n, l->setup, NULL);
    exit(fails ? 1 : 0);
}

int tu_run_lanes(const tu_lane *lanes, size_t n)
{
    static lane_out out[LANES_MAX];
    int failed = 0;
    if (n > LANES_MAX)
        return (int)n;
    fflush(NULL); /* nothing buffered is written twice by the children */
    pid_t self = getpid();
    for (size_t i = 0; i < n; i++) {
        int p[2];
        out[i] = (lane_out){.fd = -1, .pid = -1};
        if (pipe(p) != 0)
            continue;
        out[i].pid = fork();
        if (out[i].pid == 0) {
            close(p[0]);
            for (size_t j = 0; j < i; j++)
                if (out[j].fd >= 0)
                    close(out[j].fd);
            run_child(&lanes[i], p[1], self);
        }
        close(p[1]);
        if (out[i].pid < 0)
            close(p[0]);
        else
            out[i].fd = p[0];
    }
    for (;;) {
        struct pollfd pf[LANES_MAX];
        size_t idx[LANES_MAX], np = 0;
        for (size_t i = 0; i < n; i++)
            if (out[i].fd >= 0) {
                pf[np] = (struct pollfd){.fd = out[i].fd, .events = POLLIN};
                idx[np++] = i;
            }
        if (np == 0)
            break;
        if (poll(pf, np, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (size_t k = 0; k < np; k++) {
            if (!pf[k].revents)
                continue;
            lane_out *o = &out[idx[k]];
            ssize_t r = read(o->fd, o->buf + o->len, sizeof o->buf - o->len);
            if (r < 0 && errno == EINTR)
                continue;
            if (r > 0)
                o->len += (size_t)r;
            emit_lines(&lanes[idx[k]], o, r <= 0);
            if (r <= 0) {
                close(o->fd);
                o->fd = -1;
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        int st;
        if (out[i].pid < 0) {
            printf("[%s] could not be started\n", lanes[i].name);
            failed++;
            continue;
        }
        while (waitpid(out[i].pid, &st, 0) < 0 && errno == EINTR)
            ;
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            if (WIFSIGNALED(st))
                printf("[%s] killed by signal %d\n", lanes[i].name, WTERMSIG(st));
            failed++;
        }
    }
    return failed;
}
