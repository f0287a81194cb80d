/* load_verify.c - after the drain: is every acknowledged record stored, and
 * stored once?
 *
 *  1. get: each acknowledged id from the node that acknowledged it (the A
 *     line's destination), then from every other node; found only when the
 *     stored record is the one sent, whole: its id, timestamp (its S line's),
 *     attributes in order, and body (a function of the id). A bounded window
 *     of gets is in flight; a node that fails calls repeatedly is given up
 *     on and what only it could answer is counted unverified (and not
 *     found). Then the same for the records counted as errors: one stored
 *     after all (committed, its acknowledgement lost) is said so.
 *  2. list: every node's records in the run's time range, without bodies,
 *     page by page; an id of the run held by two nodes is a duplicate (the
 *     pipeline stores each record on one destination only).
 *  3. search: one cluster search for the run's records; an id twice in the
 *     answer is a duplicate too, and a partial answer names the node. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data.pb-c.h"
#include "data_service.h"
#include "load.h"
#include "services/common/err_line.h"

#define GET_WINDOW 128
#define SAY_EVERY_MS 5000    /* a progress line on stderr while it lasts */
#define CALL_TIMEOUT_MS 5000
#define GIVE_UP_AFTER 5      /* consecutive failed calls before a node is given up on */
#define FLUSH_SEQS 4096      /* F lines are written every so many seqs */
#define NO_NODE 0xff
/* a record's timestamp is taken just before its S line's: the time range of
 * the lists and the search is widened by this much on both sides */
#define RANGE_MARGIN_MS 1000

/* Why an acknowledged record was not found, as the N lines say it. */
enum { LOST_MISSING, LOST_CONTENT, LOST_UNVERIFIED, LOST_TIMEOUT, LOST_KINDS };
static const char *const LOST_WHY[LOST_KINDS] = {
    "not found on any node", "stored with other content than sent",
    "unverified: a node that could not be asked may hold it",
    "unverified: verification ran out of time"};

/* The steps, as the progress line says them. */
enum { STEP_GETS, STEP_ERRORS, STEP_LISTS, STEP_SEARCH };

typedef struct verifier {
    load_state *st;
    const load_cluster *c;
    load_ledger *lg;
    uv_loop_t loop;
    sipc_ctx *ctx;
    sipc_channel *data[LOAD_MAX_NODES], *search[LOAD_MAX_NODES];
    uint64_t deadline;              /* loop ms */
    int timed_out;
    uv_timer_t say;                 /* progress */
    uint64_t t0, asked;
    int step;                       /* what it does now (STEP_*), for the progress line */
    /* gets: of the acknowledged records, then of the errors */
    int errors_pass;
    uint64_t cursor;                /* next seq to look at */
    size_t inflight;
    load_text found_txt[LOAD_MAX_NODES];
    uint64_t found_pending[LOAD_MAX_NODES];
    load_text lost_txt[LOST_KINDS];
    uint64_t lost_pending[LOST_KINDS];
    uint64_t found, lost, unverified, mismatched;
    load_text stored_txt[LOAD_MAX_NODES]; /* errors found stored, by node */
    uint64_t stored_pending[LOAD_MAX_NODES], errors_stored, errors_asked;
    int failures[LOAD_MAX_NODES];   /* consecutive */
    int down[LOAD_MAX_NODES];
    int skip[LOAD_MAX_NODES];       /* the errors' pass gave up on it (not said: no
                                       acknowledged record depends on it) */
    char why_down[LOAD_MAX_NODES][200];
    /* lists */
    uint8_t *where;                 /* per seq: the first node listing it */
    uint64_t nwhere;
    int lists_running, list_failed;
    load_text dup_txt;
    uint64_t dups;
    int search_done;
} verifier;

static void flush_found(verifier *v, int k)
{
    if (v->found_pending[k]) {
        load_ledger_line(v->lg, "F %" PRId64 " %s %s", load_now_ms(), v->c->node[k].name,
                         load_seqs_end(&v->found_txt[k]));
        load_text_free(&v->found_txt[k]);
        v->found_pending[k] = 0;
    }
    if (v->stored_pending[k]) {
        load_ledger_line(v->lg, "G %" PRId64 " %s %s", load_now_ms(), v->c->node[k].name,
                         load_seqs_end(&v->stored_txt[k]));
        load_text_free(&v->stored_txt[k]);
        v->stored_pending[k] = 0;
    }
}

/* seq is stored more than once */
static void dup_found(verifier *v, uint64_t seq)
{
    if (load_bits_get(&v->st->dup, seq))
        return;
    load_bits_set(&v->st->dup, seq);
    load_seqs_add(&v->dup_txt, seq);
    v->dups++;
}

/* ------------------------------------------------------------------ gets */

typedef struct get_call {
    verifier *v;
    uint64_t seq;
    int node;
    uint32_t tried;   /* nodes asked, as bits */
    int unverified;   /* some node could not be asked */
    int other;        /* some node holds other content under this id */
} get_call;

static void next_gets(verifier *v);
static int ask(get_call *g);

static void flush_lost(verifier *v, int kind)
{
    if (!v->lost_pending[kind])
        return;
    const char *seqs = load_seqs_end(&v->lost_txt[kind]);
    load_ledger_line(v->lg, "N %" PRId64 " %s %s", load_now_ms(), seqs, LOST_WHY[kind]);
    /* the log names them too: a loss is an error there, not a count in an INFO line */
    load_log(kind == LOST_MISSING || kind == LOST_CONTENT ? "ERROR" : "WARN",
             "verification: %" PRIu64 " acknowledged record(s) %s: %s-{%.300s%s}",
             v->lost_pending[kind], LOST_WHY[kind], v->st->run, seqs,
             strlen(seqs) > 300 ? "..." : "");
    load_text_free(&v->lost_txt[kind]);
    v->lost_pending[kind] = 0;
}

static void not_found(verifier *v, uint64_t seq, int kind)
{
    if (v->errors_pass)
        return; /* an error not stored: what it was counted as already */
    if (kind == LOST_UNVERIFIED || kind == LOST_TIMEOUT)
        v->unverified++;
    load_bits_set(&v->st->lost, seq);
    v->lost++;
    load_seqs_add(&v->lost_txt[kind], seq);
    if (++v->lost_pending[kind] >= FLUSH_SEQS)
        flush_lost(v, kind);
}

/* Asks the next node not asked yet. Returns 1 when there was none: g is
 * then counted not found and freed (the caller starts the next get). */
static int ask_next(get_call *g)
{
    verifier *v = g->v;
    for (int k = 0; k < v->c->n; k++) {
        if (g->tried & (1u << k))
            continue;
        if (v->down[k] || (v->errors_pass && v->skip[k])) {
            g->tried |= 1u << k;
            g->unverified = 1;
            continue;
        }
        g->node = k;
        return ask(g);
    }
    not_found(v, g->seq, g->unverified ? LOST_UNVERIFIED : g->other ? LOST_CONTENT : LOST_MISSING);
    free(g);
    v->inflight--;
    return 1;
}

static int bytes_are(ProtobufCBinaryData b, const char *s)
{
    return b.len == strlen(s) && !memcmp(b.data, s, b.len);
}

/* The stored record is the one sent, whole: the id, the timestamp (when the
 * ledger has it), the attributes as sent and in their order, the body. */
static int record_is_ours(const verifier *v, uint64_t seq, const Sipc__Data__Record *r)
{
    char text[256], seqs[32];
    load_record_id(v->st->run, seq, text, sizeof text);
    if (!bytes_are(r->id, text))
        return 0;
    int64_t ts;
    if (load_state_sent_ts(v->st, seq, &ts) == 0 && r->timestamp_ms != ts)
        return 0;
    snprintf(seqs, sizeof seqs, "%" PRIu64, seq);
    if (r->n_attributes != 2 || !bytes_are(r->attributes[0]->key, LOAD_ATTR_RUN) ||
        !bytes_are(r->attributes[0]->value, v->st->run) ||
        !bytes_are(r->attributes[1]->key, LOAD_ATTR_SEQ) ||
        !bytes_are(r->attributes[1]->value, seqs))
        return 0;
    size_t n = load_record_body(v->st->run, seq, text, sizeof text);
    return r->body.len == n && !memcmp(r->body.data, text, n);
}

static void on_get(int err, const sipc_reply *rep, void *arg)
{
    get_call *g = arg;
    verifier *v = g->v;
    int k = g->node;
    g->tried |= 1u << k;
    if (err == 0) {
        v->failures[k] = 0;
        Sipc__Data__GetResponse *m = sipc__data__get_response__unpack(NULL, rep->len, rep->data);
        int ours = m && m->record && record_is_ours(v, g->seq, m->record);
        if (m)
            sipc__data__get_response__free_unpacked(m, NULL);
        if (ours) {
            /* found; in the errors' pass, an error stored after all */
            int e = v->errors_pass;
            load_bits *bits = e ? &v->st->stored_errors : &v->st->found;
            uint64_t *count = e ? &v->errors_stored : &v->found;
            uint64_t *pending = e ? &v->stored_pending[k] : &v->found_pending[k];
            load_bits_set(bits, g->seq);
            (*count)++;
            load_seqs_add(e ? &v->stored_txt[k] : &v->found_txt[k], g->seq);
            if (++*pending >= FLUSH_SEQS)
                flush_found(v, k);
            free(g);
            v->inflight--;
            next_gets(v);
            return;
        }
        v->mismatched += !v->errors_pass;
        g->other = 1;
        if (ask_next(g))
            next_gets(v);
        return;
    }
    if (err == SIPC_EREMOTE && rep && rep->status == SIPC__DATA__STATUS__NOT_FOUND) {
        v->failures[k] = 0;
        if (ask_next(g))
            next_gets(v);
        return;
    }
    /* the node could not answer: count it, give up on it after a few */
    if (v->errors_pass) {
        v->skip[k] |= ++v->failures[k] >= GIVE_UP_AFTER;
    } else if (++v->failures[k] >= GIVE_UP_AFTER && !v->down[k]) {
        v->down[k] = 1;
        cli_err_line(v->why_down[k], sizeof v->why_down[k], err, rep ? rep->message : NULL);
        load_log("ERROR", "verification: %s does not answer gets (%s); what only it holds is "
                 "unverified", v->c->node[k].name, v->why_down[k]);
    }
    g->unverified = 1;
    if (ask_next(g))
        next_gets(v);
}

/* Like ask_next: 1 when g ended (and was freed) without a call made. */
static int ask(get_call *g)
{
    verifier *v = g->v;
    char id[128];
    Sipc__Data__GetRequest q = SIPC__DATA__GET_REQUEST__INIT;
    q.id.data = (uint8_t *)id;
    q.id.len = load_record_id(v->st->run, g->seq, id, sizeof id);
    uint8_t buf[256];
    size_t len = sipc__data__get_request__pack(&q, buf);
    int e = sipc_call(v->data[g->node], SIPC_DATA_SERVICE, "get", buf, len, CALL_TIMEOUT_MS, on_get,
                      g);
    if (e != 0) {
        g->tried |= 1u << g->node;
        g->unverified = 1;
        return ask_next(g);
    }
    return 0;
}

/* Whether the current pass looks seq up: an acknowledged record, or in the
 * errors' pass one that failed for good and was never acknowledged. */
static int wanted(const verifier *v, uint64_t seq)
{
    const load_state *st = v->st;
    if (v->errors_pass)
        return load_bits_get(&st->errored, seq) && !load_bits_get(&st->acked, seq);
    return load_bits_get(&st->acked, seq);
}

static void next_gets(verifier *v)
{
    load_state *st = v->st;
    while (v->inflight < GET_WINDOW && v->cursor < st->nseq) {
        uint64_t seq = v->cursor++;
        if (!wanted(v, seq))
            continue;
        v->asked++;
        if (uv_now(&v->loop) >= v->deadline) {
            v->timed_out = 1;
            not_found(v, seq, LOST_TIMEOUT);
            continue;
        }
        get_call *g = calloc(1, sizeof *g);
        if (!g) {
            not_found(v, seq, LOST_UNVERIFIED);
            continue;
        }
        g->v = v;
        g->seq = seq;
        v->errors_asked += v->errors_pass;
        int first = seq < st->ndest && st->dest[seq] != NO_NODE ? st->dest[seq] : 0;
        if (first >= v->c->n)
            first = 0;
        v->inflight++;
        if (v->down[first]) {
            g->tried |= 1u << first;
            g->unverified = 1;
            ask_next(g);
        } else {
            g->node = first;
            ask(g);
        }
    }
}

/* ------------------------------------------------------------------ lists */

typedef struct list_call {
    verifier *v;
    int node;
    int64_t after_ts;
    char after_id[128];
    size_t after_len;
    int has_after;
    int pages;
} list_call;

static void list_page(list_call *l);

static void seen_on(verifier *v, uint64_t seq, int k)
{
    if (seq >= v->nwhere)
        return; /* an id of the run never sent: not counted here */
    if (v->where[seq] == NO_NODE) {
        v->where[seq] = (uint8_t)k;
    } else if (v->where[seq] != k && !load_bits_get(&v->st->dup, seq)) {
        dup_found(v, seq);
        int a = v->where[seq] < k ? v->where[seq] : k, b = v->where[seq] < k ? k : v->where[seq];
        load_log("WARN", "verification: %s-%" PRIu64 " is stored on %s and on %s", v->st->run, seq,
                 v->c->node[a].name, v->c->node[b].name); /* in cluster.json's order */
    }
}

static void on_list(int err, const sipc_reply *rep, void *arg)
{
    list_call *l = arg;
    verifier *v = l->v;
    Sipc__Data__ListResponse *m =
        err == 0 ? sipc__data__list_response__unpack(NULL, rep->len, rep->data) : NULL;
    if (!m) {
        load_log("ERROR", "verification: listing %s failed: %s%s%s", v->c->node[l->node].name,
                 err ? sipc_strerror(err) : "the answer does not decode",
                 rep && rep->message && *rep->message ? ": " : "",
                 rep && rep->message ? rep->message : "");
        v->list_failed = 1;
        if (!v->down[l->node]) {
            v->down[l->node] = 1;
            snprintf(v->why_down[l->node], sizeof v->why_down[l->node], "list: %s",
                     err ? sipc_strerror(err) : "the answer does not decode");
        }
        v->lists_running--;
        free(l);
        return;
    }
    for (size_t i = 0; i < m->n_records; i++) {
        uint64_t seq;
        if (load_record_seq(v->st->run, m->records[i]->id.data, m->records[i]->id.len, &seq) == 0)
            seen_on(v, seq, l->node);
    }
    int more = m->more && m->next && m->next->id.len < sizeof l->after_id;
    if (more) {
        l->after_ts = m->next->timestamp_ms;
        memcpy(l->after_id, m->next->id.data, m->next->id.len);
        l->after_len = m->next->id.len;
        l->has_after = 1;
    }
    sipc__data__list_response__free_unpacked(m, NULL);
    if (more && uv_now(&v->loop) < v->deadline) {
        list_page(l);
        return;
    }
    if (more) {
        load_log("ERROR", "verification: listing %s ran out of time", v->c->node[l->node].name);
        v->list_failed = 1;
    }
    v->lists_running--;
    free(l);
}

static void list_page(list_call *l)
{
    verifier *v = l->v;
    Sipc__Data__ListRequest q = SIPC__DATA__LIST_REQUEST__INIT;
    Sipc__Data__ListCursor cur = SIPC__DATA__LIST_CURSOR__INIT;
    q.from_ms = v->st->first_sent_ms > RANGE_MARGIN_MS ? v->st->first_sent_ms - RANGE_MARGIN_MS : 0;
    q.to_ms = v->st->last_sent_ms + RANGE_MARGIN_MS;
    q.limit = 1000;
    if (l->has_after) {
        cur.timestamp_ms = l->after_ts;
        cur.id.data = (uint8_t *)l->after_id;
        cur.id.len = l->after_len;
        q.after = &cur;
    }
    uint8_t buf[512];
    size_t len = sipc__data__list_request__pack(&q, buf);
    l->pages++;
    if (sipc_call(v->data[l->node], SIPC_DATA_SERVICE, "list", buf, len, CALL_TIMEOUT_MS, on_list,
                  l) != 0) {
        v->list_failed = 1;
        v->lists_running--;
        free(l);
    }
}

/* ------------------------------------------------------------------ search */

static int mark_dup(uint64_t seq, void *arg)
{
    dup_found(arg, seq);
    return 0;
}

static int mark_searched(uint64_t seq, void *arg)
{
    verifier *v = arg;
    return load_bits_set(&v->st->searched, seq);
}

static void on_search(int err, const sipc_reply *rep, void *arg)
{
    verifier *v = arg;
    v->search_done = 1;
    load_hits h;
    if (err != 0 || load_search_answer(v->st->run, v->c, rep->data, rep->len, &h) != 0) {
        load_log("WARN", "verification: the search failed: %s",
                 err ? sipc_strerror(err) : "the answer does not decode");
        return;
    }
    int64_t now = load_now_ms();
    load_ledger_line(v->lg, "Q %" PRId64 " verify %zu %d %s", now, h.all_hits, h.partial,
                     h.missing[0] ? h.missing : "-");
    if (h.nhits) {
        load_ledger_line(v->lg, "H %" PRId64 " %s", now, h.hits.s);
        load_seqs_parse(h.hits.s, mark_searched, v);
    }
    if (h.ndups)
        load_seqs_parse(h.dups.s, mark_dup, v);
    /* at the cap the answer may leave stored records out: say so, or the
     * count reads as all the run has */
    char cap[160] = "";
    if (h.all_hits >= LOAD_SEARCH_LIMIT)
        snprintf(cap, sizeof cap, " (the most one search returns: %d; the gets and lists above "
                 "checked every record)", LOAD_SEARCH_LIMIT);
    load_log("INFO", "verification: a cluster search for the run found %" PRIu64 " record(s)%s%s%s",
             h.nhits, cap, h.partial ? ", partial: missing " : "", h.partial ? h.detail : "");
    load_hits_free(&h);
}

static void start_search(verifier *v)
{
    int k = 0;
    while (k < v->c->n && v->down[k])
        k++;
    uint8_t buf[512];
    int64_t since = v->st->first_sent_ms > RANGE_MARGIN_MS ? v->st->first_sent_ms - RANGE_MARGIN_MS : 0;
    size_t len = load_search_request(v->st->run, since, v->st->last_sent_ms + RANGE_MARGIN_MS, buf,
                                     sizeof buf);
    if (k == v->c->n || !len ||
        sipc_call(v->search[k], "search", "query", buf, len, CALL_TIMEOUT_MS, on_search, v) != 0)
        v->search_done = 1;
}

/* ------------------------------------------------------------------ driver */

/* Runs the loop until done() or the deadline (plus the calls' own timeout,
 * which ends every call in flight). */
static void run_until(verifier *v, int (*done)(const verifier *))
{
    while (!done(v) && uv_run(&v->loop, UV_RUN_ONCE))
        ;
}

static void on_say(uv_timer_t *t)
{
    verifier *v = t->data;
    char doing[160];
    if (v->step == STEP_GETS)
        snprintf(doing, sizeof doing, "%" PRIu64 " of %" PRIu64 " acknowledged record(s) looked up",
                 v->asked, load_bits_count(&v->st->acked));
    else
        snprintf(doing, sizeof doing, "%s",
                 v->step == STEP_ERRORS  ? "looking the errors up"
                 : v->step == STEP_LISTS ? "listing every node's records of the run (duplicates)"
                                         : "searching the cluster once");
    fprintf(stderr, "sipc-load: verifying: %s, %" PRIu64 " s so far (--timeout bounds it)\n", doing,
            (uv_now(&v->loop) - v->t0) / 1000);
}

static int gets_done(const verifier *v)
{
    return v->inflight == 0 && v->cursor >= v->st->nseq;
}
static int lists_done(const verifier *v)
{
    return v->lists_running == 0;
}
static int search_done(const verifier *v)
{
    return v->search_done;
}

int load_verify(load_state *st, const load_cluster *c, load_ledger *lg, int timeout_s,
                load_report *r)
{
    verifier *v = calloc(1, sizeof *v);
    if (!v)
        return SIPC_EXIT_SOFTWARE;
    v->st = st;
    v->c = c;
    v->lg = lg;
    /* found and lost are what this verification finds, not an earlier one */
    load_bits_free(&st->found);
    load_bits_free(&st->lost);
    uv_loop_init(&v->loop);
    char err[1200];
    int rc = load_client_ctx(&v->ctx, &v->loop, c, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "sipc-load: %s\n", err);
        uv_loop_close(&v->loop);
        free(v);
        return rc;
    }
    for (int k = 0; k < c->n; k++) {
        if (sipc_channel_open(&v->data[k], v->ctx, c->node[k].address,
                              c->node[k].port[LOAD_PORT_DATA], NULL) != 0 ||
            sipc_channel_open(&v->search[k], v->ctx, c->node[k].address,
                              c->node[k].port[LOAD_PORT_SEARCH], NULL) != 0) {
            rc = SIPC_EXIT_SOFTWARE;
            break;
        }
    }
    uint64_t t0 = v->t0 = uv_now(&v->loop);
    v->deadline = t0 + (uint64_t)(timeout_s > 0 ? timeout_s : 60) * 1000;
    uv_timer_init(&v->loop, &v->say);
    v->say.data = v;
    uv_timer_start(&v->say, on_say, SAY_EVERY_MS, SAY_EVERY_MS);
    if (rc == 0) {
        next_gets(v);
        run_until(v, gets_done);
        for (int k = 0; k < c->n; k++)
            flush_found(v, k);
        for (int kind = 0; kind < LOST_KINDS; kind++)
            flush_lost(v, kind);
        /* the errors: committed after all, their acknowledgement lost? A
         * node that is down (likely, where errors are) fails those gets at
         * once rather than after their deadline: they prove nothing either
         * way */
        v->errors_pass = 1;
        v->step = STEP_ERRORS;
        v->cursor = 0;
        for (int k = 0; k < c->n; k++)
            sipc_channel_set_fail_fast(v->data[k], 1);
        next_gets(v);
        run_until(v, gets_done);
        for (int k = 0; k < c->n; k++) {
            sipc_channel_set_fail_fast(v->data[k], 0);
            flush_found(v, k);
        }
        if (v->errors_stored)
            load_log("WARN", "verification: %" PRIu64 " of %" PRIu64 " record(s) counted as errors "
                             "found stored after all (committed; the acknowledgement was lost)",
                     v->errors_stored, v->errors_asked);
        v->step = STEP_LISTS;
        v->nwhere = st->nseq;
        v->where = malloc(v->nwhere ? v->nwhere : 1);
        if (v->where) {
            memset(v->where, NO_NODE, v->nwhere ? v->nwhere : 1);
            for (int k = 0; k < c->n; k++) {
                if (v->down[k])
                    continue;
                list_call *l = calloc(1, sizeof *l);
                if (!l)
                    continue;
                l->v = v;
                l->node = k;
                v->lists_running++;
                list_page(l);
            }
            run_until(v, lists_done);
        }
        v->step = STEP_SEARCH;
        start_search(v);
        run_until(v, search_done);
        if (v->dups)
            load_ledger_line(lg, "D %" PRId64 " %s", load_now_ms(), load_seqs_end(&v->dup_txt));
        st->verified = 1;
        st->unverified = v->unverified;
        /* the nodes that could not be asked: what the unverified depend on */
        char down[sizeof st->unverified_nodes] = "";
        for (int k = 0; k < c->n; k++) {
            size_t have = strlen(down);
            if (v->down[k])
                snprintf(down + have, sizeof down - have, "%s%s", have ? "," : "",
                         c->node[k].name);
        }
        snprintf(st->unverified_nodes, sizeof st->unverified_nodes, "%s", down);
        load_ledger_line(lg, "V %" PRId64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %s",
                         load_now_ms(), v->found, v->lost, v->dups, v->unverified,
                         down[0] ? down : "-");
        load_log(v->lost > v->unverified ? "ERROR" : v->unverified || v->dups ? "WARN" : "INFO",
                 "verification in %" PRIu64 " ms: found %" PRIu64 ", lost %" PRIu64
                 " (content differs: %" PRIu64 ", unverified: %" PRIu64 "), duplicated %" PRIu64
                 ", errors found stored after all %" PRIu64 "%s",
                 uv_now(&v->loop) - t0, v->found, v->lost, v->mismatched, v->unverified, v->dups,
                 v->errors_stored, v->list_failed ? " (a node's list was incomplete)" : "");
        for (int k = 0; k < c->n; k++)
            if (v->down[k]) {
                fprintf(stderr, "sipc-load: %s could not be asked: %s\n", c->node[k].name,
                        v->why_down[k]);
                rc = SIPC_EXIT_UNAVAILABLE;
            }
        if (v->timed_out)
            fprintf(stderr, "sipc-load: verification ran out of time (--timeout)\n");
    }
    load_report_from_state(r, st, 0);
    uv_close((uv_handle_t *)&v->say, NULL);
    load_client_close(v->ctx, &v->loop);
    uv_loop_close(&v->loop);
    for (int k = 0; k < LOAD_MAX_NODES; k++) {
        load_text_free(&v->found_txt[k]);
        load_text_free(&v->stored_txt[k]);
    }
    for (int kind = 0; kind < LOST_KINDS; kind++)
        load_text_free(&v->lost_txt[kind]);
    load_text_free(&v->dup_txt);
    free(v->where);
    free(v);
    return rc;
}

int load_verify_and_report(const load_opts *o, const load_cluster *c, const load_paths *p,
                           load_report *out)
{
    char err[1200];
    load_state st;
    load_state_init(&st);
    int e = load_state_read(&st, p->ledger, c, err, sizeof err);
    if (e != 0) {
        load_state_free(&st);
        return load_fail(e == SIPC_ENOTCONN ? SIPC_EXIT_CONFIG : SIPC_EXIT_SOFTWARE,
                         "no run to verify: %s", err);
    }
    load_ledger lg = {-1, 0};
    if (load_ledger_open(&lg, p->ledger, err, sizeof err) != 0) {
        load_state_free(&st);
        return load_fail(SIPC_EXIT_CONFIG, "%s", err);
    }
    load_report r;
    int rc = load_verify(&st, c, &lg, o->timeout, &r);
    load_ledger_close(&lg);
    load_state_free(&st);
    if (rc != 0 && rc != SIPC_EXIT_UNAVAILABLE)
        return rc;
    if (load_report_write(&r, p->report, err, sizeof err) != 0)
        return load_fail(SIPC_EXIT_CANTCREAT, "%s", err);
    load_report_print(stdout, &r, o->json);
    if (out)
        *out = r;
    if (lg.failed)
        return load_fail(SIPC_EXIT_CANTCREAT, "%s: cannot write (%s): the verification's lines "
                         "are not all in it (its result is in %s)",
                         p->ledger, sipc_strerror(lg.failed), p->report);
    return rc;
}
