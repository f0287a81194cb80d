/* test_accept_fail.c - accept(2) failing for another reason than a want of
 * descriptors (ENOBUFS, through the LD_PRELOAD shim accept_enobufs): libuv
 * 1.44 calls back and retries at once for as long as it fails, so the
 * server says it once per 10 s and counts the rest, and the connection that
 * waited is taken once accept succeeds; a client after it is answered too.
 * A failure that lasts past 10 s is said again with its count, though the
 * loop's clock stands still meanwhile (a raw client waits through it: a
 * channel of the stalled loop would itself find its peer silent). Over real
 * TCP on 127.1.195.1. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ping_server.h"

#define ADDR "127.1.195.1"
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
    fail_accepts(300, 0);
    assert_int_equal(tu_ping_call(&p, ADDR, 3000), 0); /* it waited through the 300 */
    assert_int_equal(accepts_failed() - before, 300);
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
    const char *report = "Transport.Listen WARN 299 more like this in the last ";
    if (!tu_log_has(&p.log, report))
        fprintf(stderr, "%s", p.log.buf ? p.log.buf : "");
    assert_true(tu_log_has(&p.log, report));
    assert_true(tu_log_has(&p.log, " s: Test Service: accept failed: no buffer space available\n"));
    assert_int_equal(count(&p.log, "accept failed"), 2);
    tu_log_free(&p.log);
}

/* 110 failures of 100 ms each: libuv's accept loop keeps the loop's clock
 * still for 11 s, yet the line comes again after 10 s with its count. */
static void t_lasting_said_again(void **state)
{
    (void)state;
    tu_ping_server p;
    tu_ping_server_open(&p, ADDR);
    fail_accepts(110, 100);
    int fd = tu_tcp_connect(ADDR, ADDR, sipc_server_port(p.srv));
    assert_true(fd >= 0);
    watched w = {.srv = p.srv};
    uv_timer_t watch;
    uv_timer_init(&p.loop, &watch);
    watch.data = &w;
    uv_timer_start(&watch, on_watch, 5, 5);
    assert_true(tu_run_until(&p.loop, &w.accepted, 20000));
    uv_close((uv_handle_t *)&watch, NULL);
    assert_int_equal(tu_ping_call(&p, ADDR, 3000), 0);
    close(fd);
    if (count(&p.log, SAID) != 2)
        fprintf(stderr, "%s", p.log.buf ? p.log.buf : "");
    assert_int_equal(count(&p.log, SAID), 2);
    /* about 10 s of 100 ms failures after the first, in 10 or 11 s (rounded up) */
    long held = number_before(&p.log, " more like it in the 1");
    assert_true(held >= 90 && held <= 100);
    tu_ping_server_close(&p);
    /* those after it, as the context closes: every failure is counted */
    long after = number_before(&p.log, " more like this in the last ");
    if (1 + held + 1 + after != 110)
        fprintf(stderr, "%s", p.log.buf);
    assert_int_equal(1 + held + 1 + after, 110);
    tu_log_free(&p.log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_said_once_then_accepting),
        cmocka_unit_test(t_lasting_said_again),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
