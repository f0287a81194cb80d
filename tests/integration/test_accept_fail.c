/* test_accept_fail.c - accept(2) failing for another reason than a want of
 * descriptors (ENOBUFS, through the LD_PRELOAD shim accept_enobufs): libuv
 * 1.44 calls back and would retry at once for as long as it fails, running
 * nothing else; the listener pauses instead (4 ms doubling up to 1 s), so
 * the loop's timers keep time while the failure lasts, and the connection
 * that waited is taken once accept succeeds; a client after it is answered
 * too, over a socket with the listener's TCP_NODELAY. The server says the failure once per 10 s and counts the rest, also
 * when it lasts past 10 s. A server closed during a pause leaves nothing
 * open. Over real TCP on 127.1.195.1 and 127.1.196.1-3. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ping_server.h"

#define ADDR "127.1.195.1"
#define ADDR_TIMERS "127.1.196.1"
#define ADDR_CLOSED "127.1.196.2"
#define ADDR_CLOSED2 "127.1.196.3"
#define SAID "Transport.Listen WARN Test Service: accept failed: "

/* the shim's count of the accepts it failed */
static long accepts_failed(void)
{
    long (*n)(void);
    *(void **)&n = dlsym(RTLD_DEFAULT, "sipc_test_accept_failed");
    if (!n)
        fail_msg("run with LD_PRELOAD=accept_enobufs's library (ctest does)");
    return n();
}

/* the next n accepts fail, each taking ms */
static void fail_accepts(long n, int ms)
{
    char v[32];
    snprintf(v, sizeof v, "%ld", accepts_failed() + n);
    assert_int_equal(setenv("SIPC_TEST_ACCEPT_ENOBUFS", v, 1), 0);
    snprintf(v, sizeof v, "%d", ms);
    assert_int_equal(setenv("SIPC_TEST_ACCEPT_ENOBUFS_MS", v, 1), 0);
}

/* accepts fail from now until ms from now, however many */
static void fail_accepts_for(unsigned ms)
{
    char v[32];
    snprintf(v, sizeof v, "%llu", (unsigned long long)(uv_hrtime() / 1000000 + ms));
    assert_int_equal(setenv("SIPC_TEST_ACCEPT_ENOBUFS_UNTIL", v, 1), 0);
}

/* p listening on addr, its accepts failing for ms from now, and a client
 * waiting in its queue: the client's descriptor; *before: the shim's count
 * before. */
static int open_failing(tu_ping_server *p, const char *addr, unsigned ms, long *before)
{
    tu_ping_server_open(p, addr);
    *before = accepts_failed();
    fail_accepts_for(ms);
    int fd = tu_tcp_connect(addr, addr, sipc_server_port(p->srv));
    assert_true(fd >= 0);
    return fd;
}

static uint64_t now_ms(void)
{
    return uv_hrtime() / 1000000;
}

typedef struct watched {
    sipc_server *srv;
    int accepted; /* the server took a connection on */
} watched;

static void on_watch(uv_timer_t *t)
{
    watched *w = t->data;
    sipc_server_stats st;
    assert_int_equal(sipc_server_stats_get(w->srv, &st), 0);
    w->accepted = st.accepted_total > 0;
}

/* Runs loop, cb(timer) every ms, until *flag or for at most limit_ms; 1
 * if *flag. */
static int run_watched(uv_loop_t *loop, uv_timer_cb cb, void *data, const int *flag,
                       unsigned limit_ms)
{
    uv_timer_t t;
    uv_timer_init(loop, &t);
    t.data = data;
    uv_timer_start(&t, cb, 1, 1);
    int r = tu_run_until(loop, flag, limit_ms);
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(loop, UV_RUN_NOWAIT); /* t is closed once this returns */
    return r;
}

static int count(const tu_log *l, const char *needle)
{
    int n = 0;
    for (const char *p = l->buf; p && (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* the number written just before the first after in the log, or -1 */
static long number_before(const tu_log *l, const char *after)
{
    const char *at = l->buf ? strstr(l->buf, after) : NULL;
    if (!at)
        return -1;
    const char *p = at;
    while (p > l->buf && p[-1] >= '0' && p[-1] <= '9')
        p--;
    return p < at ? strtol(p, NULL, 10) : -1;
}

static void t_said_once_then_accepting(void **state)
{
    (void)state;
    tu_ping_server p;
    tu_ping_server_open(&p, ADDR);
    long before = accepts_failed();
    fail_accepts(6, 0);
    assert_int_equal(tu_ping_call(&p, ADDR, 3000), 0); /* it waited through the 6 */
    assert_int_equal(accepts_failed() - before, 6);
    assert_int_equal(tu_ping_call(&p, ADDR, 3000), 0);
    sipc_server_stats st;
    assert_int_equal(sipc_server_stats_get(p.srv, &st), 0);
    assert_int_equal(st.accepted_total, 2);
    assert_int_equal(st.refused_total, 0); /* nothing was taken and closed */
    if (count(&p.log, SAID) != 1)
        fprintf(stderr, "%s", p.log.buf ? p.log.buf : "");
    assert_int_equal(count(&p.log, SAID), 1);
    assert_true(tu_log_has(&p.log, SAID "no buffer space available\n"));
    tu_ping_server_close(&p);
    const char *report = "Transport.Listen WARN 5 more like this in the last ";
    if (!tu_log_has(&p.log, report))
        fprintf(stderr, "%s", p.log.buf ? p.log.buf : "");
    assert_true(tu_log_has(&p.log, report));
    assert_true(tu_log_has(&p.log, " s: Test Service: accept failed: no buffer space available\n"));
    assert_int_equal(count(&p.log, "accept failed"), 2);
    tu_log_free(&p.log);
}

typedef struct fired {
    int done;
    uint64_t at; /* ms, uv_hrtime's clock */
} fired;

static void on_fired(uv_timer_t *t)
{
    fired *f = t->data;
    f->at = now_ms();
    f->done = 1;
}

/* Of this process's sockets accepted on port, how many lack TCP_NODELAY
 * (-1: there is none). */
static int accepted_without_nodelay(int port)
{
    int found = 0, without = 0;
    for (int fd = 3; fd < 1024; fd++) {
        struct sockaddr_in me, peer;
        socklen_t ml = sizeof me, pl = sizeof peer, ol = sizeof(int);
        int on = 0;
        if (getsockname(fd, (struct sockaddr *)&me, &ml) != 0 || me.sin_family != AF_INET ||
            ntohs(me.sin_port) != port || getpeername(fd, (struct sockaddr *)&peer, &pl) != 0 ||
            getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, &ol) != 0)
            continue;
        found++;
        without += !on;
    }
    return found ? without : -1;
}

/* Accepts fail for 1.5 s while a client waits: a timer of 100 ms fires on
 * time meanwhile (libuv's accept loop, left to retry, would hold it until
 * the failure ends), the listener tries again only a few times, and the
 * client is answered once accepts succeed. */
static void t_timers_run_while_accepts_fail(void **state)
{
    (void)state;
    tu_ping_server p;
    tu_ping_server_open(&p, ADDR_TIMERS);
    long before = accepts_failed();
    uint64_t start = now_ms();
    fail_accepts_for(1500);
    fired f = {0};
    uv_timer_t t;
    uv_timer_init(&p.loop, &t);
    t.data = &f;
    uv_timer_start(&t, on_fired, 100, 0);
    assert_int_equal(tu_ping_call(&p, ADDR_TIMERS, 6000), 0);
    uint64_t answered = now_ms();
    uv_close((uv_handle_t *)&t, NULL);
    assert_int_equal(unsetenv("SIPC_TEST_ACCEPT_ENOBUFS_UNTIL"), 0);
    long failed = accepts_failed() - before;
    fprintf(stderr, "timer after %llu ms, answered after %llu ms, %ld accepts failed\n",
            (unsigned long long)(f.at - start), (unsigned long long)(answered - start), failed);
    assert_true(f.done);
    assert_true(f.at - start < 700);
    assert_true(answered - start >= 1500); /* the call did wait for accept */
    /* 4 ms doubling: about 9 tries in 1.5 s (without pauses, millions) */
    assert_true(failed >= 2 && failed <= 30);
    sipc_server_stats st;
    assert_int_equal(sipc_server_stats_get(p.srv, &st), 0);
    assert_int_equal(st.accepted_total, 1);
    assert_int_equal(st.refused_total, 0);
    /* the socket watched again is the one listened on: its option holds */
    assert_int_equal(accepted_without_nodelay(sipc_server_port(p.srv)), 0);
    tu_ping_server_close(&p);
    tu_log_free(&p.log);
}

typedef struct failures {
    long from, n; /* the shim's count to start from, and how many more */
    int reached;
} failures;

static void on_failures(uv_timer_t *t)
{
    failures *f = t->data;
    f->reached = accepts_failed() - f->from >= f->n;
}

static int open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    int n = 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

/* Closes the server in the turn of the loop of the first failure, right
 * after it (check handles run after I/O): its listener's handle is still
 * closing for the pause. */
typedef struct closer {
    sipc_server *srv;
    long from; /* the shim's count before */
    int closed;
} closer;

static void on_check_close(uv_check_t *c)
{
    closer *k = c->data;
    if (!k->closed && accepts_failed() > k->from) {
        assert_int_equal(sipc_server_close(k->srv, NULL, NULL), 0);
        k->closed = 1;
    }
}

/* A server closed while its listener pauses (at_once: in the turn of the
 * first failure; else after three, as the pause's timer waits): the socket
 * kept by its duplicate is closed with it, the loop drains, and nothing
 * stays open. */
static void closed_during_pause(const char *addr, int at_once)
{
    int fds = open_fds();
    tu_ping_server p;
    long before;
    int fd = open_failing(&p, addr, 5000, &before);
    closer k = {.srv = p.srv, .from = before};
    uv_check_t check;
    failures f = {.from = before, .n = 3};
    if (at_once) {
        uv_check_init(&p.loop, &check);
        check.data = &k;
        uv_check_start(&check, on_check_close);
        assert_true(tu_run_until(&p.loop, &k.closed, 3000));
        uv_close((uv_handle_t *)&check, NULL);
    } else {
        assert_true(run_watched(&p.loop, on_failures, &f, &f.reached, 3000));
    }
    tu_ping_server_close(&p); /* aborts if the loop does not drain */
    assert_int_equal(unsetenv("SIPC_TEST_ACCEPT_ENOBUFS_UNTIL"), 0);
    close(fd);
    assert_int_equal(open_fds(), fds);
    tu_log_free(&p.log);
}

static void t_closed_during_pause(void **state)
{
    (void)state;
    closed_during_pause(ADDR_CLOSED, 1);
    closed_during_pause(ADDR_CLOSED2, 0);
}

/* the numbers written just before each needle in the log, summed */
static long sum_before(const tu_log *l, const char *needle)
{
    long sum = 0;
    for (const char *at = l->buf; at && (at = strstr(at, needle)); at += strlen(needle)) {
        const char *p = at;
        while (p > l->buf && p[-1] >= '0' && p[-1] <= '9')
            p--;
        if (p < at)
            sum += strtol(p, NULL, 10);
    }
    return sum;
}

/* Accepts fail for 12 s: the count of the first 10 s is said while the
 * failure lasts (the context's timer runs), and every failure is said or
 * counted. */
static void t_lasting_said_again(void **state)
{
    (void)state;
    tu_ping_server p;
    long before;
    int fd = open_failing(&p, ADDR, 12000, &before);
    watched w = {.srv = p.srv};
    assert_true(run_watched(&p.loop, on_watch, &w, &w.accepted, 20000));
    assert_int_equal(unsetenv("SIPC_TEST_ACCEPT_ENOBUFS_UNTIL"), 0);
    const char *report = " more like this in the last ";
    if (count(&p.log, report) < 1)
        fprintf(stderr, "%s", p.log.buf ? p.log.buf : "");
    assert_true(count(&p.log, report) >= 1);
    /* 8 tries in the first second, then one a second */
    long held = number_before(&p.log, report);
    assert_true(held >= 12 && held <= 20);
    assert_int_equal(tu_ping_call(&p, ADDR, 3000), 0);
    close(fd);
    tu_ping_server_close(&p); /* the context writes what it still holds */
    long failed = accepts_failed() - before;
    long logged = count(&p.log, SAID) + sum_before(&p.log, report);
    if (logged != failed)
        fprintf(stderr, "%ld failed\n%s", failed, p.log.buf);
    assert_int_equal(logged, failed);
    tu_log_free(&p.log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_said_once_then_accepting),
        cmocka_unit_test(t_timers_run_while_accepts_fail),
        cmocka_unit_test(t_closed_during_pause),
        cmocka_unit_test(t_lasting_said_again),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
