/* pipeline_impl.h - what the pipeline's files share: the pipeline object,
 * its destinations, the requests it holds and the batches it delivers.
 *
 * A request (pl_req) is either waiting for credit (in the pipeline's FIFO) or
 * admitted: then its records are cut into batches (pl_batch), one
 * destination each, and the request is answered when its last batch has an
 * outcome. A batch is always in exactly one place: its destination's ready
 * queue, its destination's list of calls in flight, the pipeline's list
 * of batches waiting out a backoff, or (a request in which an id repeats)
 * behind the batch before it of its request and destination, as its then.
 * Everything runs on the loop thread. */
#ifndef SIPC_PIPELINE_IMPL_H
#define SIPC_PIPELINE_IMPL_H

#include <stdint.h>
#include <uv.h>

#include "data.pb-c.h"
#include "pipeline.pb-c.h"
#include "pipeline_service.h"

typedef struct pl_batch pl_batch;

/* A data service's reason, kept whole: it names records.db by its path,
 * whose home is at most ~600 bytes (home_lock_take), before the cause
 * ("...: database or disk is full"), which a shorter cut would drop. */
#define PL_MSG_MAX 1024
typedef struct pl_dest pl_dest;

typedef struct pl_req pl_req;

/* The requests and records one producer connection has in the pipeline.
 * The entry lives as long as its requests, which may outlive the connection
 * (a context's close gives up on requests its handlers hold, and frees their
 * connection); another connection can then be made at the same address, so
 * the pointer alone does not name the connection: a request of the entry
 * must still say it came on it (conn_take). */
typedef struct pl_conn {
    struct pl_conn *next;  /* in the pipeline's list while listed */
    const sipc_conn *conn;
    pl_req *reqs;          /* its requests, through conn_next and conn_prev */
    size_t records;
    int listed;            /* still found by its connection's address */
} pl_conn;

/* The outcome of one record. */
typedef struct pl_rec {
    uint8_t status;       /* Sipc__Pipeline__RecordStatus; 0 while undecided */
    uint8_t dest;         /* index of its destination */
    uint32_t data_status; /* the data service's status, when it answered one */
    const char *reason;   /* into the request's reasons, or NULL */
} pl_rec;

struct pl_req {
    struct pl_req *next;  /* in the waiting FIFO */
    sipc_pipeline *p;
    sipc_request *req;
    pl_conn *conn;
    pl_req *conn_next, *conn_prev; /* in conn->reqs */
    Sipc__Pipeline__IngestRequest *msg;
    size_t n, bytes;      /* records; payload bytes plus what its decoded copy holds */
    uint64_t give_up;     /* loop time (ms) at which what is not acknowledged is UNAVAILABLE */
    int to;               /* destination of every record, or -1: by hash */
    pl_rec *recs;
    char **reasons;       /* distinct reason strings, freed with the request */
    size_t nreasons, capreasons;
    size_t open;          /* batches without an outcome */
    /* destinations (bit i: dests[i]) where an id of it repeats: its batches
     * of such a destination go one at a time, in request order, so that the
     * last record of an id is the one stored even when an earlier batch is
     * retried; those of the other destinations go side by side (records of
     * one id always go to one destination) */
    uint32_t dups;
    uint32_t created, unchanged, replaced;
};

struct pl_batch {
    pl_batch *next, *prev; /* prev: only in a destination's list of calls in flight */
    pl_batch *then;        /* queued, at the front, when this one has its outcome (r->dups), or NULL */
    pl_req *r;
    pl_dest *d;
    uint64_t not_before;   /* loop time before which a retry must not start */
    uint32_t backoff_ms;
    sipc_call_id call;     /* while in flight */
    int last_err;          /* of the last failed attempt, 0 before any */
    int storage_retried;   /* answered STORAGE once already (and sent again) */
    int maybe_stored;      /* an attempt went with its connection, perhaps written and
                              committed before the answer could come back */
    uint32_t last_status;
    char last_msg[PL_MSG_MAX];
    size_t n;
    uint32_t idx[];        /* indexes into r->msg->records, in request order */
};

struct pl_dest {
    sipc_pipeline *p;
    size_t index;
    char name[200];
    char host[160];
    int port;
    char node_id[64];      /* announced in the hello, "" before the first link */
    uint64_t name_hash;    /* FNV-1a state after the name and its 0x00 */
    sipc_channel *ch;
    pl_batch *ready, **ready_tail;
    pl_batch *flying;      /* calls in flight, doubly linked */
    unsigned calls;
    int failing;           /* a failure was logged and no success since */
    /* its data service answered STORAGE (a full disk, an I/O error): until
     * this loop time (ms), or its next success, one call at a time probes it
     * and the batches queued meanwhile are refused with storage_msg when a
     * call is answered STORAGE again (storage_answered: the pump does it) */
    uint64_t storage_until;
    int storage_answered;
    char storage_msg[PL_MSG_MAX];
    int pumping;           /* in pl_dest_pump */
    /* silence (pipeline_silence.c): its puts wait and nothing at all comes
     * back from it, not even the answer to a PING */
    uint64_t busy_since;   /* loop time (ms) its calls went from none to some */
    int silent_looks;      /* looks in a row that found it silent past unresponsive_ms */
    int unresponsive;      /* judged so: its records are refused at once */
    uint64_t quiet_from;   /* then: the loop time (ms) since which nothing came from it */
};

struct sipc_pipeline {
    uv_loop_t *loop;
    sipc_ctx *links;       /* the context of the links to the data services */
    sipc_pipeline_options o;
    pl_dest dests[SIPC_PIPELINE_MAX_DESTS];
    size_t ndests;
    pl_req *wait_head, **wait_tail;
    pl_batch *delayed;     /* waiting out a backoff, unordered */
    pl_conn *conns;
    uv_timer_t tick;
    int tick_on;
    uv_timer_t watch;      /* looks for silent destinations while calls wait */
    int watch_on;
    uint32_t look_ms;      /* its period */
    uint64_t rng;
    sipc_log_fn log;
    void *log_arg;
    sipc_pipeline_stats st;
    int closing;
    int close_pending;     /* handles still closing: the tick, the watch and the links */
    void (*close_cb)(void *);
    void *close_arg;
};

/* How long a destination whose data service answered STORAGE counts as
 * failing without another STORAGE answer (its probe's answer, or a later
 * call's, renews it; a success ends it at once). */
#define PL_STORAGE_FAILING_MS 5000

/* pipeline_service.c */
void pl_logf(sipc_pipeline *p, sipc_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Makes sure the tick runs (backoffs, expired batches and waiting requests). */
void pl_tick_arm(sipc_pipeline *p);
/* A random delay between half and all of ms. */
uint32_t pl_jitter(sipc_pipeline *p, uint32_t ms);

/* "NODE (ADDR)", or "ADDR" before its first link: a destination in a
 * reason. */
void pl_dest_label(const pl_dest *d, char *out, size_t n);

/* pipeline_silence.c */
/* Keeps the look for silent destinations going (calls went out). */
void pl_watch_arm(sipc_pipeline *p);
/* Whether d is judged unresponsive now; a d that was, and from which
 * something has come since, is taken back here (0). */
int pl_dest_silent(pl_dest *d);
/* A connection to d came up (its hello answered): it is not silent. */
void pl_dest_heard(pl_dest *d);
/* Why d's records are refused while it is unresponsive. */
void pl_silent_reason(const pl_dest *d, char *out, size_t n);

/* pipeline_ingest.c */
void pl_on_ingest(sipc_request *req, void *arg);
/* Admits waiting requests while there is credit. */
void pl_admit_waiting(sipc_pipeline *p);
/* Answers waiting requests whose deadline came or whose producer left; with
 * all set, every waiting request (CLOSING). */
void pl_sweep_waiting(sipc_pipeline *p, int all);
/* Called when a request's last batch has its outcome: answers the producer
 * and frees r. */
void pl_req_done(pl_req *r);
/* Keeps a copy of reason for as long as r lives; NULL if out of memory. */
const char *pl_req_reason(pl_req *r, const char *reason);

/* pipeline_deliver.c */
/* A batch of n records of r for d (idx filled by the caller). */
pl_batch *pl_batch_new(pl_req *r, pl_dest *d, size_t n);
void pl_dest_push(pl_dest *d, pl_batch *b);
/* Starts calls on d while it has ready batches and free call slots. */
void pl_dest_pump(pl_dest *d);
/* Moves batches whose backoff ended to their queues and gives up on batches
 * past their request's deadline. */
void pl_deliver_tick(sipc_pipeline *p);
/* Closing: every batch that has not finished gets UNAVAILABLE (calls are
 * cancelled). */
void pl_deliver_abort(sipc_pipeline *p);
/* Whether anything needs the tick: backoffs, queued batches. */
int pl_deliver_waiting(const sipc_pipeline *p);

#endif
