/* cmd_ingest.c - `sipcctl ingest FILE|- [--to NODE] [--json]`: records as
 * newline-delimited JSON (pipeline_ndjson.h) sent to a node's pipeline in
 * batches, a bounded window of them in flight, each record counted as
 * acknowledged (committed by its destination's data service), rejected or
 * not acknowledged.
 *
 * Per-id order. For each id the last line of the input is what is stored,
 * as when everything is sent once in order, also when a batch is sent again
 * (BUSY, a followed change of the home's TLS) while later ones go ahead: a
 * batch leaves only when none of its ids is in a batch sent before it and
 * not finished yet (in flight or waiting to be sent again); until then it
 * waits, and the batches read after it wait behind it. The ids of the
 * batches sent and not finished are a hash set (at most WINDOW x
 * BATCH_RECORDS of them), so batches of distinct ids go as before. Two
 * records of one id inside one batch are stored in their order: put_batch
 * writes a batch's records in order, and the pipeline keeps a request's
 * order for each id. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "base/str_copy.h"
#include "data_service.h"
#include "pipeline.pb-c.h"
#include "pipeline_ndjson.h"
#include "pipeline_service.h"
#include "services/common/cluster_hint.h"
#include "services/common/err_line.h"
#include "services/common/exit_codes.h"
#include "services/common/shown_text.h"
#include "services/common/json_text.h"
#include "sipcctl.h"

#define BATCH_RECORDS 500
#define BATCH_BYTES (4u << 20)
#define WINDOW 8                 /* batches in flight */
#define MAX_LINE (8u << 20)      /* a 1 MiB body may take 6 MiB once escaped */
#define BUSY_MIN_MS 100
#define BUSY_MAX_MS 2000
#define BUSY_FOR_MS 60000        /* how long a batch is resent while the pipeline says BUSY */
#define FOLLOWS 3                /* changes of this home's TLS one batch follows */
#define SHOWN 20                 /* bad or refused lines printed one by one */
#define REASONS 16               /* distinct reasons in the summary */
/* slots of the set of ids sent and not finished: a power of two, at least
 * twice the most it can hold (every record of a full window), so that a
 * probe stays short */
#define ID_SLOTS 8192
_Static_assert((ID_SLOTS & (ID_SLOTS - 1)) == 0 && ID_SLOTS >= 2 * WINDOW * BATCH_RECORDS,
               "ID_SLOTS: a power of two holding a full window twice");

typedef struct ingest ingest;

typedef struct batch {
    struct batch *next;          /* waiting to be resent */
    ingest *in;
    uint8_t *payload;            /* a packed IngestRequest */
    size_t len, n;
    unsigned long *lines;        /* the line of each record */
    uint64_t first_ms, resend_at;
    uint32_t backoff_ms;
    unsigned gen;                /* the client's followed count when it was last sent */
    unsigned follows;            /* times it was sent again after a change of this home */
    uint8_t *ids;                /* the records' ids, one after the other */
    size_t *idoff;               /* record i's id: ids[idoff[i] .. idoff[i + 1]) */
    size_t free_to;              /* records before it were found free of earlier batches */
    int in_set;                  /* its ids are in the ingest's set */
} batch;

/* An id of a batch sent and not finished: where its bytes are (in the one
 * batch that holds it: two batches in the set never share an id) and how
 * many of that batch's records have it; count 0 is an empty slot. */
typedef struct id_slot {
    const uint8_t *id;
    size_t len;
    uint64_t hash;
    uint32_t count;
} id_slot;

typedef struct reason {
    char text[300];
    uint64_t count;
    int unacked; /* a reason records were not acknowledged for; else rejected */
} reason;

struct ingest {
    ctl *o;
    ctl_client *cl;
    sipc_ndjson_reader rd;
    int eof, stop;
    /* a pipe or terminal: read only what it holds, so that the loop (the
     * answers, the calls' deadlines) never waits on a slow producer */
    int stream, polling;
    uv_poll_t input;
    int fatal;                   /* exit code of a failure that ended the run */
    size_t inflight;             /* calls in flight */
    size_t open;                 /* batches read and not finished: waiting, in flight, to resend */
    batch *resend;
    batch *waiting, **waiting_tail; /* read, not sent yet: in input order */
    id_slot *ids;                /* ID_SLOTS: the ids of the batches sent and not finished */
    uv_timer_t timer;
    uint64_t sent, acked, created, unchanged, replaced, rejected, unavailable, bad_lines;
    uint64_t shown;
    reason reasons[REASONS];
    size_t nreasons;
    uint64_t other_reasons[2]; /* beyond REASONS: rejected, not acknowledged */
    uint64_t t0, last_progress;
    int progress, progress_shown;
    /* a run that stopped early: the last line read, and the lines of the
     * file after it (-1: not counted, the input is stdin) */
    unsigned long stopped_at;
    long long not_sent;
    uint64_t held; /* read and batched, never sent: no connection came up, or the run stopped */
    char held_why[200];          /* why no connection came up ("" if it did) */
    /* sent, and refused whole by the pipeline for a fault of the request
     * (an unknown --to): sending them again cannot help */
    uint64_t refused;
    char refused_why[400];
    /* --json: each record not acknowledged or rejected, {"line", "id",
     * "status", "reason"}, so that a script resends just those */
    json_t *failed;
    size_t failed_max;        /* its length at most (memory: ~150-600 bytes each) */
    uint64_t failed_left_out; /* failed records beyond that, not listed */
};

/* One record of the --json "failed" list (no-op without --json). The id
 * as sent when it is text JSON can carry, else as shown. */
static void note_failed(ingest *in, unsigned long line, const uint8_t *id, size_t idlen,
                        const char *status, const char *why)
{
    if (!in->failed)
        return;
    if (json_array_size(in->failed) >= in->failed_max) {
        in->failed_left_out++;
        return;
    }
    json_t *jid = json_stringn(idlen ? (const char *)id : "", idlen);
    if (!jid) {
        char shown[600];
        cli_shown_n(id, idlen, shown, sizeof shown);
        jid = json_string(shown);
    }
    json_array_append_new(in->failed, json_pack("{s:I, s:o, s:s, s:o}", "line", (json_int_t)line,
                                                "id", jid, "status", status, "reason",
                                                sipc_json_text(why ? why : "")));
}

/* The same for every record of a batch that failed whole: its ids are in
 * the request it sent. */
static void note_failed_batch(ingest *in, const batch *b, const char *status, const char *why)
{
    if (!in->failed)
        return;
    Sipc__Pipeline__IngestRequest *m =
        sipc__pipeline__ingest_request__unpack(NULL, b->len, b->payload);
    for (size_t i = 0; i < b->n; i++) {
        const ProtobufCBinaryData *id = m && i < m->n_records ? &m->records[i]->id : NULL;
        note_failed(in, b->lines[i], id ? id->data : NULL, id ? id->len : 0, status, why);
    }
    if (m)
        sipc__pipeline__ingest_request__free_unpacked(m, NULL);
}

/* n records rejected (unacked 0) or not acknowledged (1) for text: the
 * summary lists each category's reasons under it */
static void count_reason(ingest *in, int unacked, const char *text, uint64_t n)
{
    for (size_t i = 0; i < in->nreasons; i++) {
        if (in->reasons[i].unacked == unacked && !strcmp(in->reasons[i].text, text)) {
            in->reasons[i].count += n;
            return;
        }
    }
    if (in->nreasons == REASONS) {
        in->other_reasons[unacked] += n;
        return;
    }
    sipc_str_copy_utf8(in->reasons[in->nreasons].text, sizeof in->reasons[0].text, text);
    in->reasons[in->nreasons].unacked = unacked;
    in->reasons[in->nreasons++].count = n;
}

static void clear_progress(ingest *in)
{
    if (in->progress_shown) {
        fputs("\r\033[K", stderr);
        in->progress_shown = 0;
    }
}

/* One line about one record or line, the first SHOWN of them; the line as
 * cli_shown shows it, for it quotes the node (a destination's name, its
 * reasons). */
static void say(ingest *in, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(ingest *in, const char *fmt, ...)
{
    if (in->shown++ == SHOWN) {
        clear_progress(in);
        fprintf(stderr, "sipcctl: (further bad or refused lines are only counted)\n");
    }
    if (in->shown > SHOWN)
        return;
    clear_progress(in);
    char line[1200], shown[4800];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    cli_shown(line, shown, sizeof shown);
    fprintf(stderr, "sipcctl: %s\n", shown);
}

static void batch_free(batch *b)
{
    free(b->payload);
    free(b->lines);
    free(b->ids);
    free(b->idoff);
    free(b);
}

/* ------------------------------------------------- ids sent, not finished */

static uint64_t id_hash(const uint8_t *id, size_t len)
{
    uint64_t h = 14695981039346656037ull; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ id[i]) * 1099511628211ull;
    return h ^ (h >> 29);
}

/* The slot of id: the one that holds it, else the empty one where it would go. */
static size_t id_slot_of(const id_slot *set, const uint8_t *id, size_t len, uint64_t h)
{
    size_t i = (size_t)h & (ID_SLOTS - 1);
    while (set[i].count &&
           (set[i].hash != h || set[i].len != len || memcmp(set[i].id, id, len) != 0))
        i = (i + 1) & (ID_SLOTS - 1);
    return i;
}

static int id_held(const id_slot *set, const uint8_t *id, size_t len)
{
    return set[id_slot_of(set, id, len, id_hash(id, len))].count != 0;
}

static void id_add(id_slot *set, const uint8_t *id, size_t len)
{
    uint64_t h = id_hash(id, len);
    id_slot *x = &set[id_slot_of(set, id, len, h)];
    if (!x->count)
        *x = (id_slot){id, len, h, 0};
    x->count++;
}

static void id_remove(id_slot *set, const uint8_t *id, size_t len)
{
    size_t i = id_slot_of(set, id, len, id_hash(id, len));
    if (!set[i].count || --set[i].count)
        return;
    /* linear probing without tombstones: move back the entries after the
     * hole that could not have been placed in it */
    for (size_t j = i;;) {
        j = (j + 1) & (ID_SLOTS - 1);
        if (!set[j].count)
            break;
        size_t k = (size_t)set[j].hash & (ID_SLOTS - 1); /* where set[j] wants to be */
        if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
            continue; /* between the hole and j: it stays */
        set[i] = set[j];
        set[j].count = 0;
        i = j;
    }
}

static const uint8_t *batch_id(const batch *b, size_t i, size_t *len)
{
    *len = b->idoff[i + 1] - b->idoff[i];
    return b->ids + b->idoff[i];
}

/* Whether one of b's ids is in a batch sent before it and not finished.
 * An id found free stays so until b is sent (only batches ahead of b are
 * sent meanwhile, and none is left), so each record is looked up once. */
static int batch_held_back(ingest *in, batch *b)
{
    for (; b->free_to < b->n; b->free_to++) {
        size_t len;
        const uint8_t *id = batch_id(b, b->free_to, &len);
        if (id_held(in->ids, id, len))
            return 1;
    }
    return 0;
}

/* b has its outcome (or never left): its ids no longer hold anything back. */
static void batch_done(ingest *in, batch *b)
{
    if (b->in_set) {
        for (size_t i = 0; i < b->n; i++) {
            size_t len;
            const uint8_t *id = batch_id(b, i, &len);
            id_remove(in->ids, id, len);
        }
    }
    in->open--;
    batch_free(b);
}

static void send_batch(batch *b);

static void on_timer(uv_timer_t *t)
{
    ingest *in = t->data;
    uint64_t now = uv_now(&in->cl->loop);
    batch *due = NULL;
    for (batch **pp = &in->resend; *pp;) {
        batch *b = *pp;
        if (b->resend_at <= now) {
            *pp = b->next;
            b->next = due;
            due = b;
        } else {
            pp = &b->next;
        }
    }
    while (due) {
        batch *b = due;
        due = b->next;
        send_batch(b);
    }
    if (!in->resend)
        uv_timer_stop(t);
}

/* b's records never left this machine: not counted as sent. */
static void held_back(ingest *in, const batch *b)
{
    in->sent -= b->n;
    in->held += b->n;
}

/* A failure that ends the run: said once, the first one's exit code (why
 * NULL: already said). */
static void end_run(ingest *in, int code, const char *why)
{
    if (!in->fatal) {
        clear_progress(in);
        /* why quotes the pipeline's message */
        char shown[2400];
        if (why)
            cli_shown(why, shown, sizeof shown);
        in->fatal = why ? ctl_fail(code, "pipeline.ingest to %s failed: %s", in->cl->target, shown)
                        : code;
        in->stop = 1;
    }
}

/* No record of b was acknowledged, for a reason that ends the run. */
static void lost(ingest *in, batch *b, int code, const char *why)
{
    if (in->cl->up) {
        in->unavailable += b->n;
        count_reason(in, 1, why ? why : "the run stopped", b->n);
        note_failed_batch(in, b, "not_acknowledged", why ? why : "the run stopped");
    } else {
        held_back(in, b); /* no connection to the node ever came up */
    }
    end_run(in, code, why);
}

/* An id for a message line, as every text from a node is shown (U+0000
 * included: an id is bytes on the wire). */
static const char *shown_id(const ProtobufCBinaryData *id, char *buf, size_t cap)
{
    cli_shown_n(id->data, id->len, buf, cap);
    return buf;
}

static void take_response(ingest *in, batch *b, const sipc_reply *rep)
{
    Sipc__Pipeline__IngestResponse *m =
        sipc__pipeline__ingest_response__unpack(NULL, rep->len, rep->data);
    if (!m || m->n_results != b->n) {
        if (m)
            sipc__pipeline__ingest_response__free_unpacked(m, NULL);
        lost(in, b, SIPC_EXIT_PROTOCOL, "the pipeline's answer does not match the request");
        return;
    }
    in->created += m->created;
    in->unchanged += m->unchanged;
    in->replaced += m->replaced;
    for (size_t i = 0; i < m->n_results; i++) {
        const Sipc__Pipeline__RecordResult *x = m->results[i];
        char why[400], full[1600], id[160];
        const char *said = sipc_pipeline_result_reason(m, i);
        switch (x->status) {
        case SIPC__PIPELINE__RECORD_STATUS__COMMITTED:
            in->acked++;
            break;
        case SIPC__PIPELINE__RECORD_STATUS__REJECTED:
            in->rejected++;
            /* a said may be long and in any script: cut between characters */
            snprintf(full, sizeof full, "%s: %s", sipc_data_status_name((int)x->data_status),
                     said);
            sipc_str_copy_utf8(why, sizeof why, full);
            count_reason(in, 0, why, 1);
            say(in, "line %lu (id %s): rejected by %s: %s", b->lines[i],
                shown_id(&x->id, id, sizeof id), x->node, why);
            note_failed(in, b->lines[i], x->id.data, x->id.len, "rejected", why);
            break;
        default:
            in->unavailable++;
            /* the destination's said names it (data service ADDR: ...) */
            count_reason(in, 1, said, 1);
            note_failed(in, b->lines[i], x->id.data, x->id.len, "not_acknowledged", said);
            say(in, "line %lu (id %s): not acknowledged: %s", b->lines[i],
                shown_id(&x->id, id, sizeof id), said);
            break;
        }
    }
    sipc__pipeline__ingest_response__free_unpacked(m, NULL);
}

/* Whether the pipeline's node has sent anything within the last --timeout. */
static int pipeline_heard(const ingest *in)
{
    sipc_link_info li;
    return in->cl->up && sipc_channel_info(in->cl->ch, &li) == 0 && li.up &&
           li.silent_ms < (uint32_t)in->cl->timeout_ms;
}

/* What ctl_follow_home said it took over, on its own line. */
static void say_followed(ingest *in, const char *said)
{
    if (!said[0])
        return;
    clear_progress(in);
    fprintf(stderr, "sipcctl: %s\n", said);
}

/* b sent again by on_timer, delay_ms from now at the earliest. */
static void resend_later(ingest *in, batch *b, uint32_t delay_ms)
{
    b->resend_at = uv_now(&in->cl->loop) + delay_ms;
    b->next = in->resend;
    in->resend = b;
    if (!uv_is_active((uv_handle_t *)&in->timer))
        uv_timer_start(&in->timer, on_timer, BUSY_MIN_MS / 2, BUSY_MIN_MS / 2);
}

/* The node refused the TLS mode this client dialed with: its home may have
 * changed with the node's (tlstool ... --reload on that same home), and the
 * node replaced the busy connection (GOAWAY) with a dial in the old mode.
 * 1 when b is to be sent again with the home's new security (said, when
 * this call took it over, saying so); 0 when the failure stands (hint
 * saying why, or ""); -1 when the home cannot be read again (said why). */
static int follow_home(ingest *in, batch *b, char *said, size_t n, char *hint, size_t hn)
{
    said[0] = hint[0] = '\0';
    if (in->stop)
        return 0;
    if (b->follows >= FOLLOWS) {
        snprintf(hint, hn, "; this home's TLS setup changed %u times while this batch was sent",
                 b->follows);
        return 0;
    }
    /* taken over since b was sent (by the failure of another batch of the
     * same connection): those records never left, send them again */
    int f = b->gen != in->cl->followed ? 1 : ctl_follow_home(in->cl, said, n);
    if (f == 1) {
        b->follows++;
        return 1;
    }
    if (f == 0 && said[0])
        snprintf(hint, hn, "; %s", said); /* a change it does not take, and why */
    else if (f == 0)
        /* a client never changes its TLS mode on its own: only its home does */
        snprintf(hint, hn, "; this home (%s) still says %s, as sipcctl dials: it changes its TLS "
                 "only with its own home", in->cl->cfg.home, ctl_tls_setup(in->cl->sec));
    return f < 0 ? -1 : 0;
}

static void on_reply(int err, const sipc_reply *rep, void *arg)
{
    batch *b = arg;
    ingest *in = b->in;
    in->inflight--;
    if (err == SIPC_EREMOTE && rep->status == SIPC_PIPELINE_BUSY && !in->stop &&
        uv_now(&in->cl->loop) - b->first_ms < BUSY_FOR_MS) {
        /* no credit at the pipeline: it asked us to come back later */
        resend_later(in, b, b->backoff_ms);
        b->backoff_ms = b->backoff_ms * 2 > BUSY_MAX_MS ? BUSY_MAX_MS : b->backoff_ms * 2;
        return;
    }
    char hint[700] = "";
    /* a certificate refused in the handshake, the node's here or this
     * side's there: this home's pair may have moved on in a key pair
     * rotation (committed) while the node finished with it, as a mode
     * change does; only a home that changed is followed */
    int cert = err == SIPC_EPEERAUTH || err == SIPC_ECERTREFUSED;
    if (err == SIPC_EPLAINTEXT || err == SIPC_ETLSONPLAIN || cert) {
        char said[1400];
        int f = follow_home(in, b, said, sizeof said, hint, sizeof hint);
        if (cert && f == 0)
            hint[0] = '\0'; /* the words of a mode refusal: the failure says why */
        if (f == 1) {
            say_followed(in, said);
            /* the handshake failed: nothing of b reached the node, so
             * nothing is sent twice; not from here, as the channel is still
             * failing its waiting calls */
            resend_later(in, b, 0);
            return;
        }
        if (f < 0) {
            char why[2400], line[800];
            snprintf(why, sizeof why,
                     "%s; this home (%s), read again to follow the node's change, cannot be "
                     "loaded: %s",
                     cli_err_line(line, sizeof line, err, rep->message), in->cl->cfg.home, said);
            clear_progress(in);
            lost(in, b, SIPC_EXIT_CONFIG, why);
            batch_done(in, b);
            return;
        }
    }
    char home_why[1600];
    if (err == 0) {
        take_response(in, b, rep);
    } else if (err == SIPC_EREMOTE && rep->status == SIPC_PIPELINE_TOO_LARGE) {
        char why[400];
        snprintf(why, sizeof why, "pipeline TOO_LARGE: %s", rep->message);
        in->rejected += b->n;
        count_reason(in, 0, why, b->n);
        note_failed_batch(in, b, "rejected", why);
        say(in, "lines %lu..%lu: rejected by the pipeline: %s", b->lines[0], b->lines[b->n - 1],
            rep->message);
    } else if (err == SIPC_EREMOTE && (rep->status == SIPC_PIPELINE_UNKNOWN_NODE ||
                                       rep->status == SIPC_PIPELINE_BAD_REQUEST)) {
        char why[400];
        snprintf(why, sizeof why, "%s: %s", sipc_pipeline_status_name(rep->status), rep->message);
        in->refused += b->n;
        if (!in->refused_why[0])
            snprintf(in->refused_why, sizeof in->refused_why, "%s", why);
        end_run(in, rep->status == SIPC_PIPELINE_UNKNOWN_NODE ? SIPC_EXIT_USAGE : SIPC_EXIT_PROTOCOL, why);
    } else if (err == SIPC_EREMOTE) {
        char why[400];
        snprintf(why, sizeof why, "%s: %s", sipc_pipeline_status_name(rep->status), rep->message);
        lost(in, b, SIPC_EXIT_UNAVAILABLE, why);
    } else if (err == SIPC_ETIMEDOUT && pipeline_heard(in)) {
        /* the pipeline answers, just not this batch in time: it is not acknowledged and
         * the run goes on (a node silent all that time, or a closed connection, ends it) */
        char why[400];
        snprintf(why, sizeof why,
                 "no answer from the pipeline within --timeout %u ms: its records may still "
                 "have been stored; send them again",
                 (unsigned)in->cl->timeout_ms);
        in->unavailable += b->n;
        count_reason(in, 1, why, b->n);
        note_failed_batch(in, b, "not_acknowledged", why);
        say(in, "lines %lu..%lu: not acknowledged: %s", b->lines[0], b->lines[b->n - 1], why);
    } else if (!in->fatal && ctl_home_subject_fault(in->cl, err, rep->message, home_why,
                                                    sizeof home_why)) {
        clear_progress(in);
        lost(in, b,
             ctl_report_home_fault(in->cl, SIPC_PIPELINE_SERVICE, SIPC_PIPELINE_INGEST, home_why),
             NULL);
        if (!in->cl->up && !in->held_why[0])
            snprintf(in->held_why, sizeof in->held_why,
                     "this home's [tls] subject does not match its own certificate");
    } else {
        char why[2400], fix[900] = "";
        sipc_link_info li;
        /* another cluster's node: what to change in this home, as for every command */
        if (err == SIPC_ECLUSTER && sipc_channel_info(in->cl->ch, &li) == 0)
            sipc_cli_cluster_fix(&in->cl->cfg, li.peer_cluster, li.peer_cluster_cut, fix,
                                 sizeof fix);
        char line[800];
        snprintf(why, sizeof why, "%s%s%s", cli_err_line(line, sizeof line, err, rep->message), fix,
                 hint);
        if (!in->cl->up && !in->held_why[0]) /* e.g. a node that answered in TLS */
            snprintf(in->held_why, sizeof in->held_why, "%s", sipc_strerror(err));
        lost(in, b, ctl_exit_code(err) ? ctl_exit_code(err) : SIPC_EXIT_UNAVAILABLE, why);
    }
    batch_done(in, b);
}

static void send_batch(batch *b)
{
    ingest *in = b->in;
    if (in->stop) {
        held_back(in, b);
        batch_done(in, b);
        return;
    }
    uv_update_time(&in->cl->loop); /* the deadline counts from now, not from before a read */
    b->gen = in->cl->followed;
    int e = sipc_call(in->cl->ch, SIPC_PIPELINE_SERVICE, SIPC_PIPELINE_INGEST, b->payload, b->len,
                      in->cl->timeout_ms, on_reply, b);
    if (e != 0) {
        sipc_reply none = {.message = ""}; /* refused here: not sent */
        in->inflight++;
        on_reply(e, &none, b);
        return;
    }
    in->inflight++;
}

/* Sends the batches read, in input order, while the first of them shares no
 * id with a batch sent and not finished. A stopped run takes them all (as
 * not sent). */
static void send_waiting(ingest *in)
{
    batch *b;
    while ((b = in->waiting) != NULL && (in->stop || !batch_held_back(in, b))) {
        in->waiting = b->next;
        if (!in->waiting)
            in->waiting_tail = &in->waiting;
        b->next = NULL;
        if (!in->stop) {
            for (size_t i = 0; i < b->n; i++) {
                size_t len;
                const uint8_t *id = batch_id(b, i, &len);
                id_add(in->ids, id, len);
            }
            b->in_set = 1;
        }
        /* BUSY_FOR_MS counts from here, not from the time it waited */
        uv_update_time(&in->cl->loop);
        b->first_ms = uv_now(&in->cl->loop);
        send_batch(b);
    }
}

/* Whether a line can be read without waiting for the producer. */
static int input_ready(const ingest *in)
{
    if (!in->stream || sipc_ndjson_buffered(&in->rd))
        return 1;
    struct pollfd p = {.fd = fileno(in->rd.f), .events = POLLIN};
    return poll(&p, 1, 0) > 0; /* POLLHUP too: the read says the end */
}

static void on_input(uv_poll_t *h, int status, int events)
{
    (void)status;
    (void)events;
    ingest *in = h->data;
    uv_poll_stop(h); /* it only wakes the loop: the main loop reads */
    in->polling = 0;
}

/* Reads lines until a batch is full, the input ends or (a stream) holds no
 * more for now; sends it. */
static void next_batch(ingest *in)
{
    Sipc__Data__Record *recs[BATCH_RECORDS];
    unsigned long lines[BATCH_RECORDS];
    size_t n = 0, bytes = 0;
    while (n < BATCH_RECORDS && bytes < BATCH_BYTES && (n == 0 || input_ready(in))) {
        const char *line;
        size_t len;
        int rc = sipc_ndjson_next(&in->rd, &line, &len);
        if (rc == 0) {
            in->eof = 1;
            break;
        }
        if (rc == UV_EAGAIN)
            break; /* stdin is non-blocking (uv_poll): the rest of a line comes later */
        if (rc == SIPC_ETOOBIG) {
            in->bad_lines++;
            say(in, "line %lu: longer than %u bytes; skipped", in->rd.line, MAX_LINE);
            continue;
        }
        if (rc < 0) {
            clear_progress(in);
            in->fatal =
                ctl_fail(SIPC_EXIT_NOINPUT, "reading line %lu: %s", in->rd.line + 1, uv_strerror(rc));
            in->eof = 1;
            break;
        }
        char err[300];
        Sipc__Data__Record *r = NULL;
        if (sipc_ndjson_record(line, len, &r, err, sizeof err) != 0) {
            in->bad_lines++;
            say(in, "line %lu: %s", in->rd.line, err);
            continue;
        }
        if (!r)
            continue; /* blank */
        recs[n] = r;
        lines[n++] = in->rd.line;
        bytes += sipc__data__record__get_packed_size(r);
    }
    if (n == 0)
        return;
    Sipc__Pipeline__IngestRequest m = SIPC__PIPELINE__INGEST_REQUEST__INIT;
    m.records = recs;
    m.n_records = n;
    m.to_node = (char *)(in->o->to ? in->o->to : "");
    batch *b = calloc(1, sizeof *b);
    size_t len = sipc__pipeline__ingest_request__get_packed_size(&m), idbytes = 0;
    for (size_t i = 0; i < n; i++)
        idbytes += recs[i]->id.len;
    if (b) {
        b->payload = malloc(len);
        b->lines = malloc(n * sizeof *b->lines);
        b->ids = malloc(idbytes ? idbytes : 1);
        b->idoff = malloc((n + 1) * sizeof *b->idoff);
    }
    if (!b || !b->payload || !b->lines || !b->ids || !b->idoff) {
        if (b)
            batch_free(b);
        for (size_t i = 0; i < n; i++)
            sipc_ndjson_record_free(recs[i]);
        in->fatal = ctl_fail(SIPC_EXIT_OSERR, "out of memory");
        in->stop = 1;
        return;
    }
    sipc__pipeline__ingest_request__pack(&m, b->payload);
    b->idoff[0] = 0;
    for (size_t i = 0; i < n; i++) {
        if (recs[i]->id.len)
            memcpy(b->ids + b->idoff[i], recs[i]->id.data, recs[i]->id.len);
        b->idoff[i + 1] = b->idoff[i] + recs[i]->id.len;
        sipc_ndjson_record_free(recs[i]);
    }
    memcpy(b->lines, lines, n * sizeof *lines);
    b->in = in;
    b->len = len;
    b->n = n;
    b->backoff_ms = BUSY_MIN_MS;
    in->sent += n;
    in->open++;
    *in->waiting_tail = b;
    in->waiting_tail = &b->next;
    send_waiting(in);
}

static double elapsed(const ingest *in)
{
    return (double)(uv_hrtime() - in->t0) / 1e9;
}

static void show_progress(ingest *in)
{
    if (!in->progress)
        return;
    uint64_t now = uv_hrtime();
    /* a few times a second, and not at all for a short run */
    if (now - in->t0 < 500000000ull || now - in->last_progress < 250000000ull)
        return;
    in->last_progress = now;
    double s = elapsed(in);
    fprintf(stderr, "\r\033[Ksent %llu, acknowledged %llu, rejected %llu, %.0f records/s",
            (unsigned long long)in->sent, (unsigned long long)in->acked,
            (unsigned long long)in->rejected, s > 0 ? (double)in->acked / s : 0.0);
    in->progress_shown = 1;
}

/* Why records read were never sent, as the summary says it. */
static const char *held_reason(const ingest *in, char *buf, size_t cap)
{
    if (in->cl->up)
        return "the run stopped before they left";
    snprintf(buf, cap, "no connection to the node came up%s%s", in->held_why[0] ? ": " : "",
             in->held_why);
    return buf;
}

static void print_summary(const ingest *in)
{
    char held[300];
    double s = elapsed(in);
    double rate = s > 0 ? (double)in->acked / s : 0.0;
    if (in->o->json) {
        json_t *reasons = json_array();
        static const char *const status[] = {"rejected", "not_acknowledged"};
        for (size_t i = 0; i < in->nreasons; i++)
            if (in->reasons[i].count)
                json_array_append_new(reasons,
                                      json_pack("{s:o, s:I, s:s}", "reason",
                                                sipc_json_text(in->reasons[i].text),
                                                "count", (json_int_t)in->reasons[i].count,
                                                "status", status[in->reasons[i].unacked]));
        for (int k = 0; k < 2; k++)
            if (in->other_reasons[k])
                json_array_append_new(reasons,
                                      json_pack("{s:s, s:I, s:s}", "reason", "other reasons",
                                                "count", (json_int_t)in->other_reasons[k],
                                                "status", status[k]));
        json_t *o = json_pack(
            "{s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:I, s:I, s:f, s:f}", "sent",
            (json_int_t)in->sent, "acknowledged", (json_int_t)in->acked, "created",
            (json_int_t)in->created, "unchanged", (json_int_t)in->unchanged, "replaced",
            (json_int_t)in->replaced, "rejected", (json_int_t)in->rejected, "reasons", reasons,
            "unavailable", (json_int_t)in->unavailable, "bad_lines", (json_int_t)in->bad_lines,
            "seconds", s, "records_per_second", rate);
        if (o && in->held) {
            json_object_set_new(o, "read_not_sent", json_integer((json_int_t)in->held));
            json_object_set_new(o, "read_not_sent_reason",
                                sipc_json_text(held_reason(in, held, sizeof held)));
        }
        if (o && in->cl->followed)
            json_object_set_new(o, "home_changes_followed", json_integer(in->cl->followed));
        if (o && in->refused) {
            json_object_set_new(o, "refused", json_integer((json_int_t)in->refused));
            json_object_set_new(o, "refused_reason", sipc_json_text(in->refused_why));
        }
        if (o && in->failed)
            json_object_set(o, "failed", in->failed);
        if (o && in->failed_left_out)
            json_object_set_new(o, "failed_left_out", json_integer((json_int_t)in->failed_left_out));
        if (o && in->stopped_at) {
            /* not_sent: null when the rest of stdin was not read to count it */
            json_object_set_new(o, "stopped_after_line", json_integer((json_int_t)in->stopped_at));
            json_object_set_new(o, "not_sent",
                                in->not_sent >= 0 ? json_integer(in->not_sent) : json_null());
        }
        /* 9 digits: "0.008792316", not the double's 17 */
        if (o)
            ctl_print_json(o, JSON_INDENT(2) | JSON_REAL_PRECISION(9));
        json_decref(o);
        return;
    }
    printf("sent: %llu\n", (unsigned long long)in->sent);
    printf("acknowledged: %llu (created %llu, unchanged %llu, replaced %llu)\n",
           (unsigned long long)in->acked, (unsigned long long)in->created,
           (unsigned long long)in->unchanged, (unsigned long long)in->replaced);
    /* each category's reasons under it; the reasons and the refusal are
     * the nodes' words */
    char shown[1600];
    for (int k = 0; k < 2; k++) {
        printf("%s: %llu\n", k ? "not acknowledged" : "rejected",
               (unsigned long long)(k ? in->unavailable : in->rejected));
        for (size_t i = 0; i < in->nreasons; i++)
            if (in->reasons[i].count && in->reasons[i].unacked == k)
                printf("  %llu x %s\n", (unsigned long long)in->reasons[i].count,
                       (cli_shown(in->reasons[i].text, shown, sizeof shown), shown));
        if (in->other_reasons[k])
            printf("  %llu x other reasons\n", (unsigned long long)in->other_reasons[k]);
    }
    if (in->refused)
        printf("refused by the pipeline: %llu (%s)\n", (unsigned long long)in->refused,
               (cli_shown(in->refused_why, shown, sizeof shown), shown));
    printf("bad lines: %llu\n", (unsigned long long)in->bad_lines);
    if (in->held)
        printf("read but not sent: %llu (%s)\n", (unsigned long long)in->held,
               held_reason(in, held, sizeof held));
    if (in->stopped_at && in->not_sent >= 0)
        printf("not sent: %lld (the lines after line %lu, blank ones aside: the run stopped "
               "there)\n",
               in->not_sent, in->stopped_at);
    else if (in->stopped_at)
        printf("not sent: the input after line %lu (the run stopped there)\n", in->stopped_at);
    /* a rate of nothing acknowledged says nothing (a run the pipeline
     * refused sent records, and none was taken) */
    if (in->acked)
        printf("rate: %.0f records/s (%llu acknowledged in %.2f s)\n", rate,
               (unsigned long long)in->acked, s);
}

int cmd_ingest(void *arg)
{
    ctl *o = arg;
    int rc = ctl_check_args(o, 1, 1);
    if (rc != 0)
        return rc;
    const char *path = o->args[0];
    FILE *f = ctl_open_input(path);
    if (!f)
        return SIPC_EXIT_NOINPUT;
    ctl_client cl;
    rc = ctl_connect(o, NULL, SIPC_PIPELINE_SERVICE, &cl);
    if (rc != 0) {
        if (f != stdin)
            fclose(f);
        return rc;
    }
    ingest *in = calloc(1, sizeof *in);
    if (!in) {
        ctl_disconnect(&cl);
        if (f != stdin)
            fclose(f);
        return SIPC_EXIT_OSERR;
    }
    in->ids = calloc(ID_SLOTS, sizeof *in->ids);
    if (!in->ids) {
        free(in);
        ctl_disconnect(&cl);
        if (f != stdin)
            fclose(f);
        return SIPC_EXIT_OSERR;
    }
    in->waiting_tail = &in->waiting;
    in->o = o;
    in->cl = &cl;
    sipc_ndjson_reader_init(&in->rd, f, MAX_LINE);
    uv_timer_init(&cl.loop, &in->timer);
    in->timer.data = in;
    in->progress = isatty(STDERR_FILENO) && !o->json;
    in->failed = o->json ? json_array() : NULL;
    in->failed_max = o->failed_max > 0 ? (size_t)o->failed_max : 100000;
    in->t0 = uv_hrtime();
    struct stat ist;
    /* uv_poll_init makes the descriptor non-blocking: a pipe or terminal
     * shared with the shell gets its flags back at the end */
    int in_flags = fcntl(fileno(f), F_GETFL);
    in->stream = fstat(fileno(f), &ist) == 0 && !S_ISREG(ist.st_mode) &&
                 uv_poll_init(&cl.loop, &in->input, fileno(f)) == 0;
    in->input.data = in;
    for (;;) {
        /* a batch finished (or the run stopped) since the last turn: those
         * held back by it may go now */
        send_waiting(in);
        while (!in->stop && !in->eof && in->open < WINDOW && input_ready(in))
            next_batch(in);
        send_waiting(in); /* a batch read when the run stopped */
        if (in->open == 0 && (in->eof || in->stop))
            break;
        int wait_input = in->stream && !in->stop && !in->eof && in->open < WINDOW;
        if (wait_input && !in->polling)
            in->polling = uv_poll_start(&in->input, UV_READABLE, on_input) == 0;
        else if (!wait_input && in->polling)
            in->polling = uv_poll_stop(&in->input) != 0;
        uv_run(&cl.loop, UV_RUN_ONCE);
        show_progress(in);
    }
    clear_progress(in);
    uv_close((uv_handle_t *)&in->timer, NULL);
    if (in->stream) {
        uv_close((uv_handle_t *)&in->input, NULL);
        if (in_flags != -1)
            (void)fcntl(fileno(f), F_SETFL, in_flags);
    }
    if (in->stop && !in->eof) {
        /* say what was never sent; a regular file is counted to its end,
         * stdin or a pipe is not read on (its writer may never end it) */
        in->stopped_at = in->rd.line;
        in->not_sent = -1;
        struct stat fst;
        if (f != stdin && fstat(fileno(f), &fst) == 0 && S_ISREG(fst.st_mode)) {
            const char *line;
            size_t len;
            int r;
            in->not_sent = 0;
            while ((r = sipc_ndjson_next(&in->rd, &line, &len)) == 1 || r == SIPC_ETOOBIG) {
                size_t k = 0; /* a blank line is no record */
                while (r == 1 && k < len && (line[k] == ' ' || line[k] == '\t' || line[k] == '\r'))
                    k++;
                in->not_sent += r != 1 || k < len;
            }
        }
    }
    print_summary(in);
    ctl_disconnect(&cl);
    sipc_ndjson_reader_free(&in->rd);
    if (f != stdin)
        fclose(f);
    /* precedence: a failure that ended the run, records not acknowledged,
     * then lines the data could not take */
    if (in->fatal)
        rc = in->fatal;
    else if (in->unavailable)
        rc = SIPC_EXIT_UNAVAILABLE;
    else if (in->rejected || in->bad_lines)
        rc = SIPC_EXIT_DATAERR;
    else
        rc = 0;
    json_decref(in->failed);
    free(in->ids);
    free(in);
    return rc;
}
