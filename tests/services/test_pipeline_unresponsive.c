/* test_pipeline_unresponsive.c - a destination that stops answering does
 * not hold the other destinations' records, on 127.1.244.1-3:
 * - a data service in a child process, stopped with SIGSTOP, beside a
 *   healthy one: a request's records for the healthy one are COMMITTED
 *   within about unresponsive_ms, the stopped one's UNAVAILABLE naming it and
 *   how long it has been silent ("may still be stored": they went out), the
 *   next request's at once (never sent); once it goes on (SIGCONT) it is
 *   taken back, the records it got while stopped are stored, and a resend
 *   of everything commits, the stored ones UNCHANGED;
 * - a destination slower than unresponsive_ms to answer its puts but whose
 *   loop runs (it answers the PING) is not cut off: its records commit. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "ipc/internal.h" /* sipc__router_lookup */
#include "pipeline_test_support.h"

#define SILENT_MS 600
#define HEALTHY_HOST "127.1.244.1"
#define CHILD_HOST "127.1.244.2"
#define PIPE_HOST "127.1.244.3"

/* One loop: a healthy data service (hctx), maybe a child's, the pipeline
 * toward them in a context of its own, and a producer. */
typedef struct uw {
    uv_loop_t loop;
    sipc_security *sec;
    tu_log log;
    char *home;
    sipc_data *d;
    sipc_router *drouter;
    sipc_ctx *dctx;
    sipc_server *dsrv;
    char healthy[64];
    pid_t child;
    int child_port;
    char child_name[64];
    sipc_ctx *pctx, *sctx, *cctx;
    sipc_router *prouter;
    sipc_server *psrv;
    sipc_pipeline *p;
    sipc_channel *ch;
} uw;

static void opts(sipc_options *o, const char *id, tu_log *log)
{
    pw_options(o, id, log);
    o->source_address = PIPE_HOST; /* the test's own block at both ends */
}

static void on_flag(void *arg)
{
    *(int *)arg = 1;
}

/* The healthy data service, and with_child the child's; then the pipeline
 * toward them (unresponsive_ms SILENT_MS) and a producer. */
static uw *uw_new(int with_child)
{
    uw *w = calloc(1, sizeof *w);
    assert_non_null(w);
    assert_int_equal(uv_loop_init(&w->loop), 0);
    assert_int_equal(sipc_security_plain(&w->sec), 0);
    w->home = tu_mkdtemp("plsilent");
    char dir[600], err[512] = "";
    snprintf(dir, sizeof dir, "%s/healthy", w->home);
    if (sipc_data_open(&w->d, &w->loop, dir, NULL, err, sizeof err) != 0)
        fail_msg("sipc_data_open: %s", err);
    assert_int_equal(sipc_router_new(&w->drouter), 0);
    assert_int_equal(sipc_data_register(w->d, w->drouter), 0);
    sipc_options o;
    opts(&o, "healthy", &w->log);
    assert_int_equal(sipc_ctx_new(&w->dctx, &w->loop, &o, w->sec), 0);
    assert_int_equal(
        sipc_server_listen(&w->dsrv, w->dctx, "Data Service", HEALTHY_HOST, 0, w->drouter), 0);
    snprintf(w->healthy, sizeof w->healthy, HEALTHY_HOST ":%d", sipc_server_port(w->dsrv));
    sipc_pipeline_dest dests[2] = {{NULL, HEALTHY_HOST, sipc_server_port(w->dsrv)}};
    size_t ndests = 1;
    if (with_child) {
        snprintf(dir, sizeof dir, "%s/child", w->home);
        w->child = pw_child_data(dir, CHILD_HOST, &w->child_port);
        snprintf(w->child_name, sizeof w->child_name, CHILD_HOST ":%d", w->child_port);
        dests[1] = (sipc_pipeline_dest){NULL, CHILD_HOST, w->child_port};
        ndests = 2;
    }

    sipc_options po, lo;
    opts(&po, "pl", &w->log);
    opts(&lo, "pl", &w->log);
    /* the keepalive does not close the stopped child's connection while it
     * is stopped here: the pipeline's own judgement is what answers */
    lo.keepalive_timeout_ms = 20000;
    assert_int_equal(sipc_ctx_new(&w->pctx, &w->loop, &po, w->sec), 0);
    sipc_pipeline_options plo;
    sipc_pipeline_options_init(&plo);
    plo.dests = dests;
    plo.ndests = ndests;
    plo.link_options = &lo;
    plo.unresponsive_ms = SILENT_MS;
    if (sipc_pipeline_open(&w->p, w->pctx, &plo, err, sizeof err) != 0)
        fail_msg("sipc_pipeline_open: %s", err);
    assert_int_equal(sipc_pipeline_unresponsive_ms(w->p), SILENT_MS);
    assert_int_equal(sipc_router_new(&w->prouter), 0);
    assert_int_equal(sipc_pipeline_register(w->p, w->prouter), 0);
    assert_int_equal(sipc_ctx_new(&w->sctx, &w->loop, &po, w->sec), 0);
    assert_int_equal(sipc_server_listen(&w->psrv, w->sctx, "Pipeline", PIPE_HOST, 0, w->prouter), 0);
    opts(&o, "producer", &w->log);
    assert_int_equal(sipc_ctx_new(&w->cctx, &w->loop, &o, w->sec), 0);
    assert_int_equal(
        sipc_channel_open(&w->ch, w->cctx, PIPE_HOST, sipc_server_port(w->psrv), NULL), 0);
    return w;
}

static void uw_free(uw *w)
{
    sipc_ctx_close(w->cctx, NULL, NULL);
    sipc_ctx_close(w->sctx, NULL, NULL);
    int closed = 0;
    sipc_pipeline_close(w->p, on_flag, &closed);
    assert_true(tu_run_until(&w->loop, &closed, 10000));
    sipc_ctx_close(w->pctx, NULL, NULL);
    sipc_ctx_close(w->dctx, NULL, NULL);
    closed = 0;
    sipc_data_close(w->d, on_flag, &closed);
    assert_true(tu_run_until(&w->loop, &closed, 10000));
    if (w->child > 0) {
        kill(w->child, SIGKILL);
        waitpid(w->child, NULL, 0);
    }
    assert_true(tu_drain(&w->loop, 10000));
    assert_int_equal(uv_loop_close(&w->loop), 0);
    sipc_router_free(w->drouter);
    sipc_router_free(w->prouter);
    sipc_security_release(w->sec);
    tu_rmdir(w->home);
    free(w->home);
    tu_log_free(&w->log);
    free(w);
}

static const char *reason_of(const pw_ingest *g, size_t i)
{
    return sipc_pipeline_result_reason(g->resp, i);
}

/* Sends recs[0..n) and waits for the answer; returns how long it took (ms). */
static uint64_t ingest(uw *w, Sipc__Data__Record **recs, size_t n, pw_ingest *g)
{
    memset(g, 0, sizeof *g);
    uint64_t t0 = uv_now(&w->loop);
    pw_ingest_on(w->ch, recs, n, NULL, 8000, g);
    assert_true(tu_run_until(&w->loop, &g->done, 15000));
    if (g->err != 0)
        fail_msg("ingest failed: %s status %d: %s", sipc_err_name(g->err), g->status, g->message);
    assert_int_equal(g->resp->n_results, n);
    return uv_now(&w->loop) - t0;
}

/* Each record of g: COMMITTED when it goes to the healthy destination, else
 * UNAVAILABLE naming the child as unresponsive, "may still be stored" as
 * maybe says. Returns how many went to the child. */
static size_t expect_split(uw *w, const pw_recs *r, const pw_ingest *g, int maybe)
{
    char who[160];
    snprintf(who, sizeof who, "child (%s) unresponsive: nothing received from it for ",
             w->child_name);
    size_t to_child = 0;
    for (size_t i = 0; i < r->n; i++) {
        const Sipc__Pipeline__RecordResult *x = g->resp->results[i];
        size_t dest = sipc_pipeline_route(w->p, r->id[i], strlen(r->id[i]));
        const char *why = reason_of(g, i);
        if (dest == 0) {
            if (x->status != SIPC__PIPELINE__RECORD_STATUS__COMMITTED)
                fail_msg("record %zu for the healthy node: status %d: %s", i, x->status, why);
            continue;
        }
        to_child++;
        if (x->status != SIPC__PIPELINE__RECORD_STATUS__UNAVAILABLE || !strstr(why, who) ||
            !strstr(why, "not even the answer to a PING") ||
            (strstr(why, "; may still be stored: send them again") != NULL) != maybe)
            fail_msg("record %zu for the stopped child: status %d, reason '%s' (expected "
                     "UNAVAILABLE, '%s'%s)",
                     i, x->status, why, who, maybe ? ", may still be stored" : "");
    }
    assert_true(to_child > 0 && to_child < r->n);
    return to_child;
}

static void on_silent(void *arg, const sipc_pipeline_silent *s)
{
    *(sipc_pipeline_silent *)arg = *s;
}

/* The child stops: the healthy node's records do not wait for it. */
static void t_stopped_beside_healthy(void **state)
{
    (void)state;
    uw *w = uw_new(1);
    pw_recs warm, r1, r2;
    pw_recs_make(&warm, "warm", 0, 20);
    pw_recs_make(&r1, "one", 0, 40);
    pw_recs_make(&r2, "two", 0, 40);
    pw_ingest g;
    /* both links up, the child's node id known */
    ingest(w, warm.p, warm.n, &g);
    for (size_t i = 0; i < warm.n; i++)
        assert_int_equal(g.resp->results[i]->status, SIPC__PIPELINE__RECORD_STATUS__COMMITTED);
    pw_ingest_free(&g);

    assert_int_equal(kill(w->child, SIGSTOP), 0);
    /* its batch goes out and nothing comes back: answered after about
     * SILENT_MS, not at the deadline (8 s) */
    uint64_t took = ingest(w, r1.p, r1.n, &g);
    if (took >= 3000)
        fail_msg("the request was answered after %llu ms, held by the stopped node",
                 (unsigned long long)took);
    assert_true(took >= SILENT_MS);
    size_t child1 = expect_split(w, &r1, &g, 1);
    pw_ingest_free(&g);
    if (!tu_log_has(&w->log, "UNAVAILABLE at once until it answers again")) {
        fprintf(stderr, "%s", w->log.buf ? w->log.buf : "");
        fail_msg("no WARN of the silent destination in the log above");
    }
    sipc_pipeline_silent s = {0};
    assert_int_equal(sipc_pipeline_silent_each(w->p, on_silent, &s), 1);
    assert_string_equal(s.name, w->child_name);
    assert_string_equal(s.node, "child");
    assert_true(s.silent_ms >= SILENT_MS);

    /* its next records never go out: answered at once */
    took = ingest(w, r2.p, r2.n, &g);
    if (took >= 500)
        fail_msg("the second request took %llu ms", (unsigned long long)took);
    size_t child2 = expect_split(w, &r2, &g, 0);
    pw_ingest_free(&g);

    /* it goes on: anything from it takes it back */
    assert_int_equal(kill(w->child, SIGCONT), 0);
    for (int i = 0; i < 100 && !tu_log_has(&w->log, "answers again after"); i++) {
        int none = 0;
        tu_run_until(&w->loop, &none, 50);
    }
    if (!tu_log_has(&w->log, "answers again after")) {
        fprintf(stderr, "%s", w->log.buf ? w->log.buf : "");
        fail_msg("the child was not taken back (log above)");
    }
    assert_int_equal(sipc_pipeline_silent_each(w->p, NULL, NULL), 0);

    /* everything again: the batch the child had while stopped was stored
     * (UNCHANGED now), the one never sent is new there */
    Sipc__Data__Record *all[80];
    memcpy(all, r1.p, 40 * sizeof *all);
    memcpy(all + 40, r2.p, 40 * sizeof *all);
    ingest(w, all, 80, &g);
    for (size_t i = 0; i < 80; i++)
        if (g.resp->results[i]->status != SIPC__PIPELINE__RECORD_STATUS__COMMITTED)
            fail_msg("record %zu after SIGCONT: status %d: %s", i, g.resp->results[i]->status,
                     reason_of(&g, i));
    assert_int_equal(g.resp->created, child2);
    assert_int_equal(g.resp->unchanged, 80 - child2);
    assert_true(child1 > 0);
    pw_ingest_free(&g);
    pw_recs_free(&warm);
    pw_recs_free(&r1);
    pw_recs_free(&r2);
    uw_free(w);
}

/* data.put_batch held for three times unresponsive_ms before the data
 * service has it, the loop running meanwhile (its PING is answered). */
typedef struct slow {
    sipc_handler_fn fn; /* the data service's own */
    void *arg;
    sipc_request *req[8];
    int n, passed;
    uv_timer_t timer;
} slow;

static void on_slow_timer(uv_timer_t *t)
{
    slow *s = t->data;
    for (int i = 0; i < s->n; i++)
        s->fn(s->req[i], s->arg);
    s->passed += s->n;
    s->n = 0;
}

static void on_slow_put(sipc_request *req, void *arg)
{
    slow *s = arg;
    assert_true(s->n < 8);
    s->req[s->n++] = req;
    if (s->n == 1)
        uv_timer_start(&s->timer, on_slow_timer, 3 * SILENT_MS, 0);
}

static void t_slow_not_cut_off(void **state)
{
    (void)state;
    uw *w = uw_new(0);
    const sipc_route *rt = sipc__router_lookup(w->drouter, "data", 4, "put_batch", 9);
    assert_non_null(rt);
    slow s = {.fn = rt->fn, .arg = rt->arg}; /* the entry is replaced below */
    uv_timer_init(&w->loop, &s.timer);
    s.timer.data = &s;
    assert_int_equal(sipc_router_add(w->drouter, "data", "put_batch", on_slow_put, &s), 0);
    pw_recs r;
    pw_recs_make(&r, "slow", 0, 20);
    pw_ingest g;
    uint64_t took = ingest(w, r.p, r.n, &g);
    for (size_t i = 0; i < r.n; i++)
        if (g.resp->results[i]->status != SIPC__PIPELINE__RECORD_STATUS__COMMITTED)
            fail_msg("record %zu of the slow node: status %d: %s", i, g.resp->results[i]->status,
                     reason_of(&g, i));
    assert_true(took >= 3 * SILENT_MS);
    assert_int_equal(s.passed, 1);
    assert_false(tu_log_has(&w->log, "nothing received from it"));
    assert_int_equal(sipc_pipeline_silent_each(w->p, NULL, NULL), 0);
    pw_ingest_free(&g);
    pw_recs_free(&r);
    uv_close((uv_handle_t *)&s.timer, NULL);
    uw_free(w);
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "--serve-data"))
        return pw_child_data_serve(argv[2], argv[3], NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_stopped_beside_healthy),
        cmocka_unit_test(t_slow_not_cut_off),
    };
    return cmocka_run_group_tests_name("pipeline unresponsive", tests, NULL, NULL);
}
