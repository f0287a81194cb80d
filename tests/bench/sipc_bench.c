/* sipc_bench.c - sipc's side of the peer benchmark kit (shared/bench-peers).
 *
 *   sipc-bench server PORT plain|tls [CERT KEY]
 *   sipc-bench client PORT plain|tls SIZE WINDOW SECS WARMUP [CERT KEY] [conns=N]
 *   sipc-bench handshakes|hs PORT SECS CERT KEY [WARMUP [full|resume]]
 *   sipc-bench --help
 *
 * Written only against the public API (sipc/sipc.h).
 *
 * server: listens on 127.0.0.1:PORT (0 picks a free port) with an ordinary
 *   registered handler, service "bench" method "echo", which answers every
 *   request with its own payload through sipc_respond(). tls: TLS 1.2 mutual
 *   auth, sipc_security_from_pem(SIPC_TLS_STRICT, CERT, KEY): CERT is presented
 *   and is the only trust anchor. Prints "READY port=N" once listening; runs
 *   until SIGTERM or SIGINT, then closes the context and exits 0.
 *
 * client: one channel to 127.0.0.1:PORT. The clock starts only once the
 *   channel reports SIPC_CONN_UP (TCP connect, TLS handshake and hello are not
 *   measured). WINDOW calls bench.echo are kept in flight: every completion is
 *   checked (length and every byte; a mismatch exits 2) and replaced at once by
 *   a new call. WARMUP seconds unmeasured, then SECS measured (uv timers switch
 *   the phases). Payload byte i = (i * 131 + 7) mod 256. Prints exactly one line
 *   on stdout, in the kit's format:
 *     RESULT peer=sipc mode=plain|tls key=ecdsa|rsa|none size=SIZE window=WINDOW
 *            conns=1 secs=SECS reqs=N rps=R mbps=M p50_us=A p99_us=B p999_us=C
 *            max_us=D
 *   reqs = calls completed inside the measured window, rps = reqs / SECS,
 *   mbps = rps * SIZE / 1e6 (payload returned, one direction), latency = time
 *   from sipc_call() to its callback, nearest-rank percentiles over every
 *   counted call; up to 4 KiB payloads the clock is read once per loop
 *   iteration (all replies of one iteration share it), as the kit's uv
 *   client reads it once per read. key is guessed from CERT's file name
 *   ("rsa" in it -> rsa).
 *   conns=N (not in the kit's contract): N channels, each one connection with
 *   WINDOW calls in flight, all in this one process and loop; the clock
 *   starts when all are up and the figures are the aggregate.
 *
 * handshakes: mutual-TLS handshakes per second against a running
 *   "sipc-bench server PORT tls CERT KEY": open a channel, wait for
 *   SIPC_CONN_UP, close it, repeat, one at a time. WARMUP (default 0.5 s, as
 *   the kit's wolf_hs) unmeasured, then SECS measured. full (the default):
 *   session resumption off, every handshake is a full one (as s_time -new);
 *   resume: every reconnection offers the session of the previous one.
 *   Prints
 *     RESULT peer=sipc phase=hs kind=full|resume key=ecdsa|rsa secs=SECS
 *            handshakes=N resumed=M rate=R p50_us=A p99_us=B
 *   latency = sipc_channel_open() -> SIPC_CONN_UP (TCP connect + TLS handshake
 *   + sipc hello).
 *
 * Exit status: 0 ok, 1 runtime failure, 2 payload mismatch, 3 the context did
 * not close within 5 s after the result was printed, 64 bad usage.
 * Library log lines go to stderr at WARN and above; SIPC_BENCH_LOG=debug|info|
 * warn|error changes that. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uv.h>

#include "sipc/node.h"

#define EXIT_RUNTIME 1
#define EXIT_MISMATCH 2
#define EXIT_USAGE 64

#define BENCH_SERVICE "bench"
#define BENCH_METHOD "echo"
#define CALL_TIMEOUT_MS 30000u
#define CONNECT_TIMEOUT_MS 10000u /* channel must be up within this */
#define CLOSE_TIMEOUT_MS 5000u    /* context must close within this */
#define MAX_SIZE (16u * 1024u * 1024u - 64u * 1024u) /* below the default max_frame */
#define MAX_WINDOW 65536
#define MAX_CONNS 4096
#define MAX_SECS 86400.0

static const char *prog = "sipc-bench";

/* ----------------------------------------------------------------- usage */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: %s server PORT plain|tls [CERT KEY]\n"
            "       %s client PORT plain|tls SIZE WINDOW SECS WARMUP [CERT KEY] [conns=N]\n"
            "       %s handshakes|hs PORT SECS CERT KEY [WARMUP [full|resume]]\n"
            "       %s --help | --version\n"
            "\n"
            "server      listen on 127.0.0.1:PORT (0 = any free port, printed as READY port=N)\n"
            "            and echo calls to bench.echo until SIGTERM/SIGINT.\n"
            "client      one channel (conns=N: N channels, one connection each), WINDOW\n"
            "            calls of SIZE bytes in flight on each, WARMUP s unmeasured then\n"
            "            SECS s measured; prints one RESULT line (all connections together).\n"
            "handshakes  mTLS handshakes/s against a running tls server (open a channel,\n"
            "            wait until up, close; repeat); WARMUP default 0.5 s; full (default):\n"
            "            no session resumption; resume: each reconnection resumes the last\n"
            "            session (TLS 1.2 session ticket).\n"
            "tls mode needs CERT and KEY (PEM); the certificate is presented and is\n"
            "the only trust anchor. Exit: 0 ok, 1 failure, 2 payload mismatch, 3 no clean\n"
            "close after the result, 64 usage.\n"
            "SIPC_BENCH_LOG=debug|info|warn|error sets the library log level (default warn).\n"
            "Built with %s.\n",
            prog, prog, prog, prog, sipc_version_string());
}

static void __attribute__((noreturn, format(printf, 1, 2))) bad_usage(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (try '%s --help')\n", prog);
    exit(EXIT_USAGE);
}

static void __attribute__((noreturn, format(printf, 1, 2))) fail(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(EXIT_RUNTIME);
}

static long parse_long(const char *what, const char *s, long lo, long hi)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        bad_usage("%s must be an integer in [%ld, %ld], not '%s'", what, lo, hi, s);
    return v;
}

static double parse_secs(const char *what, const char *s, int allow_zero)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= 0.0) || v > MAX_SECS || (!allow_zero && v == 0.0))
        bad_usage("%s must be a number of seconds %s 0 and <= %.0f, not '%s'", what,
                  allow_zero ? ">=" : ">", MAX_SECS, s);
    return v;
}

static int parse_mode(const char *s)
{
    if (strcmp(s, "plain") == 0)
        return 0;
    if (strcmp(s, "tls") == 0)
        return 1;
    bad_usage("mode must be 'plain' or 'tls', not '%s'", s);
}

/* "rsa" when the certificate's file name says so, else "ecdsa" (as the kit). */
static const char *key_type(const char *cert)
{
    const char *base = strrchr(cert, '/');
    base = base ? base + 1 : cert;
    return strstr(base, "rsa") ? "rsa" : "ecdsa";
}

/* ------------------------------------------------------------- logging */

static sipc_log_level log_min = SIPC_LOG_WARN;

static void log_init(void)
{
    const char *v = getenv("SIPC_BENCH_LOG");
    if (!v || !*v)
        return;
    if (strcmp(v, "debug") == 0)
        log_min = SIPC_LOG_DEBUG;
    else if (strcmp(v, "info") == 0)
        log_min = SIPC_LOG_INFO;
    else if (strcmp(v, "warn") == 0)
        log_min = SIPC_LOG_WARN;
    else if (strcmp(v, "error") == 0)
        log_min = SIPC_LOG_ERROR;
    else
        bad_usage("SIPC_BENCH_LOG must be debug, info, warn or error, not '%s'", v);
}

static void bench_log(void *arg, sipc_log_level level, const char *category, const char *msg)
{
    (void)arg;
    if (level < log_min)
        return;
    fprintf(stderr, "%s: %s %s %s\n", prog, sipc_log_level_name(level), category, msg);
}

/* ------------------------------------------------------- time, samples */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

typedef struct samples {
    uint64_t *v;
    size_t n, cap;
} samples;

static void samples_add(samples *s, uint64_t ns)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 65536;
        uint64_t *nv = realloc(s->v, cap * sizeof *nv);
        if (!nv)
            fail("out of memory for latency samples");
        s->v = nv;
        s->cap = cap;
    }
    s->v[s->n++] = ns;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void samples_sort(samples *s)
{
    if (s->n)
        qsort(s->v, s->n, sizeof *s->v, cmp_u64);
}

/* Nearest rank over sorted samples, in microseconds (the kit's definition). */
static double pct_us(const samples *s, double p)
{
    if (s->n == 0)
        return 0.0;
    size_t idx = (size_t)(p * (double)(s->n - 1) + 0.5);
    return (double)s->v[idx] / 1000.0;
}

static double max_us(const samples *s)
{
    return s->n ? (double)s->v[s->n - 1] / 1000.0 : 0.0;
}

static uint64_t secs_to_ns(double s)
{
    return (uint64_t)(s * 1e9 + 0.5);
}

/* uv timers count whole milliseconds; round up so a phase is never short. */
static uint64_t ns_to_timer_ms(uint64_t ns)
{
    return (ns + 999999u) / 1000000u;
}

/* ------------------------------------------------------------ security */

static sipc_security *make_security(int tls, const char *cert, const char *key)
{
    sipc_security *sec = NULL;
    char err[512] = "";
    int rc;
    if (tls)
        rc = sipc_security_from_pem(&sec, SIPC_TLS_STRICT, cert, key, err, sizeof err);
    else
        rc = sipc_security_plain(&sec);
    if (rc < 0)
        fail("security: %s%s%s", sipc_strerror(rc), err[0] ? ": " : "", err);
    return sec;
}

static sipc_ctx *make_ctx(uv_loop_t *loop, const char *node_id, sipc_security *sec)
{
    sipc_options opts;
    sipc_ctx *ctx = NULL;
    sipc_options_init(&opts);
    opts.node_id = node_id;
    opts.log = bench_log;
    opts.log_arg = NULL;
    opts.log_level = log_min; /* what bench_log drops is not even formatted */
    int rc = sipc_ctx_new(&ctx, loop, &opts, sec);
    if (rc < 0)
        fail("sipc_ctx_new: %s", sipc_strerror(rc));
    return ctx;
}

/* An error while dialing that a redial will not cure (wrong cert, TLS where
 * plaintext is expected, ...): give up at once instead of waiting. */
static int fatal_dial_error(int err)
{
    switch (sipc_err_classify(err)) {
    case SIPC_CLASS_TLS:
    case SIPC_CLASS_AUTH:
    case SIPC_CLASS_PROTOCOL:
    case SIPC_CLASS_USAGE:
        return 1;
    default:
        return 0;
    }
}

static void on_handle_closed(uv_handle_t *h)
{
    (void)h;
}

/* --------------------------------------------------------------- server */

static struct {
    uv_loop_t *loop;
    sipc_ctx *ctx;
    sipc_server *srv;
    uv_signal_t sigterm, sigint;
    int closing;
} sv;

static void echo_handler(sipc_request *req, void *arg)
{
    size_t len = 0;
    const void *data = sipc_request_data(req, &len);
    (void)arg;
    int rc = sipc_respond(req, data, len);
    /* ECLOSED: the client went away mid-call, normal at the end of a run. */
    if (rc < 0 && rc != SIPC_ECLOSED)
        fprintf(stderr, "%s: sipc_respond: %s\n", prog, sipc_strerror(rc));
}

static void sv_on_ctx_closed(sipc_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    sv.ctx = NULL;
}

static void sv_on_signal(uv_signal_t *h, int signum)
{
    (void)h;
    if (sv.closing)
        return;
    sv.closing = 1;
    fprintf(stderr, "%s: signal %d, closing\n", prog, signum);
    uv_close((uv_handle_t *)&sv.sigterm, on_handle_closed);
    uv_close((uv_handle_t *)&sv.sigint, on_handle_closed);
    sipc_ctx_close(sv.ctx, sv_on_ctx_closed, NULL); /* closes the server too */
}

static int run_server(int argc, char **argv)
{
    if (argc < 4)
        bad_usage("server needs PORT and plain|tls");
    int port = (int)parse_long("PORT", argv[2], 0, 65535);
    int tls = parse_mode(argv[3]);
    if (tls && argc != 6)
        bad_usage("server PORT tls needs CERT and KEY");
    if (!tls && argc != 4)
        bad_usage("server PORT plain takes no further arguments");

    sv.loop = uv_default_loop();
    sipc_security *sec = make_security(tls, tls ? argv[4] : NULL, tls ? argv[5] : NULL);
    sv.ctx = make_ctx(sv.loop, "bench-server", sec);
    sipc_security_release(sec); /* the context holds its own reference */

    sipc_router *router = NULL;
    int rc = sipc_router_new(&router);
    if (rc < 0)
        fail("sipc_router_new: %s", sipc_strerror(rc));
    rc = sipc_router_add(router, BENCH_SERVICE, BENCH_METHOD, echo_handler, NULL);
    if (rc < 0)
        fail("sipc_router_add: %s", sipc_strerror(rc));
    rc = sipc_server_listen(&sv.srv, sv.ctx, "Bench Service", "127.0.0.1", port, router);
    if (rc < 0)
        fail("listen on 127.0.0.1:%d: %s", port, sipc_strerror(rc));

    uv_signal_init(sv.loop, &sv.sigterm);
    uv_signal_init(sv.loop, &sv.sigint);
    uv_signal_start(&sv.sigterm, sv_on_signal, SIGTERM);
    uv_signal_start(&sv.sigint, sv_on_signal, SIGINT);

    printf("READY port=%d mode=%s\n", sipc_server_port(sv.srv), tls ? "tls" : "plain");
    fflush(stdout);

    uv_run(sv.loop, UV_RUN_DEFAULT);
    if (sv.ctx)
        fail("event loop ended before the context closed");
    sipc_router_free(router);
    rc = uv_loop_close(sv.loop);
    if (rc < 0)
        fprintf(stderr, "%s: uv_loop_close: %s (handles left open)\n", prog, sipc_strerror(rc));
    return 0;
}

/* --------------------------------------------------------------- client */

enum { PH_CONNECTING, PH_WARMUP, PH_MEASURE, PH_DONE };

typedef struct slot {
    uint64_t t_issue;
    sipc_channel *ch; /* the connection this slot's calls go over */
} slot;

static struct {
    uv_loop_t *loop;
    sipc_ctx *ctx;
    sipc_channel **chs; /* conns channels, one connection each */
    int conns, nup;
    int tls, port;
    uint64_t t_open;
    const char *key;
    size_t size;
    int window; /* per connection */
    double secs, warmup;
    unsigned char *payload;
    slot *slots;
    int phase;
    uint64_t t0, t1; /* measured window, CLOCK_MONOTONIC ns */
    samples lat;
    uv_timer_t connect_timer, phase_timer, close_timer;
    uv_prepare_t clock_reset;
    uint64_t clock_now; /* valid while clock_read: this loop iteration's time */
    int clock_read;
    int ctx_closed;
} cl;

/* The time of a reply: read once per loop iteration, so every reply of that
 * iteration's reads (of all connections) gets the same time, as the kit's uv
 * client reads it once per read and once per batch of sends. A payload over
 * 4 KiB reads the clock for itself: its own check takes long enough to
 * count. */
static uint64_t cl_clock(void)
{
    if (cl.size > 4096)
        return now_ns();
    if (!cl.clock_read) {
        cl.clock_now = now_ns();
        cl.clock_read = 1;
    }
    return cl.clock_now;
}

/* before the loop waits for I/O: what comes after the wait reads the clock
 * again */
static void cl_on_clock_reset(uv_prepare_t *h)
{
    (void)h;
    cl.clock_read = 0;
}

static void cl_issue(slot *s, uint64_t now);

static void cl_report(void)
{
    samples_sort(&cl.lat);
    double rps = (double)cl.lat.n / cl.secs;
    printf("RESULT peer=sipc mode=%s key=%s size=%zu window=%d conns=%d secs=%.3f "
           "reqs=%zu rps=%.1f mbps=%.2f p50_us=%.1f p99_us=%.1f p999_us=%.1f "
           "max_us=%.1f\n",
           cl.tls ? "tls" : "plain", cl.key, cl.size, cl.window, cl.conns, cl.secs, cl.lat.n, rps,
           rps * (double)cl.size / 1e6, pct_us(&cl.lat, 0.50), pct_us(&cl.lat, 0.99),
           pct_us(&cl.lat, 0.999), max_us(&cl.lat));
    fflush(stdout);
}

static void cl_on_ctx_closed(sipc_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    cl.ctx_closed = 1;
    uv_close((uv_handle_t *)&cl.close_timer, on_handle_closed);
}

static void cl_on_close_timeout(uv_timer_t *t)
{
    (void)t;
    fprintf(stderr, "%s: the context did not close within %u ms\n", prog, CLOSE_TIMEOUT_MS);
    exit(3);
}

/* End of the run: close everything; pending calls fail with SIPC_ECANCELED,
 * which cl_on_reply ignores from now on. */
static void cl_finish(void)
{
    if (cl.phase == PH_DONE)
        return;
    cl.phase = PH_DONE;
    uv_timer_stop(&cl.phase_timer);
    uv_close((uv_handle_t *)&cl.phase_timer, on_handle_closed);
    uv_prepare_stop(&cl.clock_reset);
    uv_close((uv_handle_t *)&cl.clock_reset, on_handle_closed);
    uv_timer_stop(&cl.connect_timer);
    uv_close((uv_handle_t *)&cl.connect_timer, on_handle_closed);
    uv_timer_start(&cl.close_timer, cl_on_close_timeout, CLOSE_TIMEOUT_MS, 0);
    sipc_ctx_close(cl.ctx, cl_on_ctx_closed, NULL);
}

static void cl_on_reply(int err, const sipc_reply *reply, void *arg)
{
    slot *s = arg;
    if (cl.phase == PH_DONE)
        return; /* canceled by the close at the end, or late */
    uint64_t now = cl_clock();
    if (err != 0)
        fail("call %s.%s failed: %s (%s)%s%s", BENCH_SERVICE, BENCH_METHOD, sipc_strerror(err),
             sipc_err_name(err), reply->message && reply->message[0] ? ": " : "",
             reply->message ? reply->message : "");
    if (reply->len != cl.size || (cl.size && memcmp(reply->data, cl.payload, cl.size) != 0)) {
        fprintf(stderr, "%s: payload mismatch: sent %zu bytes, got %zu%s\n", prog, cl.size,
                reply->len, reply->len == cl.size ? " with different content" : "");
        exit(EXIT_MISMATCH);
    }
    if (cl.phase == PH_MEASURE && now >= cl.t0 && now <= cl.t1)
        samples_add(&cl.lat, now - s->t_issue);
    if (cl.phase == PH_MEASURE && now > cl.t1)
        return; /* the measured window is over: issue nothing more */
    /* the reply's time starts the next call, unless checking a large payload
     * took long enough to count */
    cl_issue(s, cl.size <= 4096 ? now : now_ns());
}

/* now: the issue time (the caller's reading of the clock) */
static void cl_issue(slot *s, uint64_t now)
{
    s->t_issue = now;
    int rc = sipc_call(s->ch, BENCH_SERVICE, BENCH_METHOD, cl.payload, cl.size, CALL_TIMEOUT_MS,
                       cl_on_reply, s);
    if (rc < 0)
        fail("sipc_call: %s (%s)", sipc_strerror(rc), sipc_err_name(rc));
}

static void cl_on_measure_end(uv_timer_t *t)
{
    uint64_t now = now_ns();
    if (now < cl.t1) { /* the loop clock is in whole ms: wait the rest */
        uv_timer_start(t, cl_on_measure_end, ns_to_timer_ms(cl.t1 - now), 0);
        return;
    }
    cl_report();
    cl_finish();
}

static void cl_start_measure(void)
{
    cl.phase = PH_MEASURE;
    cl.t0 = now_ns();
    cl.t1 = cl.t0 + secs_to_ns(cl.secs);
    uv_timer_start(&cl.phase_timer, cl_on_measure_end, ns_to_timer_ms(cl.t1 - cl.t0), 0);
}

static void cl_on_warmup_end(uv_timer_t *t)
{
    (void)t;
    cl_start_measure();
}

/* Polled while connecting: a failed dial is not reported through the conn
 * callback (the channel just redials), so look at its last error. */
static void check_dial(sipc_channel *ch, int port, uint64_t t_open)
{
    int e = sipc_channel_last_error(ch);
    if (e && fatal_dial_error(e))
        fail("cannot connect to 127.0.0.1:%d: %s (%s)", port, sipc_strerror(e),
             sipc_err_name(e));
    if (now_ns() - t_open >= (uint64_t)CONNECT_TIMEOUT_MS * 1000000u)
        fail("channel to 127.0.0.1:%d not up after %u ms%s%s", port, CONNECT_TIMEOUT_MS,
             e ? ": last error: " : "", e ? sipc_strerror(e) : "");
}

static void cl_on_connect_poll(uv_timer_t *t)
{
    (void)t;
    for (int i = 0; i < cl.conns; i++)
        check_dial(cl.chs[i], cl.port, cl.t_open);
}

static void cl_on_conn(sipc_conn *conn, sipc_conn_event ev, int err, void *arg)
{
    (void)arg;
    if (cl.phase == PH_DONE)
        return;
    if (ev == SIPC_CONN_UP) {
        if (cl.phase != PH_CONNECTING)
            fail("connection came up twice (it dropped and was redialed)");
        if (++cl.nup < cl.conns)
            return; /* the clock starts when every connection is up */
        uv_timer_stop(&cl.connect_timer);
        if (cl.tls) { /* say what was negotiated, for the record */
            sipc_peer_info info;
            if (sipc_conn_info(conn, &info) == 0 && log_min <= SIPC_LOG_INFO)
                fprintf(stderr, "%s: up: %s %s\n", prog, info.tls_version, info.tls_cipher);
        }
        /* The clock starts now: warm-up on this connection, then the measure. */
        if (cl.warmup > 0) {
            cl.phase = PH_WARMUP;
            uv_timer_start(&cl.phase_timer, cl_on_warmup_end,
                           ns_to_timer_ms(secs_to_ns(cl.warmup)), 0);
        } else {
            cl_start_measure();
        }
        uint64_t now = now_ns();
        for (int i = 0; i < cl.window * cl.conns; i++)
            cl_issue(&cl.slots[i], now);
        return;
    }
    /* SIPC_CONN_DOWN */
    if (cl.phase == PH_CONNECTING) {
        if (fatal_dial_error(err))
            fail("cannot connect: %s (%s)", sipc_strerror(err), sipc_err_name(err));
        return; /* e.g. ECONNREFUSED while the server starts: the channel redials */
    }
    fail("connection lost during the run: %s (%s)", err ? sipc_strerror(err) : "closed",
         sipc_err_name(err));
}

static int run_client(int argc, char **argv)
{
    /* an optional last argument conns=N: N connections, WINDOW calls each */
    cl.conns = 1;
    if (argc > 8 && strncmp(argv[argc - 1], "conns=", 6) == 0) {
        cl.conns = (int)parse_long("conns", argv[argc - 1] + 6, 1, MAX_CONNS);
        argc--;
    }
    if (argc < 8)
        bad_usage("client needs PORT plain|tls SIZE WINDOW SECS WARMUP [CERT KEY]");
    int port = (int)parse_long("PORT", argv[2], 1, 65535);
    cl.port = port;
    cl.tls = parse_mode(argv[3]);
    cl.size = (size_t)parse_long("SIZE", argv[4], 0, MAX_SIZE);
    cl.window = (int)parse_long("WINDOW", argv[5], 1, MAX_WINDOW);
    cl.secs = parse_secs("SECS", argv[6], 0);
    cl.warmup = parse_secs("WARMUP", argv[7], 1);
    if (cl.tls && argc != 10)
        bad_usage("client ... tls needs CERT and KEY after WARMUP");
    if (!cl.tls && argc != 8)
        bad_usage("client ... plain takes nothing after WARMUP");
    if ((uint64_t)cl.size * (uint64_t)cl.window > 48ull * 1024 * 1024)
        bad_usage("SIZE x WINDOW must stay under 48 MiB (the default write queue is 64 MiB)");
    if ((uint64_t)cl.size * (uint64_t)cl.window * (uint64_t)cl.conns > 1024ull * 1024 * 1024)
        bad_usage("SIZE x WINDOW x conns must stay under 1 GiB");
    cl.key = cl.tls ? key_type(argv[8]) : "none";

    cl.payload = malloc(cl.size ? cl.size : 1);
    cl.slots = calloc((size_t)cl.window * (size_t)cl.conns, sizeof *cl.slots);
    cl.chs = calloc((size_t)cl.conns, sizeof *cl.chs);
    if (!cl.payload || !cl.slots || !cl.chs)
        fail("out of memory");
    for (size_t i = 0; i < cl.size; i++)
        cl.payload[i] = (unsigned char)(i * 131u + 7u);

    cl.loop = uv_default_loop();
    sipc_security *sec = make_security(cl.tls, cl.tls ? argv[8] : NULL, cl.tls ? argv[9] : NULL);
    cl.ctx = make_ctx(cl.loop, "bench-client", sec);
    sipc_security_release(sec);

    uv_timer_init(cl.loop, &cl.connect_timer);
    uv_timer_init(cl.loop, &cl.phase_timer);
    uv_timer_init(cl.loop, &cl.close_timer);
    uv_prepare_init(cl.loop, &cl.clock_reset);
    uv_prepare_start(&cl.clock_reset, cl_on_clock_reset);
    cl.phase = PH_CONNECTING;
    cl.t_open = now_ns();
    int rc = 0;
    for (int i = 0; i < cl.conns; i++) {
        rc = sipc_channel_open(&cl.chs[i], cl.ctx, "127.0.0.1", port, NULL);
        if (rc < 0)
            fail("sipc_channel_open 127.0.0.1:%d: %s", port, sipc_strerror(rc));
        sipc_channel_set_conn_cb(cl.chs[i], cl_on_conn, NULL);
        for (int j = 0; j < cl.window; j++)
            cl.slots[i * cl.window + j].ch = cl.chs[i];
    }
    uv_timer_start(&cl.connect_timer, cl_on_connect_poll, 50, 50);

    uv_run(cl.loop, UV_RUN_DEFAULT);
    if (!cl.ctx_closed)
        fail("event loop ended before the run finished");
    rc = uv_loop_close(cl.loop);
    if (rc < 0)
        fprintf(stderr, "%s: uv_loop_close: %s (handles left open)\n", prog, sipc_strerror(rc));
    free(cl.lat.v);
    free(cl.slots);
    free(cl.chs);
    free(cl.payload);
    return 0;
}

/* ----------------------------------------------------------- handshakes */

static struct {
    uv_loop_t *loop;
    sipc_ctx *ctx;
    sipc_channel *ch; /* the current attempt, NULL between attempts */
    int port;
    const char *key;
    double secs, warmup;
    uint64_t t_open, t0, t1;
    int measuring, done, ctx_closed, attempts_up;
    int resume;     /* reconnect resuming the last session (else full handshakes) */
    size_t resumed; /* of the counted handshakes */
    samples lat;
    uv_timer_t attempt_timer, phase_timer, close_timer;
} hs;

static void hs_open(void);

static void hs_on_ctx_closed(sipc_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    hs.ctx_closed = 1;
    uv_close((uv_handle_t *)&hs.close_timer, on_handle_closed);
}

static void hs_on_close_timeout(uv_timer_t *t)
{
    (void)t;
    fprintf(stderr, "%s: the context did not close within %u ms\n", prog, CLOSE_TIMEOUT_MS);
    exit(3);
}

static void hs_finish(void)
{
    samples_sort(&hs.lat);
    printf("RESULT peer=sipc phase=hs kind=%s key=%s secs=%.3f handshakes=%zu resumed=%zu "
           "rate=%.1f p50_us=%.1f p99_us=%.1f\n",
           hs.resume ? "resume" : "full", hs.key, hs.secs, hs.lat.n, hs.resumed,
           (double)hs.lat.n / hs.secs, pct_us(&hs.lat, 0.50), pct_us(&hs.lat, 0.99));
    fflush(stdout);
    hs.done = 1;
    uv_close((uv_handle_t *)&hs.attempt_timer, on_handle_closed);
    uv_close((uv_handle_t *)&hs.phase_timer, on_handle_closed);
    uv_timer_start(&hs.close_timer, hs_on_close_timeout, CLOSE_TIMEOUT_MS, 0);
    sipc_ctx_close(hs.ctx, hs_on_ctx_closed, NULL);
}

static void hs_on_channel_closed(sipc_channel *ch, void *arg)
{
    (void)ch;
    (void)arg;
    hs.ch = NULL;
    if (hs.done)
        return;
    if (hs.measuring && now_ns() >= hs.t1)
        hs_finish();
    else
        hs_open();
}

static void hs_on_conn(sipc_conn *conn, sipc_conn_event ev, int err, void *arg)
{
    (void)conn;
    if (hs.done || arg != (void *)hs.ch)
        return; /* events of a channel already being closed */
    if (ev == SIPC_CONN_UP) {
        uint64_t now = now_ns();
        uv_timer_stop(&hs.attempt_timer);
        hs.attempts_up++;
        if (hs.measuring && now >= hs.t0 && now <= hs.t1) {
            samples_add(&hs.lat, now - hs.t_open);
            sipc_peer_info pi;
            if (sipc_conn_info(conn, &pi) == 0 && pi.tls_resumed)
                hs.resumed++;
        }
        sipc_channel *ch = hs.ch;
        hs.ch = NULL; /* ignore the DOWN that the close reports */
        sipc_channel_close(ch, hs_on_channel_closed, NULL);
        return;
    }
    if (fatal_dial_error(err))
        fail("handshake failed: %s (%s)", sipc_strerror(err), sipc_err_name(err));
    /* an IO error: the channel redials by itself, the attempt timer bounds it */
}

static void hs_on_attempt_poll(uv_timer_t *t)
{
    (void)t;
    if (hs.ch)
        check_dial(hs.ch, hs.port, hs.t_open);
}

static void hs_open(void)
{
    hs.t_open = now_ns();
    int rc = sipc_channel_open(&hs.ch, hs.ctx, "127.0.0.1", hs.port, NULL);
    if (rc < 0)
        fail("sipc_channel_open 127.0.0.1:%d: %s", hs.port, sipc_strerror(rc));
    sipc_channel_set_conn_cb(hs.ch, hs_on_conn, hs.ch);
    uv_timer_start(&hs.attempt_timer, hs_on_attempt_poll, 50, 50);
}

static void hs_on_measure_end(uv_timer_t *t)
{
    uint64_t now = now_ns();
    if (now < hs.t1) {
        uv_timer_start(t, hs_on_measure_end, ns_to_timer_ms(hs.t1 - now), 0);
        return;
    }
    /* The attempt in progress finishes (or not) after t1 and is not counted;
     * hs_on_channel_closed ends the run when it closes. Bound the wait. */
    if (!hs.ch && !hs.done)
        hs_finish();
}

static void hs_start_measure(void)
{
    hs.measuring = 1;
    hs.t0 = now_ns();
    hs.t1 = hs.t0 + secs_to_ns(hs.secs);
    uv_timer_start(&hs.phase_timer, hs_on_measure_end, ns_to_timer_ms(hs.t1 - hs.t0), 0);
}

static void hs_on_warmup_end(uv_timer_t *t)
{
    (void)t;
    hs_start_measure();
}

static int run_handshakes(int argc, char **argv)
{
    if (argc < 6 || argc > 8)
        bad_usage("%s needs PORT SECS CERT KEY [WARMUP [full|resume]]", argv[1]);
    hs.port = (int)parse_long("PORT", argv[2], 1, 65535);
    hs.secs = parse_secs("SECS", argv[3], 0);
    hs.warmup = argc >= 7 ? parse_secs("WARMUP", argv[6], 1) : 0.5;
    hs.key = key_type(argv[4]);
    if (argc == 8 && strcmp(argv[7], "resume") == 0)
        hs.resume = 1;
    else if (argc == 8 && strcmp(argv[7], "full") != 0)
        bad_usage("the handshake kind must be 'full' or 'resume', not '%s'", argv[7]);

    hs.loop = uv_default_loop();
    sipc_security *sec = make_security(1, argv[4], argv[5]);
    /* full: as s_time -new, every connection verifies certificates again */
    if (!hs.resume)
        (void)sipc_security_set_resumption(sec, 0);
    else if (sipc_security_set_resumption(sec, 1) != 0)
        fail("this build's TLS library has no session tickets: no resumption to measure");
    hs.ctx = make_ctx(hs.loop, "bench-hs", sec);
    sipc_security_release(sec);
    uv_timer_init(hs.loop, &hs.attempt_timer);
    uv_timer_init(hs.loop, &hs.phase_timer);
    uv_timer_init(hs.loop, &hs.close_timer);
    if (hs.warmup > 0)
        uv_timer_start(&hs.phase_timer, hs_on_warmup_end, ns_to_timer_ms(secs_to_ns(hs.warmup)),
                       0);
    else
        hs_start_measure();
    hs_open();

    uv_run(hs.loop, UV_RUN_DEFAULT);
    if (!hs.ctx_closed)
        fail("event loop ended before the run finished");
    int rc = uv_loop_close(hs.loop);
    if (rc < 0)
        fprintf(stderr, "%s: uv_loop_close: %s (handles left open)\n", prog, sipc_strerror(rc));
    free(hs.lat.v);
    return 0;
}

/* ----------------------------------------------------------------- main */

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2)
        bad_usage("missing command");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("sipc-bench (%s)\n", sipc_version_string());
        return 0;
    }
    log_init();
    if (strcmp(argv[1], "server") == 0)
        return run_server(argc, argv);
    if (strcmp(argv[1], "client") == 0)
        return run_client(argc, argv);
    if (strcmp(argv[1], "handshakes") == 0 || strcmp(argv[1], "hs") == 0)
        return run_handshakes(argc, argv);
    bad_usage("unknown command '%s'", argv[1]);
}
