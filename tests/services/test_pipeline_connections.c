/* test_pipeline_connections.c - the pipeline and the connections at both of
 * its ends, on 127.1.151.1-4:
 * - a producer's connection given up by its context's close while the
 *   pipeline still delivers its requests, and a new producer connection
 *   made at the same address: it starts from nothing, not from the gone
 *   connection's records; a pipeline closing with that request's batch in
 *   the destination's handler says it may still be stored;
 * - a destination whose connection ends with an ERROR of the connection (its
 *   handlers hold too many requests past their deadline): the batch in
 *   flight on it is retried, and stored;
 * - a destination that stops (a child process stopped by SIGSTOP with a
 *   batch in its handler): the keepalive ends the connection under the
 *   batch, redials find it silent, the records are answered "may still be
 *   stored", and once the child goes on they are; records sent after its
 *   link is known down are answered at once, without it, and are not. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "ipc/internal.h" /* sipc__router_lookup, and sizeof (sipc_conn) */
#include "pipeline_test_support.h"

/* ---------------------------------------------------------------- world */

/* One loop: a destination (dctx, dsrv), the pipeline in a context of its own
 * (hctx) served by up to two servers (sctx), and producers (cctx). */
typedef struct cw {
    uv_loop_t loop;
    sipc_security *sec;
    tu_log log;
    sipc_ctx *dctx;
    sipc_router *drouter;
    sipc_server *dsrv;
    sipc_data *d;
    char *dhome;
    char dest[64];
    const char *dhost;
    int dport;
    pid_t child;
    sipc_ctx *hctx;
    sipc_router *prouter;
    sipc_pipeline *p;
    sipc_ctx *sctx[2];
    sipc_server *psrv[2];
    sipc_ctx *cctx;
    sipc_channel *ch[2];
} cw;

static void opts(sipc_options *o, const char *id, tu_log *log)
{
    pw_options(o, id, log);
    o->source_address = "127.1.151.4"; /* the test's own block at both ends */
}

static cw *cw_new(void)
{
    cw *w = calloc(1, sizeof *w);
    assert_non_null(w);
    assert_int_equal(uv_loop_init(&w->loop), 0);
    assert_int_equal(sipc_security_plain(&w->sec), 0);
    sipc_options o;
    opts(&o, "producer", &w->log);
    assert_int_equal(sipc_ctx_new(&w->cctx, &w->loop, &o, w->sec), 0);
    return w;
}

/* The destination in this process, its router's data methods given by the
 * caller; with a data service when with_data. max_pending: the context's
 * max_pending_requests (0: the default). */
static void cw_dest(cw *w, int with_data, uint32_t max_pending)
{
    assert_int_equal(sipc_router_new(&w->drouter), 0);
    if (with_data) {
        w->dhome = tu_mkdtemp("plconn");
        char dir[600], err[512] = "";
        snprintf(dir, sizeof dir, "%s/data", w->dhome);
        if (sipc_data_open(&w->d, &w->loop, dir, NULL, err, sizeof err) != 0)
            fail_msg("sipc_data_open: %s", err);
        assert_int_equal(sipc_data_register(w->d, w->drouter), 0);
    }
    sipc_options o;
    opts(&o, "dn", &w->log);
    if (max_pending)
        o.max_pending_requests = max_pending;
    assert_int_equal(sipc_ctx_new(&w->dctx, &w->loop, &o, w->sec), 0);
    assert_int_equal(
        sipc_server_listen(&w->dsrv, w->dctx, "Data Service", "127.1.151.1", 0, w->drouter), 0);
    w->dhost = "127.1.151.1";
    w->dport = sipc_server_port(w->dsrv);
    snprintf(w->dest, sizeof w->dest, "127.1.151.1:%d", w->dport);
}

/* The pipeline toward the destination (o: options beyond the defaults, or
 * NULL; lo: its links' context options, or NULL), served by nsrv servers on
 * 127.1.151.2, each in a context of its own, and a producer channel to each. */
static void cw_pipeline(cw *w, sipc_pipeline_options *o, sipc_options *lo, int nsrv)
{
    sipc_pipeline_options def;
    if (!o) {
        sipc_pipeline_options_init(&def);
        o = &def;
    }
    sipc_options hopt, lopt;
    opts(&hopt, "pl", &w->log);
    if (!lo) {
        opts(&lopt, "pl", &w->log);
        lo = &lopt;
    }
    assert_int_equal(sipc_ctx_new(&w->hctx, &w->loop, &hopt, w->sec), 0);
    sipc_pipeline_dest dest = {.name = NULL, .host = w->dhost, .port = w->dport};
    o->dests = &dest;
    o->ndests = 1;
    o->link_options = lo;
    char err[512] = "";
    if (sipc_pipeline_open(&w->p, w->hctx, o, err, sizeof err) != 0)
        fail_msg("sipc_pipeline_open: %s", err);
    assert_int_equal(sipc_router_new(&w->prouter), 0);
    assert_int_equal(sipc_pipeline_register(w->p, w->prouter), 0);
    for (int i = 0; i < nsrv; i++) {
        assert_int_equal(sipc_ctx_new(&w->sctx[i], &w->loop, &hopt, w->sec), 0);
        assert_int_equal(sipc_server_listen(&w->psrv[i], w->sctx[i], "Pipeline", "127.1.151.2", 0,
                                            w->prouter),
                         0);
        assert_int_equal(sipc_channel_open(&w->ch[i], w->cctx, "127.1.151.2",
                                           sipc_server_port(w->psrv[i]), NULL),
                         0);
    }
}

static void on_flag(void *arg)
{
    *(int *)arg = 1;
}

static void on_ctx_closed(sipc_ctx *ctx, void *arg)
{
    (void)ctx;
    *(int *)arg = 1;
}

/* Closes what is left, producers first, then the pipeline, then the
 * destination (after the caller answered what it held). */
static void cw_free(cw *w)
{
    sipc_ctx_close(w->cctx, NULL, NULL);
    for (int i = 0; i < 2; i++)
        if (w->sctx[i])
            sipc_ctx_close(w->sctx[i], NULL, NULL);
    if (w->p) {
        int closed = 0;
        sipc_pipeline_close(w->p, on_flag, &closed);
        assert_true(tu_run_until(&w->loop, &closed, 10000));
    }
    if (w->hctx)
        sipc_ctx_close(w->hctx, NULL, NULL);
    if (w->dctx)
        sipc_ctx_close(w->dctx, NULL, NULL);
    if (w->d) {
        int closed = 0;
        sipc_data_close(w->d, on_flag, &closed);
        assert_true(tu_run_until(&w->loop, &closed, 10000));
    }
    if (w->child > 0) {
        kill(w->child, SIGKILL);
        waitpid(w->child, NULL, 0);
    }
    assert_true(tu_drain(&w->loop, 10000));
    assert_int_equal(uv_loop_close(&w->loop), 0);
    sipc_router_free(w->drouter);
    sipc_router_free(w->prouter);
    sipc_security_release(w->sec);
    if (w->dhome) {
        tu_rmdir(w->dhome);
        free(w->dhome);
    }
    tu_log_free(&w->log);
    free(w);
}

/* Every record of g has status, and its reason holds want (NULL: any) and,
 * as maybe says, "may still be stored". */
static void expect_records(const pw_ingest *g, size_t n, int status, const char *want, int maybe)
{
    if (g->err != 0)
        fail_msg("ingest failed: %s status %d: %s", sipc_err_name(g->err), g->status, g->message);
    assert_int_equal(g->resp->n_results, n);
    for (size_t i = 0; i < n; i++) {
        const Sipc__Pipeline__RecordResult *x = g->resp->results[i];
        const char *why = x->reason_of ? g->resp->results[x->reason_of - 1]->reason : x->reason;
        if ((int)x->status != status || (want && !strstr(why, want)) ||
            (strstr(why, "; may still be stored: send them again") != NULL) != maybe)
            fail_msg("record %zu: status %d, reason '%s' (expected status %d, '%s'%s)", i,
                     x->status, why, status, want ? want : "", maybe ? ", may still be stored" : "");
    }
}

/* data.put_batch and data.put held unanswered (up to 16), or, past hold
 * calls, handed to the data service's own handler (fn). */
typedef struct holder {
    sipc_request *req[16];
    int n, hold, passed;
    sipc_handler_fn fn;
    void *arg;
} holder;

static void on_hold(sipc_request *req, void *arg)
{
    holder *h = arg;
    if (h->n < h->hold && h->n < 16) {
        h->req[h->n++] = req;
        return;
    }
    h->passed++;
    if (h->fn)
        h->fn(req, h->arg);
    else
        sipc_respond_error(req, SIPC__DATA__STATUS__BUSY, "held enough");
}

static void holder_release(holder *h)
{
    for (int i = 0; i < h->n; i++)
        sipc_respond_error(h->req[i], SIPC__DATA__STATUS__CLOSING, "the test ends");
    h->n = 0;
}

/* -------------------------------------------- a producer's connection */

/* A freed connection's block given to the next connection made: malloc
 * may or may not give a block back at once (and never under
 * AddressSanitizer), so the library's calloc and free (linked with
 * --wrap) keep the watched block when it is freed and hand it to the first
 * connection asked for once the test says so. */
void *__real_calloc(size_t n, size_t size);
void __real_free(void *p);
static void *g_watch, *g_kept;
static int g_hand_out;

void __wrap_free(void *p)
{
    if (p && p == g_watch) {
        g_kept = p;
        g_watch = NULL;
        return;
    }
    __real_free(p);
}

void *__wrap_calloc(size_t n, size_t size)
{
    if (g_hand_out && g_kept && n == 1 && size == sizeof(sipc_conn)) {
        void *p = g_kept;
        g_kept = NULL;
        g_hand_out = 0;
        memset(p, 0, size);
        return p;
    }
    return __real_calloc(n, size);
}

static void on_conn_up(sipc_conn *c, sipc_conn_event ev, int err, void *arg)
{
    (void)err;
    if (ev == SIPC_CONN_UP)
        *(sipc_conn **)arg = c;
}

/* A context's close gives up on the requests its handlers still hold after
 * a grace, and frees their connection; the pipeline still delivers them. A
 * connection then made at the same address (another context's server of
 * the same pipeline) is a new producer: its request is admitted, not
 * refused BUSY for the records of the one gone. */
static void t_conn_address_reused(void **state)
{
    (void)state;
    cw *w = cw_new();
    cw_dest(w, 0, 0);
    holder h = {.hold = 16};
    assert_int_equal(sipc_router_add(w->drouter, "data", "put_batch", on_hold, &h), 0);
    sipc_pipeline_options o;
    sipc_pipeline_options_init(&o);
    o.max_conn_records = 10;
    cw_pipeline(w, &o, NULL, 2);
    sipc_conn *first = NULL, *second = NULL;
    sipc_server_set_conn_cb(w->psrv[0], on_conn_up, &first);
    sipc_server_set_conn_cb(w->psrv[1], on_conn_up, &second);
    pw_recs r;
    pw_recs_make(&r, "ra", 0, 24);
    pw_ingest g1 = {.count = NULL}, g2 = {.count = NULL}, g3 = {.count = NULL};
    pw_ingest_on(w->ch[0], r.p, 8, w->dest, 30000, &g1);
    assert_true(tu_run_until(&w->loop, &h.n, 5000));
    assert_non_null(first);
    g_watch = first;

    /* the producer goes, and its context's close gives up on its request */
    int ctx_closed = 0;
    sipc_channel_close(w->ch[0], NULL, NULL);
    w->ch[0] = NULL;
    sipc_ctx_close(w->sctx[0], on_ctx_closed, &ctx_closed);
    w->sctx[0] = NULL;
    assert_true(tu_run_until(&w->loop, &ctx_closed, SIPC__CLOSE_HOLD_MS + 5000));
    sipc_pipeline_stats st;
    sipc_pipeline_stats_get(w->p, &st);
    assert_int_equal(st.inflight_records, 8); /* still delivered */

    /* the gone connection's block, kept, is what the server's next
     * connection is given (the producer's own end, made in this process
     * too, is made first) */
    assert_non_null(g_kept);
    int port = sipc_server_port(w->psrv[1]);
    assert_int_equal(sipc_channel_close(w->ch[1], NULL, NULL), 0);
    assert_int_equal(sipc_channel_open(&w->ch[1], w->cctx, "127.1.151.2", port, NULL), 0);
    g_hand_out = 1;
    pw_ingest_on(w->ch[1], r.p + 8, 8, w->dest, 30000, &g2);
    for (int i = 0; i < 500 && h.n < 2 && !g2.done; i++)
        tu_run_until(&w->loop, &g2.done, 10);
    assert_ptr_equal(first, second);
    if (g2.done)
        fail_msg("the new connection's request was answered at once: %s: %s",
                 sipc_err_name(g2.err), g2.message);
    assert_int_equal(h.n, 2);
    /* its own records do count: a second request on it is over the limit */
    pw_ingest_on(w->ch[1], r.p + 16, 8, w->dest, 30000, &g3);
    assert_true(tu_run_until(&w->loop, &g3.done, 5000));
    if (g3.err != SIPC_EREMOTE || g3.status != SIPC_PIPELINE_BUSY ||
        !strstr(g3.message, "this connection has 8 records in the pipeline already"))
        fail_msg("expected BUSY for the connection's second request, got %s %d: %s",
                 sipc_err_name(g3.err), g3.status, g3.message);
    sipc_pipeline_stats_get(w->p, &st);
    assert_int_equal(st.inflight_records, 16);

    int closed = 0;
    sipc_pipeline_close(w->p, on_flag, &closed);
    w->p = NULL;
    assert_true(tu_run_until(&w->loop, &closed, 10000));
    assert_true(tu_run_until(&w->loop, &g2.done, 5000));
    /* its batch is in the destination's handler, which may store it */
    expect_records(&g2, 8, SIPC__PIPELINE__RECORD_STATUS__UNAVAILABLE, "shutting down", 1);
    pw_ingest_free(&g2);
    holder_release(&h);
    pw_recs_free(&r);
    cw_free(w);
}

/* ------------------------------------------ an ERROR of the connection */

/* The destination's handlers hold more requests past their deadline than
 * max_pending_requests allows (1 here: the two calls of a request with a
 * short deadline): it ends the connection with an ERROR of its own, which
 * fails every call on it with SIPC_EREMOTE and no status. The batch of the
 * longer request in flight there is no answer of the data service: it is
 * retried on the next connection, and stored. */
static void t_connection_error_retried(void **state)
{
    (void)state;
    cw *w = cw_new();
    cw_dest(w, 1, 1);
    const sipc_route *rt = sipc__router_lookup(w->drouter, "data", 4, "put_batch", 9);
    assert_non_null(rt);
    holder h = {.hold = 2, .fn = rt->fn, .arg = rt->arg};
    assert_int_equal(sipc_router_add(w->drouter, "data", "put_batch", on_hold, &h), 0);
    sipc_pipeline_options o;
    sipc_pipeline_options_init(&o);
    o.batch_records = 5;
    cw_pipeline(w, &o, NULL, 1);
    pw_recs r;
    pw_recs_make(&r, "ce", 0, 15);
    pw_ingest a = {.count = NULL}, b = {.count = NULL};
    pw_ingest_on(w->ch[0], r.p, 10, w->dest, 700, &a);
    assert_true(tu_run_until(&w->loop, &h.n, 5000));
    pw_ingest_on(w->ch[0], r.p + 10, 5, w->dest, 15000, &b);
    assert_true(tu_run_until(&w->loop, &a.done, 5000));
    assert_true(tu_run_until(&w->loop, &b.done, 15000));
    /* a: sent and never answered */
    expect_records(&a, 10, SIPC__PIPELINE__RECORD_STATUS__UNAVAILABLE,
                   "not acknowledged before the request's deadline", 1);
    expect_records(&b, 5, SIPC__PIPELINE__RECORD_STATUS__COMMITTED, NULL, 0);
    assert_int_equal(h.passed, 1);
    sipc_pipeline_stats st;
    sipc_pipeline_stats_get(w->p, &st);
    assert_true(st.retries >= 1);
    char want[300];
    snprintf(want, sizeof want,
             "data service %s: remote handler returned an error: peer %s says: node dn closes: its handlers "
             "(data.put_batch) hold 2 requests past their deadline; retrying",
             w->dest, w->dest);
    if (!tu_log_has(&w->log, want)) {
        fprintf(stderr, "%s", w->log.buf ? w->log.buf : "");
        fail_msg("no '%s' in the log above", want);
    }
    pw_ingest_free(&a);
    pw_ingest_free(&b);
    holder_release(&h);
    pw_recs_free(&r);
    cw_free(w);
}

/* ---------------------------------------------- a destination stopped */

/* The child's data.put_batch: the first call stops the process (SIGSTOP)
 * before it is handed to the data service, which stores it once the
 * process goes on; the records may be stored, whatever the caller saw. */
typedef struct stopper {
    sipc_handler_fn fn;
    void *arg;
    int calls;
} stopper;

static void on_stop_first(sipc_request *req, void *arg)
{
    stopper *s = arg;
    if (s->calls++ == 0)
        raise(SIGSTOP);
    s->fn(req, s->arg);
}

/* The child's router: its first data.put_batch stops it. */
static int stop_first(sipc_router *router)
{
    static stopper s;
    const sipc_route *rt = sipc__router_lookup(router, "data", 4, "put_batch", 9);
    if (!rt)
        return 1;
    s.fn = rt->fn;
    s.arg = rt->arg;
    return sipc_router_add(router, "data", "put_batch", on_stop_first, &s);
}

/* Starts the child on dir, on 127.1.151.3; w->dest names it. */
static void cw_dest_child(cw *w, const char *dir)
{
    w->dhost = "127.1.151.3";
    w->child = pw_child_data(dir, w->dhost, &w->dport);
    snprintf(w->dest, sizeof w->dest, "127.1.151.3:%d", w->dport);
}

static void on_list(int err, const sipc_reply *rep, void *arg)
{
    int *n = arg;
    *n = -1;
    if (err != 0)
        return;
    Sipc__Data__ListResponse *m = sipc__data__list_response__unpack(NULL, rep->len, rep->data);
    if (m) {
        *n = (int)m->n_records;
        sipc__data__list_response__free_unpacked(m, NULL);
    }
}

/* How many records the child stores (data.list), -1 on failure. */
static int child_count(cw *w, sipc_channel *ch)
{
    Sipc__Data__ListRequest m = SIPC__DATA__LIST_REQUEST__INIT;
    m.limit = 1000;
    uint8_t buf[64];
    size_t len = sipc__data__list_request__pack(&m, buf);
    int n = -2;
    assert_int_equal(sipc_call(ch, "data", "list", buf, len, 3000, on_list, &n), 0);
    for (int i = 0; i < 400 && n == -2; i++)
        uv_run(&w->loop, UV_RUN_ONCE);
    return n;
}

/* The batch is in the destination's handler when its process stops. The
 * keepalive ends the connection under it (SIPC_EKEEPALIVE); the batch is
 * sent again, and the redials find a listener that accepts and says nothing
 * (SIPC_ESILENT), until the deadline: its records are UNAVAILABLE "may
 * still be stored", which they are once the process goes on. Records sent
 * once the link is known down never leave: answered at once, without that
 * note, and not stored. */
static void t_destination_stopped(void **state)
{
    (void)state;
    cw *w = cw_new();
    char *home = tu_mkdtemp("plstop");
    char dir[600];
    snprintf(dir, sizeof dir, "%s/data", home);
    cw_dest_child(w, dir);
    sipc_pipeline_options o;
    sipc_pipeline_options_init(&o);
    o.link_down_ms = 800;
    /* the keepalive's own path: the pipeline's judgement of a silent
     * destination, which would come first, is test_pipeline_unresponsive's */
    o.unresponsive_ms = 60000;
    sipc_options lo;
    opts(&lo, "pl", &w->log);
    lo.keepalive_ms = 100;
    lo.keepalive_timeout_ms = 300;
    lo.idle_timeout_ms = 0;
    lo.handshake_timeout_ms = 300;
    cw_pipeline(w, &o, &lo, 1);
    pw_recs r;
    pw_recs_make(&r, "st", 0, 30);
    pw_ingest a = {.count = NULL}, b = {.count = NULL};
    pw_ingest_on(w->ch[0], r.p, 20, w->dest, 3000, &a);
    assert_true(tu_run_until(&w->loop, &a.done, 8000));
    expect_records(&a, 20, SIPC__PIPELINE__RECORD_STATUS__UNAVAILABLE, NULL, 1);
    const char *why = a.resp->results[0]->reason;
    /* the keepalive's verdict, or the link's when it went down first */
    if (!strstr(why, "no answer to a keepalive PING") && !strstr(why, "its link is down since"))
        fail_msg("record 0: %s", why);
    if (!tu_log_has(&w->log, "no answer to a keepalive PING")) {
        fprintf(stderr, "%s", w->log.buf ? w->log.buf : "");
        fail_msg("no keepalive failure in the log above");
    }

    /* known down now, and silent: refused at once, never sent */
    int none = 0;
    tu_run_until(&w->loop, &none, 300);
    uint64_t t1 = uv_now(&w->loop);
    pw_ingest_on(w->ch[0], r.p + 20, 10, w->dest, 3000, &b);
    assert_true(tu_run_until(&w->loop, &b.done, 5000));
    expect_records(&b, 10, SIPC__PIPELINE__RECORD_STATUS__UNAVAILABLE,
                   "not sent: its link is down since", 0);
    why = b.resp->results[0]->reason;
    if (!strstr(why, "nothing received from it for"))
        fail_msg("record 20: not the silence of a stopped process: %s", why);
    assert_true(uv_now(&w->loop) - t1 < 1000);

    /* the process goes on: what it had is stored, what never left is not */
    assert_int_equal(kill(w->child, SIGCONT), 0);
    sipc_channel *look;
    assert_int_equal(sipc_channel_open(&look, w->cctx, "127.1.151.3", w->dport, NULL), 0);
    int stored = -1;
    for (int i = 0; i < 50 && stored != 20; i++) {
        stored = child_count(w, look);
        if (stored != 20)
            tu_run_until(&w->loop, &none, 100);
    }
    assert_int_equal(stored, 20);
    pw_ingest_free(&a);
    pw_ingest_free(&b);
    pw_recs_free(&r);
    cw_free(w);
    tu_rmdir(home);
    free(home);
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "--serve-data"))
        return pw_child_data_serve(argv[2], argv[3], stop_first);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_conn_address_reused),
        cmocka_unit_test(t_connection_error_retried),
        cmocka_unit_test(t_destination_stopped),
    };
    return cmocka_run_group_tests_name("pipeline connections", tests, NULL, NULL);
}
