/* load_send.c - the sending engine: records paced at --rate, in small
 * batches through the pipelines of the chosen nodes (round robin, a node
 * whose link is down, or up but silent while calls wait on it, skipped
 * while another answers), a bounded window of
 * ingest calls in flight. A call that fails before its records could be
 * acknowledged (connection closed by a reload, refused while a node
 * restarts, a deadline) and records the pipeline answers UNAVAILABLE are
 * sent again with the same ids, after a backoff, until their deadline; only
 * then, or on an explicit refusal, are they errors. Every step is a ledger
 * line. A search of the run's records every second notes whether the
 * cluster answered whole or partial, and which node was missing. */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "load.h"
#include "services/common/err_line.h"
#include "pipeline.pb-c.h"
#include "pipeline_service.h"

#define WINDOW 16              /* ingest calls in flight */
#define TICK_MS 20
#define CALL_TIMEOUT_MS 10000  /* per ingest call at most; the pipeline answers within it */
#define SILENT_MS 1500         /* calls waiting on a node that sent nothing this long: suspect */
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000
#define PROGRESS_MS 1000       /* a P line */
#define SEARCH_EVERY_MS 1000
#define SEARCH_TIMEOUT_MS 3000
#define SEARCHES 2             /* in flight: one toward a frozen node does not stop the next */
#define SEARCH_WINDOW_MS 5000  /* a search looks at the last 5 s of records */
#define READY_MS 15000         /* start: how long to wait for a first pipeline link */
#define HOME_CHECK_MS 500      /* how often the client home's security files are looked at */
#define HOME_SETTLE_MS 300     /* a change is loaded once its files stayed the same this long */
#define MAX_BODY 256
#define MAX_ID 96

typedef struct sender sender;

/* A node's pipeline connections, for the log: the certificates of both ends
 * of the last one that came up ("" before the first). */
typedef struct link_note {
    sender *s;
    int k;
    char fps[80];
} link_note;

typedef struct batch {
    struct batch *next; /* in the retry list */
    sender *s;
    size_t n;
    uint64_t *seq;
    int64_t *ts;        /* each record's timestamp, kept so a re-send is identical */
    uint64_t born;      /* loop ms of the first send: the deadline counts from it */
    uint64_t due;       /* in the retry list: when to send again */
    uint32_t backoff;
    int sent_before;
    int node;           /* where it was last sent */
    sipc_channel *ch;   /* on which channel */
    char reason[240];   /* the last failure */
} batch;

struct sender {
    const load_send_conf *conf;
    uv_loop_t loop;
    sipc_ctx *ctx;
    sipc_channel *pipe[LOAD_MAX_NODES]; /* by position in conf->nodes */
    size_t pipe_calls[LOAD_MAX_NODES];
    sipc_channel *old[LOAD_MAX_NODES];  /* --reconnect: closed once its calls are answered */
    size_t old_calls[LOAD_MAX_NODES];
    uint64_t next_reconnect;
    sipc_channel *search[LOAD_MAX_NODES];
    /* the client home's security: what was loaded, a change seen and since
     * when, a change that did not load */
    load_home_stamp home, home_seen, home_failed;
    uint64_t home_seen_at, next_home_check;
    link_note note[LOAD_MAX_NODES];
    uv_timer_t tick;
    uv_signal_t sigterm, sigint;
    int stopping, closing, ready, signals;
    uint64_t started, t0;          /* loop ms: engine start, first link up */
    double credit;                 /* records the rate allows so far */
    uint64_t last_tick;
    uint64_t generated;            /* the next seq */
    uint64_t rr, search_rr;
    size_t calls;                  /* ingest calls in flight */
    uint64_t outstanding;          /* records sent, neither acknowledged nor failed */
    batch *retry;
    uint64_t acked, errors, retries;
    uint64_t last_progress, longest_stall, max_latency;
    uint64_t next_p, next_search;
    uint64_t reconnects;
    int searching;                 /* searches in flight */
    int exit_code;
    uint32_t call_timeout_ms;
};

/* ------------------------------------------------------------------ helpers */

static void clean_reason(char *s)
{
    for (; *s; s++)
        if (*s == '\n' || *s == '\r' || *s == '\t')
            *s = ' ';
}

static void batch_free(batch *b)
{
    if (!b)
        return;
    free(b->seq);
    free(b->ts);
    free(b);
}

static batch *batch_new(sender *s, size_t n)
{
    batch *b = calloc(1, sizeof *b);
    if (b) {
        b->s = s;
        b->seq = calloc(n ? n : 1, sizeof *b->seq);
        b->ts = calloc(n ? n : 1, sizeof *b->ts);
        b->backoff = BACKOFF_MIN_MS;
    }
    if (!b || !b->seq || !b->ts) {
        batch_free(b);
        return NULL;
    }
    return b;
}

/* Whether node k's pipeline link is up and answering. A node stopped or
 * cut off keeps its TCP connection up, and every call sent through it would
 * wait out CALL_TIMEOUT_MS in the window: one whose calls wait with nothing
 * heard from it for SILENT_MS is asked with a PING at once (a live node
 * answers it within milliseconds, and is back) and passed over meanwhile. */
static int answering(sender *s, int k)
{
    sipc_channel *ch = s->pipe[k];
    if (!sipc_channel_is_up(ch))
        return 0;
    sipc_link_info li;
    if (!s->pipe_calls[k] || sipc_channel_info(ch, &li) != 0 || li.silent_ms < SILENT_MS)
        return 1;
    if (!li.ping_wait_ms)
        (void)sipc_channel_ping(ch); /* SIPC_EINVAL with keepalive off: nothing to time it */
    return 0;
}

/* A node whose link is up, taking turns (for the pipelines, first one that
 * is also answering); any node when none is. */
static int pick(sender *s, sipc_channel **chs, uint64_t *rr)
{
    int n = s->conf->nnodes;
    for (int pass = chs == s->pipe ? 0 : 1; pass < 2; pass++)
        for (int i = 0; i < n; i++) {
            int k = (int)((*rr + (uint64_t)i) % (uint64_t)n);
            if (pass ? sipc_channel_is_up(chs[k]) : answering(s, k)) {
                *rr = (uint64_t)k + 1;
                return k;
            }
        }
    return (int)((*rr)++ % (uint64_t)n);
}

static const char *node_name(const sender *s, int k)
{
    return s->conf->c->node[s->conf->nodes[k]].name;
}

static void progress_line(sender *s)
{
    load_ledger_line(s->conf->lg, "P %" PRId64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
                                  " %" PRIu64 " %" PRIu64 " %" PRIu64,
                     load_now_ms(), s->generated, s->acked, s->errors, s->outstanding,
                     s->longest_stall, s->max_latency, s->retries);
}

/* Records of b (or those of b marked in `which`) failed for good. */
static void fail_records(sender *s, batch *b, const char *why)
{
    load_text t = {0};
    for (size_t i = 0; i < b->n; i++)
        load_seqs_add(&t, b->seq[i]);
    char reason[300];
    snprintf(reason, sizeof reason, "%s", why);
    clean_reason(reason);
    load_ledger_line(s->conf->lg, "E %" PRId64 " %s %s", load_now_ms(), load_seqs_end(&t), reason);
    load_log("ERROR", "%zu record(s) failed for good (%s): %s", b->n, t.s, reason);
    load_text_free(&t);
    s->errors += b->n;
    s->outstanding -= b->n;
}

/* b's records were not acknowledged: send them again after a backoff, or
 * fail them when their deadline has passed. */
static void retry_later(sender *s, batch *b, const char *why)
{
    snprintf(b->reason, sizeof b->reason, "%s", why);
    clean_reason(b->reason);
    if (s->closing) { /* abandoned: they stay outstanding in the ledger */
        batch_free(b);
        return;
    }
    uint64_t now = uv_now(&s->loop);
    if (now >= b->born + (uint64_t)s->conf->deadline * 1000) {
        char msg[400];
        snprintf(msg, sizeof msg, "not acknowledged within %d s; last: %s", s->conf->deadline,
                 b->reason);
        fail_records(s, b, msg);
        batch_free(b);
        return;
    }
    b->due = now + b->backoff;
    b->backoff = b->backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : b->backoff * 2;
    b->next = s->retry;
    s->retry = b;
}

static void acknowledged(sender *s, uint64_t n, uint64_t born)
{
    uint64_t now = uv_now(&s->loop);
    if (now - s->last_progress > s->longest_stall)
        s->longest_stall = now - s->last_progress;
    s->last_progress = now;
    if (now - born > s->max_latency)
        s->max_latency = now - born;
    s->acked += n;
    s->outstanding -= n;
}

/* ------------------------------------------------------------------ ingest */

static void send_batch(batch *b);

static void take_answer(sender *s, batch *b, const sipc_reply *rep)
{
    Sipc__Pipeline__IngestResponse *m =
        sipc__pipeline__ingest_response__unpack(NULL, rep->len, rep->data);
    if (!m || m->n_results != b->n) {
        if (m)
            sipc__pipeline__ingest_response__free_unpacked(m, NULL);
        retry_later(s, b, "the pipeline's answer does not match the request");
        return;
    }
    /* acknowledged ones, one A line per destination */
    uint8_t *done = calloc(b->n, 1);
    if (!done) {
        sipc__pipeline__ingest_response__free_unpacked(m, NULL);
        retry_later(s, b, "out of memory");
        return;
    }
    uint64_t committed = 0;
    for (size_t i = 0; i < b->n; i++) {
        if (done[i] || m->results[i]->status != SIPC__PIPELINE__RECORD_STATUS__COMMITTED)
            continue;
        const char *dest = m->results[i]->node && *m->results[i]->node ? m->results[i]->node : "-";
        load_text t = {0};
        for (size_t j = i; j < b->n; j++) {
            const Sipc__Pipeline__RecordResult *x = m->results[j];
            const char *d = x->node && *x->node ? x->node : "-";
            if (!done[j] && x->status == SIPC__PIPELINE__RECORD_STATUS__COMMITTED &&
                !strcmp(d, dest)) {
                done[j] = 1;
                load_seqs_add(&t, b->seq[j]);
                committed++;
            }
        }
        char dn[160];
        snprintf(dn, sizeof dn, "%s", dest);
        for (char *p = dn; *p; p++)
            if (*p == ' ')
                *p = '_';
        load_ledger_line(s->conf->lg, "A %" PRId64 " %s %s", load_now_ms(), dn, load_seqs_end(&t));
        load_text_free(&t);
    }
    if (committed)
        acknowledged(s, committed, b->born);
    /* refused by the data service: errors; not acknowledged: again */
    batch *again = NULL;
    for (size_t i = 0; i < b->n; i++) {
        const Sipc__Pipeline__RecordResult *x = m->results[i];
        if (done[i])
            continue;
        if (x->status == SIPC__PIPELINE__RECORD_STATUS__UNAVAILABLE) {
            if (!again && (again = batch_new(s, b->n)) != NULL) {
                again->born = b->born;
                again->backoff = b->backoff;
                again->sent_before = 1;
                snprintf(again->reason, sizeof again->reason, "UNAVAILABLE from %s: %s",
                         x->node ? x->node : "?", sipc_pipeline_result_reason(m, i));
            }
            if (again) {
                again->seq[again->n] = b->seq[i];
                again->ts[again->n++] = b->ts[i];
                continue;
            }
        }
        batch one = {.n = 1, .seq = &b->seq[i]};
        char why[400];
        snprintf(why, sizeof why, "%s by %s: %s",
                 x->status == SIPC__PIPELINE__RECORD_STATUS__REJECTED ? "rejected" : "failed",
                 x->node ? x->node : "?", sipc_pipeline_result_reason(m, i));
        fail_records(s, &one, why);
    }
    free(done);
    sipc__pipeline__ingest_response__free_unpacked(m, NULL);
    if (again) {
        char why[sizeof again->reason];
        memcpy(why, again->reason, sizeof why);
        retry_later(s, again, why);
    }
    batch_free(b);
}

/* A call on b->ch ended: an old channel with nothing left in flight goes. */
static void call_ended(sender *s, batch *b)
{
    s->calls--;
    int k = b->node;
    if (b->ch == s->pipe[k]) {
        s->pipe_calls[k]--;
    } else if (b->ch == s->old[k] && --s->old_calls[k] == 0 && !s->closing) {
        sipc_channel_close(s->old[k], NULL, NULL);
        s->old[k] = NULL;
    }
    b->ch = NULL;
}

static void on_ingest(int err, const sipc_reply *rep, void *arg)
{
    batch *b = arg;
    sender *s = b->s;
    call_ended(s, b);
    if (err == 0) {
        take_answer(s, b, rep);
        return;
    }
    char why[400];
    cli_err_line(why, sizeof why, err, rep ? rep->message : NULL);
    int st = rep ? rep->status : 0;
    if ((err == SIPC_EREMOTE && (st == SIPC__PIPELINE__STATUS__BAD_REQUEST ||
                                 st == SIPC__PIPELINE__STATUS__TOO_LARGE ||
                                 st == SIPC__PIPELINE__STATUS__UNKNOWN_NODE)) ||
        err == SIPC_ENOMETHOD) {
        fail_records(s, b, why); /* the request itself is refused: resending is useless */
        batch_free(b);
        return;
    }
    retry_later(s, b, why); /* BUSY, CLOSING, transport failures, deadlines */
}

/* The ingest request of b, packed; NULL without memory. */
static uint8_t *pack_batch(const sender *s, const batch *b, size_t *len)
{
    size_t n = b->n;
    Sipc__Data__Record *recs = calloc(n, sizeof *recs);
    Sipc__Data__Record **ptrs = calloc(n, sizeof *ptrs);
    Sipc__Data__Attribute *attrs = calloc(2 * n, sizeof *attrs);
    Sipc__Data__Attribute **aptrs = calloc(2 * n, sizeof *aptrs);
    char *text = malloc(n * (MAX_ID * 2 + MAX_BODY));
    uint8_t *out = NULL;
    if (!recs || !ptrs || !attrs || !aptrs || !text)
        goto done;
    const char *run = s->conf->run;
    for (size_t i = 0; i < n; i++) {
        char *id = text + i * (MAX_ID * 2 + MAX_BODY), *seq = id + MAX_ID, *body = seq + MAX_ID;
        sipc__data__record__init(&recs[i]);
        recs[i].id.data = (uint8_t *)id;
        recs[i].id.len = load_record_id(run, b->seq[i], id, MAX_ID);
        recs[i].timestamp_ms = b->ts[i];
        recs[i].body.data = (uint8_t *)body;
        recs[i].body.len = load_record_body(run, b->seq[i], body, MAX_BODY);
        snprintf(seq, MAX_ID, "%" PRIu64, b->seq[i]);
        for (int a = 0; a < 2; a++) {
            Sipc__Data__Attribute *x = &attrs[2 * i + (size_t)a];
            sipc__data__attribute__init(x);
            const char *k = a ? LOAD_ATTR_SEQ : LOAD_ATTR_RUN, *v = a ? seq : run;
            x->key.data = (uint8_t *)k;
            x->key.len = strlen(k);
            x->value.data = (uint8_t *)v;
            x->value.len = strlen(v);
            aptrs[2 * i + (size_t)a] = x;
        }
        recs[i].attributes = &aptrs[2 * i];
        recs[i].n_attributes = 2;
        ptrs[i] = &recs[i];
    }
    Sipc__Pipeline__IngestRequest req = SIPC__PIPELINE__INGEST_REQUEST__INIT;
    req.records = ptrs;
    req.n_records = n;
    *len = sipc__pipeline__ingest_request__get_packed_size(&req);
    out = malloc(*len ? *len : 1);
    if (out)
        sipc__pipeline__ingest_request__pack(&req, out);
done:
    free(recs);
    free(ptrs);
    free(attrs);
    free(aptrs);
    free(text);
    return out;
}

static void send_batch(batch *b)
{
    sender *s = b->s;
    int k = pick(s, s->pipe, &s->rr);
    load_text t = {0};
    for (size_t i = 0; i < b->n; i++)
        load_seqs_add(&t, b->seq[i]);
    if (b->sent_before) {
        load_ledger_line(s->conf->lg, "R %" PRId64 " %s %s %s", load_now_ms(), node_name(s, k),
                         load_seqs_end(&t), b->reason);
        s->retries += b->n;
    } else {
        /* T is the records' own timestamp (one for a new batch), which
         * verification compares with what is stored */
        load_ledger_line(s->conf->lg, "S %" PRId64 " %s %s", b->ts[0], node_name(s, k),
                         load_seqs_end(&t));
        b->sent_before = 1;
    }
    load_text_free(&t);
    size_t len = 0;
    uint8_t *buf = pack_batch(s, b, &len);
    int e = buf ? sipc_call(s->pipe[k], SIPC_PIPELINE_SERVICE, SIPC_PIPELINE_INGEST, buf, len,
                            s->call_timeout_ms, on_ingest, b)
                : SIPC_ENOMEM;
    b->node = k;
    b->ch = s->pipe[k];
    free(buf);
    if (e != 0) {
        char why[200];
        snprintf(why, sizeof why, "call to %s not made: %s", node_name(s, k), sipc_strerror(e));
        retry_later(s, b, why);
        return;
    }
    s->calls++;
    s->pipe_calls[k]++;
}

/* A certificate's fingerprint for the log: its first 16 hex digits. */
static const char *short_fp(const sipc_security *sec, char *out, size_t cap)
{
    const char *fp = sipc_security_fingerprint(sec);
    snprintf(out, cap, "%.16s", fp && *fp ? fp : "none");
    return out;
}

/* A pipeline connection came up: the log says so, with the certificate it
 * presented (of the security it was made with) and the node's, when either
 * differs from the previous connection's to that node; a plaintext one
 * says that it has no certificates at all. */
static void on_pipe_conn(sipc_conn *conn, sipc_conn_event ev, int err, void *arg)
{
    link_note *ln = arg;
    (void)err;
    sipc_peer_info pi;
    if (ev != SIPC_CONN_UP || sipc_conn_info(conn, &pi) != 0)
        return;
    const sipc_security *sec = sipc_conn_security(conn);
    char fp[40] = "none", node_fp[40] = "none";
    if (pi.tls && sec)
        short_fp(sec, fp, sizeof fp);
    if (pi.tls && pi.peer_fingerprint[0])
        snprintf(node_fp, sizeof node_fp, "%.16s", pi.peer_fingerprint);
    char fps[sizeof ln->fps];
    snprintf(fps, sizeof fps, "%s %s", fp, node_fp);
    if (!strcmp(fps, ln->fps))
        return;
    memcpy(ln->fps, fps, sizeof fps);
    if (!pi.tls)
        load_log("INFO", "pipeline connection to %s up, plaintext (no certificates)",
                 node_name(ln->s, ln->k));
    else
        load_log("INFO", "pipeline connection to %s up, certificate %s, the node's %s",
                 node_name(ln->s, ln->k), fp, node_fp);
}

/* --reconnect: a new pipeline channel to every node; the old one takes no
 * new call and is closed once its calls are answered, so every connection
 * is made again with the security in force now (a reload only replaces
 * connections that are idle, which a steady producer's never are). */
static void reconnect(sender *s)
{
    int n = 0;
    for (int k = 0; k < s->conf->nnodes; k++) {
        if (s->old[k])
            continue; /* the previous one is still draining */
        const load_node *node = &s->conf->c->node[s->conf->nodes[k]];
        sipc_channel *ch;
        if (sipc_channel_open(&ch, s->ctx, node->address, node->port[LOAD_PORT_PIPELINE], NULL) != 0)
            continue;
        sipc_channel_set_fail_fast(ch, 1);
        s->old[k] = s->pipe[k];
        s->old_calls[k] = s->pipe_calls[k];
        s->pipe[k] = ch;
        sipc_channel_set_conn_cb(ch, on_pipe_conn, &s->note[k]);
        s->pipe_calls[k] = 0;
        if (s->old_calls[k] == 0) {
            sipc_channel_close(s->old[k], NULL, NULL);
            s->old[k] = NULL;
        }
        n++;
    }
    s->reconnects += (uint64_t)n;
}

/* The client home's security changed (a rotation, an enable or disable run
 * on it): once its files have stayed the same for HOME_SETTLE_MS it is
 * loaded again and becomes the context's, so every connection made from now
 * on (--reconnect, a redial after a failure, a connection a node replaced)
 * uses it; connections up now keep theirs until they close, so calls in
 * flight finish on them. A home that does not load (caught between two
 * files of a change) is tried again at its next change. */
static void check_home(sender *s, uint64_t now)
{
    load_home_stamp st;
    load_home_stamp_read(s->conf->c, &st);
    if (load_home_stamp_equal(&st, &s->home) || load_home_stamp_equal(&st, &s->home_failed))
        return;
    if (!load_home_stamp_equal(&st, &s->home_seen)) {
        s->home_seen = st;
        s->home_seen_at = now;
        return;
    }
    if (now - s->home_seen_at < HOME_SETTLE_MS)
        return;
    sipc_config *cfg = malloc(sizeof *cfg);
    sipc_security *sec = NULL;
    char err[1200] = "out of memory", fp[40];
    int e = cfg ? load_client_security(&sec, cfg, s->conf->c, err, sizeof err) : SIPC_EXIT_SOFTWARE;
    free(cfg);
    if (e == 0 && (e = sipc_ctx_set_security(s->ctx, sec)) != 0)
        snprintf(err, sizeof err, "the new security is not taken: %s", sipc_strerror(e));
    if (e != 0) {
        load_log("WARN", "the client home's security changed but does not load; new "
                         "connections keep the previous one: %s", err);
        s->home_failed = st;
        sipc_security_release(sec);
        return;
    }
    s->home = st;
    load_log("INFO", "the client home's security changed: new connections present certificate %s "
                     "(connections up now keep theirs until they close)",
             short_fp(sec, fp, sizeof fp));
    sipc_security_release(sec);
}

static void new_batch(sender *s, size_t n)
{
    batch *b = batch_new(s, n);
    if (!b) {
        load_log("ERROR", "out of memory for a batch; sending stops");
        s->stopping = 1;
        s->exit_code = SIPC_EXIT_SOFTWARE;
        return;
    }
    int64_t ts = load_now_ms();
    for (size_t i = 0; i < n; i++) {
        b->seq[i] = s->generated++;
        b->ts[i] = ts;
    }
    b->n = n;
    uint64_t now = uv_now(&s->loop);
    b->born = now;
    if (s->outstanding == 0)
        s->last_progress = now; /* a stall starts with records outstanding */
    s->outstanding += n;
    send_batch(b);
}

/* ------------------------------------------------------------------ search */

typedef struct search_call {
    sender *s;
    int k;
} search_call;

static void on_search(int err, const sipc_reply *rep, void *arg)
{
    search_call *sc = arg;
    sender *s = sc->s;
    s->searching--;
    const char *who = node_name(s, sc->k);
    free(sc);
    load_hits h;
    if (err != 0) {
        if (err != SIPC_ECANCELED) {
            char why[600];
            load_log("WARN", "search on %s failed: %s", who,
                     cli_err_line(why, sizeof why, err, rep ? rep->message : NULL));
        }
        return;
    }
    if (load_search_answer(s->conf->run, s->conf->c, rep->data, rep->len, &h) != 0) {
        load_log("WARN", "search on %s: the answer does not decode", who);
        return;
    }
    int64_t now = load_now_ms();
    load_ledger_line(s->conf->lg, "Q %" PRId64 " %s %zu %d %s", now, who, h.all_hits, h.partial,
                     h.missing[0] ? h.missing : "-");
    if (h.nhits)
        load_ledger_line(s->conf->lg, "H %" PRId64 " %s", now, h.hits.s);
    if (h.ndups)
        load_ledger_line(s->conf->lg, "D %" PRId64 " %s", now, h.dups.s);
    if (h.partial)
        load_log("WARN", "search on %s is partial: missing %s", who, h.detail);
    load_hits_free(&h);
}

static void start_search(sender *s)
{
    search_call *sc = malloc(sizeof *sc);
    if (!sc)
        return;
    sc->s = s;
    sc->k = pick(s, s->search, &s->search_rr);
    uint8_t buf[512];
    size_t len = load_search_request(s->conf->run, load_now_ms() - SEARCH_WINDOW_MS, 0, buf,
                                     sizeof buf);
    if (!len || sipc_call(s->search[sc->k], "search", "query", buf, len, SEARCH_TIMEOUT_MS,
                          on_search, sc) != 0) {
        free(sc);
        return;
    }
    s->searching++;
}

/* ------------------------------------------------------------------ the loop */

static void on_closed_handle(uv_handle_t *h)
{
    (void)h;
}

static void finish(sender *s, const char *why)
{
    if (s->closing)
        return;
    s->closing = 1;
    uint64_t now = uv_now(&s->loop);
    if (s->outstanding && now - s->last_progress > s->longest_stall)
        s->longest_stall = now - s->last_progress;
    progress_line(s);
    /* its own counts, which a replay compares with the lines: written even
     * after a failed write, when the disk has room again for one line */
    load_ledger_last_line(s->conf->lg, "X %" PRId64 " %" PRIu64 " %" PRIu64 " %" PRIu64
                                       " %" PRIu64 " %s",
                          load_now_ms(), s->outstanding, s->generated, s->acked, s->errors, why);
    load_log("INFO", "%s: sent %" PRIu64 ", acknowledged %" PRIu64 ", errors %" PRIu64
                     ", retries %" PRIu64 ", outstanding %" PRIu64 ", longest stall %" PRIu64
                     " ms, reconnections %" PRIu64,
             why, s->generated, s->acked, s->errors, s->retries, s->outstanding, s->longest_stall,
             s->reconnects);
    while (s->retry) {
        batch *b = s->retry;
        s->retry = b->next;
        batch_free(b);
    }
    uv_timer_stop(&s->tick);
    uv_close((uv_handle_t *)&s->tick, on_closed_handle);
    uv_close((uv_handle_t *)&s->sigterm, on_closed_handle);
    uv_close((uv_handle_t *)&s->sigint, on_closed_handle);
    sipc_ctx_close(s->ctx, NULL, NULL); /* calls in flight end with SIPC_ECANCELED */
    s->ctx = NULL;
}

static void tell_ready(sender *s, const char *msg)
{
    int fd = s->conf->ready_fd;
    if (fd < 0)
        return;
    ssize_t w = write(fd, msg, strlen(msg));
    (void)w;
    close(fd);
    ((load_send_conf *)s->conf)->ready_fd = -1;
}

/* A ledger line could not be written: what the cluster acknowledges from
 * now on could not be accounted for, so nothing more is sent and the
 * generator ends at once, its outstanding records abandoned; the replay
 * reads the run as incomplete (the X line says why, or its absence does). */
static void ledger_failed(sender *s)
{
    char why[200];
    snprintf(why, sizeof why, LOAD_X_LEDGER_FAILED ": %s", sipc_strerror(s->conf->lg->failed));
    load_log("ERROR", "the ledger cannot be written (%s): sending stops after %" PRIu64
                      " record(s), %" PRIu64 " of them outstanding and abandoned; this run "
                      "cannot be verified",
             sipc_strerror(s->conf->lg->failed), s->generated, s->outstanding);
    tell_ready(s, "ledger: cannot be written\n");
    s->exit_code = SIPC_EXIT_CANTCREAT;
    finish(s, why);
}

static void on_tick(uv_timer_t *t)
{
    sender *s = t->data;
    uint64_t now = uv_now(&s->loop);
    const load_send_conf *cf = s->conf;
    if (cf->lg->failed) {
        ledger_failed(s);
        return;
    }
    if (!s->ready) {
        for (int k = 0; k < cf->nnodes && !s->ready; k++)
            s->ready = sipc_channel_is_up(s->pipe[k]);
        if (s->ready) {
            s->t0 = s->last_tick = s->last_progress = now;
            s->next_p = now + PROGRESS_MS;
            s->next_search = now + SEARCH_EVERY_MS;
            s->next_reconnect = now + (uint64_t)cf->reconnect * 1000;
            load_log("INFO", "a pipeline is reachable; sending %d records/s", cf->rate);
            tell_ready(s, "ok\n");
        } else if (now - s->started > READY_MS || s->stopping) {
            char msg[600];
            snprintf(msg, sizeof msg, "unreachable: no pipeline answered within %d s (%s: %s)\n",
                     READY_MS / 1000, node_name(s, 0), sipc_channel_last_detail(s->pipe[0]));
            load_log("ERROR", "%.*s", (int)strlen(msg) - 1, msg);
            tell_ready(s, msg);
            s->exit_code = SIPC_EXIT_UNAVAILABLE;
            finish(s, "no pipeline reachable");
        }
        return;
    }
    /* resend what is due, oldest deadline first is not needed: all are bounded */
    for (batch **pp = &s->retry; *pp && s->calls < WINDOW;) {
        batch *b = *pp;
        if (b->due <= now) {
            *pp = b->next;
            b->next = NULL;
            send_batch(b);
        } else {
            pp = &b->next;
        }
    }
    if (!s->stopping) {
        if (cf->duration && now - s->t0 >= (uint64_t)cf->duration * 1000) {
            load_log("INFO", "--duration %d s reached: draining", cf->duration);
            s->stopping = 1;
        } else if (cf->count && s->generated >= cf->count) {
            s->stopping = 1;
        }
    }
    if (!s->stopping) {
        s->credit += (double)cf->rate * (double)(now - s->last_tick) / 1000.0;
        if (s->credit > (double)s->generated + cf->rate) /* at most a second of backlog */
            s->credit = (double)s->generated + cf->rate;
        while (s->calls < WINDOW && s->credit - (double)s->generated >= 1.0) {
            uint64_t n = (uint64_t)(s->credit - (double)s->generated);
            if (n > (uint64_t)cf->batch)
                n = (uint64_t)cf->batch;
            if (cf->count && n > cf->count - s->generated)
                n = cf->count - s->generated;
            if (n == 0)
                break;
            new_batch(s, n);
        }
    }
    s->last_tick = now;
    if (s->outstanding && now - s->last_progress > s->longest_stall)
        s->longest_stall = now - s->last_progress;
    if (now >= s->next_p) {
        progress_line(s);
        s->next_p = now + PROGRESS_MS;
    }
    if (now >= s->next_home_check) {
        check_home(s, now);
        s->next_home_check = now + HOME_CHECK_MS;
    }
    if (cf->reconnect && !s->stopping && now >= s->next_reconnect) {
        reconnect(s);
        s->next_reconnect = now + (uint64_t)cf->reconnect * 1000;
    }
    if (!s->stopping && s->searching < SEARCHES && now >= s->next_search) {
        start_search(s);
        s->next_search = now + SEARCH_EVERY_MS;
    }
    if (s->stopping && s->outstanding == 0 && s->calls == 0)
        finish(s, "drained");
}

static void on_signal(uv_signal_t *h, int signum)
{
    sender *s = h->data;
    s->signals++;
    if (s->signals == 1) {
        load_log("INFO", "signal %d: sending stops; draining %" PRIu64 " outstanding record(s)",
                 signum, s->outstanding);
        s->stopping = 1;
    } else {
        load_log("WARN", "signal %d again: giving up on %" PRIu64 " outstanding record(s)",
                 signum, s->outstanding);
        finish(s, "stopped before the drain ended");
    }
}

int load_send(const load_send_conf *conf)
{
    sender *s = calloc(1, sizeof *s);
    if (!s)
        return SIPC_EXIT_SOFTWARE;
    s->conf = conf;
    /* a third of the deadline, so a record gets at least three attempts: a
     * node down longer than one call is waited for by sending again */
    s->call_timeout_ms = (uint32_t)conf->deadline * 1000 / 3;
    if (s->call_timeout_ms > CALL_TIMEOUT_MS)
        s->call_timeout_ms = CALL_TIMEOUT_MS;
    if (s->call_timeout_ms < 1000)
        s->call_timeout_ms = 1000;
    uv_loop_init(&s->loop);
    char err[1200];
    load_home_stamp_read(conf->c, &s->home); /* before the load: a change meanwhile is seen */
    int rc = load_client_ctx(&s->ctx, &s->loop, conf->c, err, sizeof err);
    if (rc != 0) {
        load_log("ERROR", "%s", err);
        char msg[1300];
        snprintf(msg, sizeof msg, "config: %s\n", err);
        tell_ready(s, msg);
        uv_loop_close(&s->loop);
        free(s);
        return rc;
    }
    for (int k = 0; k < conf->nnodes && rc == 0; k++) {
        const load_node *n = &conf->c->node[conf->nodes[k]];
        int e = sipc_channel_open(&s->pipe[k], s->ctx, n->address, n->port[LOAD_PORT_PIPELINE],
                                  NULL);
        if (e == 0)
            e = sipc_channel_open(&s->search[k], s->ctx, n->address, n->port[LOAD_PORT_SEARCH],
                                  NULL);
        if (e != 0) {
            load_log("ERROR", "channel to %s: %s", n->name, sipc_strerror(e));
            rc = SIPC_EXIT_SOFTWARE;
            break;
        }
        /* a call toward a node that is down ends at its next failed dial, so
         * it is retried on another node instead of waiting out its deadline */
        sipc_channel_set_fail_fast(s->pipe[k], 1);
        sipc_channel_set_fail_fast(s->search[k], 1);
        s->note[k].s = s;
        s->note[k].k = k;
        sipc_channel_set_conn_cb(s->pipe[k], on_pipe_conn, &s->note[k]);
    }
    if (rc != 0) {
        tell_ready(s, "internal: cannot open channels\n");
        load_client_close(s->ctx, &s->loop);
        uv_loop_close(&s->loop);
        free(s);
        return rc;
    }
    uv_timer_init(&s->loop, &s->tick);
    s->tick.data = s;
    uv_signal_init(&s->loop, &s->sigterm);
    uv_signal_init(&s->loop, &s->sigint);
    s->sigterm.data = s->sigint.data = s;
    uv_signal_start(&s->sigterm, on_signal, SIGTERM);
    uv_signal_start(&s->sigint, on_signal, SIGINT);
    s->started = uv_now(&s->loop);
    uv_timer_start(&s->tick, on_tick, TICK_MS, TICK_MS);
    uv_run(&s->loop, UV_RUN_DEFAULT);
    rc = s->exit_code;
    if (uv_loop_close(&s->loop) != 0)
        load_log("WARN", "the loop still had handles at the end");
    free(s);
    return rc;
}
