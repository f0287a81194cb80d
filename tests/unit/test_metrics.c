/* test_metrics.c - the Prometheus text format and the HTTP /metrics
 * endpoint, with a plain TCP client on 127.0.0.1. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "metrics_http.h"
#include "prom.h"
#include "sipc/errno.h"

static char *render(void (*fn)(FILE *))
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    assert_non_null(fp);
    fn(fp);
    fclose(fp);
    return buf;
}

static void some_metrics(FILE *out)
{
    sipc_prom_family(out, "sipc_handshake_failures_total", SIPC_PROM_COUNTER,
                     "TLS handshakes refused, by reason");
    const char *l1[] = {"service", "data", "reason", "peer said \"no\"\nbye\\", NULL};
    sipc_prom_sample(out, "sipc_handshake_failures_total", l1, 3);
    sipc_prom_family(out, "sipc_cert_not_after_seconds", SIPC_PROM_GAUGE,
                     "expiry of this node's certificate, Unix time");
    sipc_prom_sample(out, "sipc_cert_not_after_seconds", NULL, 1798761600);
    sipc_prom_sample(out, "sipc_ratio", NULL, 0.25);
}

static void text_format(void **state)
{
    (void)state;
    char *t = render(some_metrics);
    assert_string_equal(t, "# HELP sipc_handshake_failures_total TLS handshakes refused, by reason\n"
                           "# TYPE sipc_handshake_failures_total counter\n"
                           "sipc_handshake_failures_total{service=\"data\",reason=\"peer said "
                           "\\\"no\\\"\\nbye\\\\\"} 3\n"
                           "# HELP sipc_cert_not_after_seconds expiry of this node's certificate, "
                           "Unix time\n"
                           "# TYPE sipc_cert_not_after_seconds gauge\n"
                           "sipc_cert_not_after_seconds 1798761600\n"
                           "sipc_ratio 0.25\n");
    free(t);
}

/* A TCP connection to host:port (IPv4, or IPv6 "::1") from src (NULL:
 * any address); its reads wait at most secs. */
static int dial(const char *host, const char *src, int port, int secs)
{
    struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port)};
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    int v6 = inet_pton(AF_INET6, host, &a6.sin6_addr) == 1;
    int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct timeval tv = {secs, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (src) {
        struct sockaddr_in s = {.sin_family = AF_INET};
        inet_pton(AF_INET, src, &s.sin_addr);
        assert_int_equal(bind(fd, (struct sockaddr *)&s, sizeof s), 0);
    }
    if (v6) {
        assert_int_equal(connect(fd, (struct sockaddr *)&a6, sizeof a6), 0);
    } else {
        inet_pton(AF_INET, host, &a.sin_addr);
        assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    }
    return fd;
}

/* How the endpoint treats a connection that sends nothing: 0 when it
 * closed it (end of file) within the read's wait, 1 while it holds it. */
static int held(int fd)
{
    char c;
    ssize_t n = read(fd, &c, 1);
    assert_true(n <= 0);
    return n < 0;
}

/* One HTTP/1.0 exchange with host:port from src; returns the whole
 * response (malloc'd), "" when none came within secs. */
static char *http_at(const char *host, const char *src, int port, const char *request, int secs)
{
    int fd = dial(host, src, port, secs);
    assert_int_equal(write(fd, request, strlen(request)), (ssize_t)strlen(request));
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap);
    ssize_t n;
    while (len < cap - 1 && (n = read(fd, buf + len, cap - 1 - len)) > 0)
        len += (size_t)n;
    buf[len] = '\0';
    close(fd);
    return buf;
}

static char *http(int port, const char *request)
{
    return http_at("127.0.0.1", NULL, port, request, 5);
}

static void endpoint(void **state)
{
    (void)state;
    sipc_metrics_http *h;
    char err[256];
    assert_int_equal(sipc_metrics_http_start(&h, "127.0.0.1", 0, err, sizeof err), 0);
    int port = sipc_metrics_http_port(h);
    assert_true(port > 0);
    char *r = http(port, "GET /metrics HTTP/1.0\r\n\r\n");
    assert_non_null(strstr(r, "200 OK"));
    free(r);
    char *t = render(some_metrics);
    assert_int_equal(sipc_metrics_http_publish(h, t, strlen(t)), 0);
    r = http(port, "GET /metrics HTTP/1.0\r\n\r\n");
    assert_non_null(strstr(r, "200 OK"));
    assert_non_null(strstr(r, "text/plain; version=0.0.4"));
    assert_non_null(strstr(r, "sipc_cert_not_after_seconds 1798761600\n"));
    free(r);
    free(t);
    r = http(port, "GET /other HTTP/1.0\r\n\r\n");
    assert_non_null(strstr(r, "404"));
    free(r);
    r = http(port, "POST /metrics HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc");
    assert_non_null(strstr(r, "405"));
    free(r);
    sipc_metrics_http_stop(h);
}

/* One host holding idle connections (more than the old limit of 16 for
 * all) does not shut another out: each address gets a few. On the test's
 * own loopback block, 127.1.114.x. */
static void idle_crowd(void **state)
{
    (void)state;
    sipc_metrics_http *h;
    char err[256];
    assert_int_equal(sipc_metrics_http_start(&h, "127.1.114.3", 0, err, sizeof err), 0);
    int port = sipc_metrics_http_port(h);
    enum { CROWD = 20 };
    int idle[CROWD];
    for (int i = 0; i < CROWD; i++)
        idle[i] = dial("127.1.114.3", "127.1.114.80", port, 5);
    /* answered at once, not once the idle ones time out (5 s) */
    char *r = http_at("127.1.114.3", "127.1.114.81", port, "GET /metrics HTTP/1.0\r\n\r\n", 2);
    assert_non_null(strstr(r, "200 OK"));
    free(r);
    for (int i = 0; i < CROWD; i++)
        close(idle[i]);
    sipc_metrics_http_stop(h);
}

/* The limit per host the sweep gives (4) is the one in force: that many
 * connections are held, the next is closed at once; a closed one frees its
 * place. Over IPv6 (::1) as over IPv4. */
static void per_host_cap(const char *bind_host, const char *host, const char *src)
{
    sipc_metrics_http *h;
    char err[256];
    assert_int_equal(sipc_metrics_http_start(&h, bind_host, 0, err, sizeof err), 0);
    int port = sipc_metrics_http_port(h);
    sipc_metrics_http_counts c;
    sipc_metrics_http_sweep(h, &c);
    assert_int_equal(c.refused, 0);
    int fd[16];
    assert_true(c.per_host >= 1 && c.per_host <= 16);
    for (unsigned i = 0; i < c.per_host; i++)
        fd[i] = dial(host, src, port, 1);
    int fifth = dial(host, src, port, 1);
    assert_int_equal(held(fifth), 0);
    close(fifth);
    sipc_metrics_http_sweep(h, &c);
    assert_int_equal(c.refused, 1); /* counted for the node's warning */
    assert_int_equal(held(fd[0]), 1);
    close(fd[0]);
    /* the close reaches the endpoint's thread asynchronously: a bounded wait */
    char *r = NULL;
    for (int tries = 0; tries < 50; tries++) {
        r = http_at(host, src, port, "GET /metrics HTTP/1.0\r\n\r\n", 2);
        if (strstr(r, "200 OK"))
            break;
        free(r);
        r = NULL;
        usleep(20000);
    }
    assert_non_null(r);
    free(r);
    for (unsigned i = 1; i < c.per_host; i++)
        close(fd[i]);
    sipc_metrics_http_stop(h);
}

static void cap_ipv4(void **state)
{
    (void)state;
    per_host_cap("127.1.125.3", "127.1.125.3", "127.1.125.80");
}

static void cap_ipv6(void **state)
{
    (void)state;
    int probe = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 lo = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    int ok = probe >= 0 && bind(probe, (struct sockaddr *)&lo, sizeof lo) == 0;
    if (probe >= 0)
        close(probe);
    if (!ok)
        skip(); /* no IPv6 loopback here */
    per_host_cap("::1", "::1", NULL);
}

/* A connection that sends no request is closed within a few seconds (the
 * slot is not held for the whole idle time), one that sent a request is
 * kept for the idle time. */
static void silent_closed(void **state)
{
    (void)state;
    sipc_metrics_http *h;
    char err[256];
    assert_int_equal(sipc_metrics_http_start(&h, "127.1.125.4", 0, err, sizeof err), 0);
    int port = sipc_metrics_http_port(h);
    int fd = dial("127.1.125.4", NULL, port, 4);
    struct timeval t0, t1;
    gettimeofday(&t0, NULL);
    assert_int_equal(held(fd), 0); /* closed before the 4 s read wait ends */
    gettimeofday(&t1, NULL);
    close(fd);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_usec - t0.tv_usec) / 1e6;
    assert_true(secs < 4.0);
    sipc_metrics_http_stop(h);
}

/* Sends head at once, then slow a byte every 250 ms, until the endpoint
 * closes the connection (at most the whole of slow); the sweep runs after
 * each byte. Returns the seconds until the close, -1 when it never came;
 * *overdue: the sweep's count then. */
static double trickle(sipc_metrics_http *h, int port, const char *head, const char *slow,
                      uint64_t *overdue)
{
    int fd = dial("127.1.125.5", NULL, port, 1);
    if (head[0])
        assert_int_equal(write(fd, head, strlen(head)), (ssize_t)strlen(head));
    struct timeval t0, t1;
    gettimeofday(&t0, NULL);
    int closed = 0;
    sipc_metrics_http_counts counts = {0};
    for (size_t i = 0; slow[i] && !closed; i++) {
        if (write(fd, slow + i, 1) != 1)
            break; /* closed under the write */
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 250) == 1) {
            char c;
            closed = read(fd, &c, 1) <= 0;
        }
        sipc_metrics_http_sweep(h, &counts);
    }
    gettimeofday(&t1, NULL);
    close(fd);
    assert_int_equal(counts.refused, 0);
    *overdue = counts.overdue;
    if (!closed)
        return -1;
    return (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_usec - t0.tv_usec) / 1e6;
}

/* A request sent a byte at a time is never idle, so libmicrohttpd's own
 * timeouts never close it: the sweep does, once it is 5 s overdue, and
 * counts it; so does a GET whose body comes a byte at a time after whole
 * headers (nothing is answered before the body is in). A connection that
 * sent its request is answered and not counted. */
static void trickle_closed(void **state)
{
    (void)state;
    sipc_metrics_http *h;
    char err[256];
    assert_int_equal(sipc_metrics_http_start(&h, "127.1.125.5", 0, err, sizeof err), 0);
    int port = sipc_metrics_http_port(h);
    char *r = http_at("127.1.125.5", NULL, port, "GET /metrics HTTP/1.0\r\n\r\n", 2);
    assert_non_null(strstr(r, "200 OK"));
    free(r);
    char body[80];
    memset(body, 'b', sizeof body - 1);
    body[sizeof body - 1] = '\0';
    uint64_t overdue = 0;
    double secs = trickle(h, port, "",
                          "GET /metrics HTTP/1.1\r\nHost: slow.example\r\nUser-Agent: trickle\r\n",
                          &overdue);
    if (secs < 0)
        fail_msg("a request whose headers trickled was not closed");
    assert_true(secs >= 4.5);
    assert_int_equal(overdue, 1);
    secs = trickle(h, port, "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 79\r\n\r\n", body,
                   &overdue);
    if (secs < 0)
        fail_msg("a GET whose body trickled was not closed");
    assert_true(secs >= 4.5);
    assert_int_equal(overdue, 2);
    sipc_metrics_http_stop(h);
}

/* sipcd's WARN names the limits the counts carry, never numbers of its
 * own: limits unlike the endpoint's (7 per host, 100 at most, 2.5 s) read
 * as such; the sweep's are the ones docs/configuration.md gives for
 * [metrics] (64, 4 from one host, 5 s). */
static void held_text(void **state)
{
    (void)state;
    sipc_metrics_http_counts c = {.refused = 3, .overdue = 2, .max_connections = 100,
                                  .per_host = 7, .deadline_ms = 2500};
    char line[768];
    sipc_metrics_http_held_text(line, sizeof line, "127.1.135.1:9", &c);
    assert_string_equal(line, "http://127.1.135.1:9/metrics: 3 connection(s) refused because "
                              "their host held 7 already, 2 closed for not sending a whole "
                              "request within 2.5 s (since the last such line): a host is "
                              "holding the endpoint's connections (100 at most, 7 per host, "
                              "an IPv6 /64 counting as one), and scrapes from elsewhere may "
                              "fail while it does");
    sipc_metrics_http *h;
    char err[256];
    assert_int_equal(sipc_metrics_http_start(&h, "127.1.135.1", 0, err, sizeof err), 0);
    sipc_metrics_http_sweep(h, &c);
    sipc_metrics_http_stop(h);
    assert_int_equal(c.per_host, 4);
    assert_int_equal(c.max_connections, 64);
    assert_int_equal(c.deadline_ms, 5000);
    sipc_metrics_http_held_text(line, sizeof line, "127.1.135.1:9", &c);
    assert_non_null(strstr(line, "held 4 already, 0 closed for not sending a whole request "
                                 "within 5 s"));
    assert_non_null(strstr(line, "(64 at most, 4 per host,"));
}

static void bad_address(void **state)
{
    (void)state;
    sipc_metrics_http *h;
    char err[256];
    assert_int_equal(sipc_metrics_http_start(&h, "metrics.example", 9323, err, sizeof err),
                     SIPC_ECONFIG);
    assert_non_null(strstr(err, "not a numeric"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(text_format),
        cmocka_unit_test(endpoint),
        cmocka_unit_test(idle_crowd),
        cmocka_unit_test(cap_ipv4),
        cmocka_unit_test(cap_ipv6),
        cmocka_unit_test(silent_closed),
        cmocka_unit_test(trickle_closed),
        cmocka_unit_test(held_text),
        cmocka_unit_test(bad_address),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
