/* scale.c - how many connections one node holds, and what each costs.
 *
 *   sipc-scale [--plain] [--idle N] [--burst M] [--max-kib K] [--addr IP]
 *              [--sources S] CERT KEY
 *   sipc-scale --help
 *
 * Forks a server (the node: one context, one listener on IP:0, TLS 1.2
 * mutual authentication with CERT/KEY unless --plain), then, from this
 * process, with the same pair, its channels dealt in turn over S client
 * contexts (default 8) bound to S source addresses, A.B.C.200 to
 * A.B.C.(199+S) in IP's /24 when IP is a loopback address (127.x), else
 * from the address the kernel picks (then S is 1). That many clients come
 * from many hosts: the node lets one source address hold only a quarter of
 * its max_connections (4,096 of 16,384; [limits] max_connections_per_host),
 * which 10,000 from one address would pass. --sources 1 dials from one:
 *
 *
 *   burst M: opens M channels in the same loop iteration (M clients
 *     connecting at once) and waits until every one is up. Prints
 *       RESULT phase=burst conns=M up=U secs=S refused=R evicted=E hs_failures=F
 *     and fails unless every channel came up with nothing refused, evicted
 *     or failed on the server (its own counters, sipc_server_stats).
 *   idle N: measures the server's resident memory with one control link up,
 *     opens N more channels (in steps of 100), lets them sit idle for 2.5 s
 *     (connections give back their buffers after 1 s), measures again and
 *     times 200 small calls on the control link. Prints
 *       RESULT phase=idle conns=N tls=0|1 rss_before=B rss_after=A
 *              per_conn_bytes=P p50_us=X p99_us=Y base_p50_us=Z base_p99_us=W
 *     per_conn_bytes = (A - B) / N: the growth of the node's RSS per idle
 *     connection. Fails when it exceeds --max-kib (default 32) KiB.
 *
 * Idle runs first, on a fresh node (so no memory freed by earlier
 * connections flatters the figure), then its channels close and burst starts
 * once the node has let them go. Both raise the open-file limit to the hard limit. The
 * server is the library itself (as sipcd runs it, one context per service),
 * so the figures are the node's. Exit 0: all bounds held; 1: a bound failed
 * (the RESULT line says which); 2: usage or set-up error. */
#include <malloc.h>
#include <mcheck.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <uv.h>

#include "rss.h"
#include "sipc/sipc.h"

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "sipc-scale: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}

static void quiet_log(void *arg, sipc_log_level level, const char *category, const char *msg)
{
    (void)arg;
    if (level >= SIPC_LOG_WARN)
        fprintf(stderr, "%s %s\n", category, msg);
}

static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static sipc_security *make_security(int tls, const char *cert, const char *key)
{
    sipc_security *sec = NULL;
    char err[512] = "";
    int rc = tls ? sipc_security_from_pem(&sec, SIPC_TLS_STRICT, cert, key, err, sizeof err)
                 : sipc_security_plain(&sec);
    if (rc < 0)
        die("security: %s %s", sipc_strerror(rc), err);
    return sec;
}

/* ------------------------------------------------------------ the node */

static sipc_server *g_srv;
static uv_signal_t g_term;
static sipc_ctx *g_sctx;

static void h_echo(sipc_request *req, void *arg)
{
    (void)arg;
    size_t len;
    const void *p = sipc_request_data(req, &len);
    sipc_respond(req, p, len);
}

static void h_stats(sipc_request *req, void *arg)
{
    (void)arg;
    sipc_server_stats st;
    sipc_server_stats_get(g_srv, &st);
    if (getenv("MALLOC_TRACE") && st.conns_tls + st.conns_plain > 100)
        muntrace(); /* what is still allocated now is what idle connections hold */
    char out[512];
    int n = snprintf(out, sizeof out,
                     "rss=%llu up=%u opening=%u refused=%llu evicted=%llu hs_failures=%llu "
                     "buffers=%llu heap=%zu free=%zu mmapped=%zu",
                     (unsigned long long)sipc_rss_bytes(), st.conns_tls + st.conns_plain,
                     st.conns_opening,
                     (unsigned long long)st.refused_total, (unsigned long long)st.evicted_total,
                     (unsigned long long)st.handshake_failures_total,
                     (unsigned long long)st.buffer_bytes, mallinfo2().uordblks, mallinfo2().fordblks,
                     mallinfo2().hblkhd);
    sipc_respond(req, out, (size_t)n);
}

static void on_term(uv_signal_t *s, int sig)
{
    (void)sig;
    uv_signal_stop(s);
    uv_close((uv_handle_t *)s, NULL);
    sipc_ctx_close(g_sctx, NULL, NULL);
}

static void run_node(int tls, const char *cert, const char *key, const char *addr, int wfd)
{
    raise_nofile();
    if (getenv("MALLOC_TRACE"))
        mtrace();
    uv_loop_t *loop = uv_default_loop();
    sipc_security *sec = make_security(tls, cert, key);
    sipc_options o;
    sipc_options_init(&o);
    o.node_id = "scale-node";
    o.log = quiet_log;
    if (sipc_ctx_new(&g_sctx, loop, &o, sec) != 0)
        die("node: sipc_ctx_new failed");
    sipc_security_release(sec);
    sipc_router *r;
    sipc_router_new(&r);
    sipc_router_add(r, "scale", "echo", h_echo, NULL);
    sipc_router_add(r, "scale", "stats", h_stats, NULL);
    int rc = sipc_server_listen(&g_srv, g_sctx, "Scale Node", addr, 0, r);
    if (rc != 0)
        die("node: listen on %s: %s", addr, sipc_strerror(rc));
    int port = sipc_server_port(g_srv);
    if (write(wfd, &port, sizeof port) != sizeof port)
        die("node: cannot report its port");
    close(wfd);
    uv_signal_init(loop, &g_term);
    uv_signal_start(&g_term, on_term, SIGTERM);
    uv_run(loop, UV_RUN_DEFAULT);
    sipc_router_free(r);
    exit(0);
}

/* ------------------------------------------------------------ the clients */

typedef struct client {
    sipc_channel *ch;
    int up, downs;
} client;

#define SCALE_SOURCES_MAX 50 /* .200 to .249 */

static uv_loop_t *g_loop;
static sipc_ctx *g_cctx[SCALE_SOURCES_MAX];
static int g_nctx, g_next_ctx;
static int g_up;

static void on_conn(sipc_conn *c, sipc_conn_event ev, int err, void *arg)
{
    (void)c, (void)err;
    client *k = arg;
    if (ev == SIPC_CONN_UP && !k->up) {
        k->up = 1;
        g_up++;
    } else if (ev == SIPC_CONN_DOWN) {
        k->downs++;
        if (k->up) {
            k->up = 0;
            g_up--;
        }
    }
}

static void open_client(client *k, const char *addr, int port)
{
    memset(k, 0, sizeof *k);
    sipc_ctx *ctx = g_cctx[g_next_ctx++ % g_nctx];
    int rc = sipc_channel_open(&k->ch, ctx, addr, port, NULL);
    if (rc != 0)
        die("sipc_channel_open: %s", sipc_strerror(rc));
    sipc_channel_set_conn_cb(k->ch, on_conn, k);
}

/* Runs the loop until g_up reaches want or ms pass; returns 1 if reached. */
static int wait_up(int want, unsigned ms)
{
    uint64_t end = uv_now(g_loop) + ms;
    while (g_up < want && uv_now(g_loop) < end)
        uv_run(g_loop, UV_RUN_ONCE);
    return g_up >= want;
}

/* Keeps the loop turning for ms (timers, keepalives) without busy waiting. */
static void idle_for(unsigned ms)
{
    uint64_t end = uv_now(g_loop) + ms;
    while (uv_now(g_loop) < end) {
        uv_run(g_loop, UV_RUN_NOWAIT);
        uv_sleep(5);
        uv_update_time(g_loop);
    }
}

typedef struct callres {
    int done, err;
    char text[512];
} callres;

static void on_reply(int err, const sipc_reply *rep, void *arg)
{
    callres *r = arg;
    r->done = 1;
    r->err = err;
    size_t n = rep->len < sizeof r->text - 1 ? rep->len : sizeof r->text - 1;
    memcpy(r->text, rep->data ? (const char *)rep->data : "", n);
    r->text[n] = '\0';
}

static int call_wait(sipc_channel *ch, const char *method, const void *p, size_t n, callres *r)
{
    memset(r, 0, sizeof *r);
    if (sipc_call(ch, "scale", method, p, n, 10000, on_reply, r) != 0)
        return -1;
    while (!r->done)
        uv_run(g_loop, UV_RUN_ONCE);
    return r->err;
}

typedef struct node_stats {
    long rss;
    unsigned up, opening;
    unsigned long long refused, evicted, hs_failures, buffers;
    size_t heap; /* bytes the node's allocations hold (mallinfo2) */
} node_stats;

static void get_stats(sipc_channel *ch, node_stats *st)
{
    callres r;
    if (call_wait(ch, "stats", "", 0, &r) != 0)
        die("stats call failed: %s", sipc_strerror(r.err));
    if (sscanf(r.text, "rss=%ld up=%u opening=%u refused=%llu evicted=%llu hs_failures=%llu buffers=%llu heap=%zu",
               &st->rss, &st->up, &st->opening, &st->refused, &st->evicted, &st->hs_failures,
               &st->buffers, &st->heap) != 8)
        die("cannot read the node's stats: %s", r.text);
    if (getenv("SIPC_SCALE_DEBUG"))
        fprintf(stderr, "node: %s\n", r.text);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* p50 and p99 of 200 sequential 64-byte calls, in microseconds. */
static void latency(sipc_channel *ch, uint64_t *p50, uint64_t *p99)
{
    enum { N = 200 };
    uint64_t us[N];
    char payload[64];
    memset(payload, 'p', sizeof payload);
    for (int i = 0; i < N; i++) {
        uint64_t t0 = uv_hrtime();
        callres r;
        if (call_wait(ch, "echo", payload, sizeof payload, &r) != 0)
            die("echo call failed: %s", sipc_strerror(r.err));
        us[i] = (uv_hrtime() - t0) / 1000;
    }
    qsort(us, N, sizeof us[0], cmp_u64);
    *p50 = us[N / 2];
    *p99 = us[N * 99 / 100];
}

static void close_clients(client *ks, int n)
{
    for (int i = 0; i < n; i++)
        sipc_channel_close(ks[i].ch, NULL, NULL);
    /* let the closes go out */
    idle_for(300);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: sipc-scale [--plain] [--idle N] [--burst M] [--max-kib K] [--addr IP] "
               "[--sources S] CERT KEY\n"
               "  sources S: clients dial from S loopback addresses (default 8, at most %d)\n",
            SCALE_SOURCES_MAX);
    fprintf(f, ""
               "  burst M: M channels opened at once must all come up, none refused\n"
               "  idle N: the node's RSS growth per idle connection must stay <= K KiB "
               "(default 32)\n");
}

int main(int argc, char **argv)
{
    int tls = 1, idle = 0, burst = 0, sources = 8;
    long max_kib = 32;
    const char *addr = "127.0.0.1", *cert = NULL, *key = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--plain")) {
            tls = 0;
        } else if (!strcmp(argv[i], "--idle") && i + 1 < argc) {
            idle = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--burst") && i + 1 < argc) {
            burst = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--max-kib") && i + 1 < argc) {
            max_kib = atol(argv[++i]);
        } else if (!strcmp(argv[i], "--sources") && i + 1 < argc) {
            sources = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--addr") && i + 1 < argc) {
            addr = argv[++i];
        } else if (!cert) {
            cert = argv[i];
        } else if (!key) {
            key = argv[i];
        } else {
            usage(stderr);
            return 2;
        }
    }
    if ((tls && (!cert || !key)) || idle < 0 || burst < 0 || (!idle && !burst) || sources < 1 ||
        sources > SCALE_SOURCES_MAX) {
        usage(stderr);
        return 2;
    }
    int pfd[2];
    if (pipe(pfd) != 0)
        die("pipe failed");
    pid_t pid = fork();
    if (pid < 0)
        die("fork failed");
    if (pid == 0) {
        close(pfd[0]);
        run_node(tls, cert, key, addr, pfd[1]);
    }
    close(pfd[1]);
    int port = 0;
    if (read(pfd[0], &port, sizeof port) != sizeof port)
        die("the node did not start");
    close(pfd[0]);

    raise_nofile();
    g_loop = uv_default_loop();
    sipc_security *sec = make_security(tls, cert, key);
    sipc_options o;
    sipc_options_init(&o);
    o.node_id = "scale-client";
    o.log = quiet_log;
    o.handshake_timeout_ms = 30000;
    unsigned a, b, c, d;
    char src[SCALE_SOURCES_MAX][32];
    if (sscanf(addr, "%u.%u.%u.%u", &a, &b, &c, &d) != 4 || a != 127)
        sources = 1;
    g_nctx = sources;
    for (int i = 0; i < g_nctx; i++) {
        snprintf(src[i], sizeof src[i], "127.%u.%u.%d", b, c, 200 + i);
        o.source_address = g_nctx > 1 ? src[i] : NULL;
        if (sipc_ctx_new(&g_cctx[i], g_loop, &o, sec) != 0)
            die("sipc_ctx_new failed (source %s)", o.source_address ? o.source_address : "any");
    }
    sipc_security_release(sec);
    int failed = 0;

    client ctl;
    open_client(&ctl, addr, port);
    if (!wait_up(1, 10000))
        die("the control link did not come up");

    if (idle) {
        uint64_t b50, b99;
        latency(ctl.ch, &b50, &b99);
        idle_for(1500); /* the control link's buffers go too */
        node_stats before, after;
        get_stats(ctl.ch, &before);
        client *ks = calloc((size_t)idle, sizeof *ks);
        int opened = 0;
        while (opened < idle) {
            int step = idle - opened < 100 ? idle - opened : 100;
            for (int i = 0; i < step; i++)
                open_client(&ks[opened + i], addr, port);
            opened += step;
            if (!wait_up(opened + 1, 60000))
                break;
        }
        int all_up = g_up == idle + 1;
        idle_for(2500);
        get_stats(ctl.ch, &after);
        uint64_t p50, p99;
        latency(ctl.ch, &p50, &p99);
        long per = (after.rss - before.rss) / (idle ? idle : 1);
        int bad = !all_up || per > max_kib * 1024 || after.refused || after.evicted;
        printf("RESULT phase=idle conns=%d up=%d tls=%d rss_before=%ld rss_after=%ld "
               "per_conn_bytes=%ld heap_per_conn_bytes=%ld buffers=%llu p50_us=%llu p99_us=%llu base_p50_us=%llu "
               "base_p99_us=%llu refused=%llu%s\n",
               idle, g_up - 1, tls, before.rss, after.rss, per,
               ((long)after.heap - (long)before.heap) / idle, after.buffers,
               (unsigned long long)p50, (unsigned long long)p99, (unsigned long long)b50,
               (unsigned long long)b99, after.refused, bad ? " FAILED" : "");
        fflush(stdout);
        failed |= bad;
        close_clients(ks, idle);
        free(ks);
        /* until the node has let them all go */
        for (int i = 0; i < 100; i++) {
            get_stats(ctl.ch, &after);
            if (after.up <= 1 && after.opening == 0)
                break;
            idle_for(100);
        }
    }

    if (burst) {
        client *ks = calloc((size_t)burst, sizeof *ks);
        uint64_t t0 = uv_hrtime();
        for (int i = 0; i < burst; i++)
            open_client(&ks[i], addr, port);
        int ok = wait_up(burst + 1, 60000);
        double secs = (double)(uv_hrtime() - t0) / 1e9;
        node_stats st;
        get_stats(ctl.ch, &st);
        int downs = 0;
        for (int i = 0; i < burst; i++)
            downs += ks[i].downs;
        int bad = !ok || downs || st.refused || st.evicted || st.hs_failures;
        printf("RESULT phase=burst conns=%d up=%d secs=%.2f refused=%llu evicted=%llu "
               "hs_failures=%llu client_downs=%d%s\n",
               burst, g_up - 1, secs, st.refused, st.evicted, st.hs_failures, downs,
               bad ? " FAILED" : "");
        fflush(stdout);
        failed |= bad;
        close_clients(ks, burst);
        free(ks);
    }

    sipc_channel_close(ctl.ch, NULL, NULL);
    for (int i = 0; i < g_nctx; i++)
        sipc_ctx_close(g_cctx[i], NULL, NULL);
    uv_run(g_loop, UV_RUN_DEFAULT);
    kill(pid, SIGTERM);
    int status = 0;
    waitpid(pid, &status, 0);
    return failed ? 1 : 0;
}
