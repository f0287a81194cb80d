/* pipeline_service.h - the pipeline: records from a producer (a capturing
 * node, a client) delivered to the data services of the cluster, with
 * acknowledgement and retry. Served on a sipc router as service "pipeline",
 * method "ingest" (payloads in pipeline.proto).
 *
 * Delivery is at least once: a record is acknowledged to the producer only
 * when its destination's data service has committed it, failures of the
 * transport are retried with backoff until the request's deadline, and the
 * data service's idempotent put turns the duplicates this may cause into
 * UNCHANGED. Records are spread over the destinations by a rendezvous hash of
 * their id (the same on every node), or all sent to one named destination.
 * What the pipeline holds is bounded: records in flight (a window of
 * credit), requests waiting for credit, per producer connection; beyond,
 * producers are told BUSY. docs/services.md, "Pipeline", is the reference.
 *
 * Written only against the public sipc API. Threading: every function here
 * must be called on the loop thread of the context given to
 * sipc_pipeline_open; callbacks run on that thread too. */
#ifndef SIPC_PIPELINE_SERVICE_H
#define SIPC_PIPELINE_SERVICE_H

#include <stddef.h>
#include <stdint.h>

#include "sipc/sipc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The service name on the router, and its one method. */
#define SIPC_PIPELINE_SERVICE "pipeline"
#define SIPC_PIPELINE_INGEST "ingest"
/* Destinations of one pipeline, at most (as [cluster] nodes). */
#define SIPC_PIPELINE_MAX_DESTS 32

/* Application statuses sent with sipc_respond_error (the caller sees
 * SIPC_EREMOTE with reply->status set to one of these). Same numbers as enum
 * Status in pipeline.proto. */
typedef enum {
    SIPC_PIPELINE_BAD_REQUEST = 1,  /* payload is not an IngestRequest */
    SIPC_PIPELINE_UNKNOWN_NODE = 2, /* to_node names no destination */
    SIPC_PIPELINE_TOO_LARGE = 3,    /* over max_request_records, or max_inflight_bytes
                                       with its payload and decoded copy */
    SIPC_PIPELINE_BUSY = 5,         /* no credit; nothing sent; retry later */
    SIPC_PIPELINE_CLOSING = 7       /* sipc_pipeline_close was called; nothing sent */
} sipc_pipeline_status;

/* "BAD_REQUEST", "UNKNOWN_NODE", ... or "UNKNOWN". */
const char *sipc_pipeline_status_name(int status);

/* The reason of results[i] of an answer (pipeline.proto's IngestResponse),
 * "" if it has none or i is out of range. An answer that would not fit the
 * producer's max_frame names a repeated reason once and refers to it
 * (reason_of): this follows the reference, which a producer should not do
 * by hand. */
struct Sipc__Pipeline__IngestResponse;
const char *sipc_pipeline_result_reason(const struct Sipc__Pipeline__IngestResponse *m, size_t i);

/* One data service the pipeline delivers to. */
typedef struct sipc_pipeline_dest {
    const char *name; /* what the hash and to_node use; identical on every node.
                         NULL or "": "host:port" ("[v6]:port" for IPv6) */
    const char *host; /* numeric address or name, as sipc_channel_open takes it */
    int port;         /* the data service's port */
} sipc_pipeline_dest;

typedef struct sipc_pipeline_options {
    const sipc_pipeline_dest *dests; /* in cluster order; 1..SIPC_PIPELINE_MAX_DESTS; copied */
    size_t ndests;
    /* The links to the data services get their own context on the loop of
     * ctx, so their security may differ from the pipeline listener's (the
     * pipeline's TLS switch is its own). */
    sipc_security *link_security;     /* NULL: the security of ctx; retained */
    const sipc_options *link_options; /* the links' context options (node id, cluster,
                                         max_frame, log, reconnect backoff); NULL:
                                         defaults with the node id and cluster of ctx */
    size_t max_inflight_records; /* the window: records admitted and not yet answered,
                                    default 20000 */
    size_t max_inflight_bytes;   /* bytes of those requests, each its payload plus the
                                    heap its decoded copy holds, default 64 MiB */
    size_t max_waiting_bytes;    /* the same bytes of requests held until credit frees,
                                    default 64 MiB; beyond: BUSY */
    size_t max_conn_records;     /* records of one producer connection, admitted or
                                    waiting, default 2 * max_inflight_records */
    size_t max_request_records;  /* records in one request, default 10000 (at most
                                    max_inflight_records); beyond: TOO_LARGE */
    size_t max_attributes;       /* attributes of one record the destinations' data
                                    services take (their max_attributes; keep it the
                                    same), default the data service's (64): a request
                                    decodes within a budget that counts them */
    size_t batch_records;        /* records in one data.put_batch, default 500 */
    size_t batch_bytes;          /* bytes in one data.put_batch, default 4 MiB */
    unsigned dest_calls;         /* calls in flight to one destination, default 4 */
    uint32_t max_retry_ms;       /* how long a request is worked on when it came
                                    without a deadline, and at most; default 30000 */
    uint32_t retry_min_ms;       /* first backoff after a failed attempt, default 50 */
    uint32_t retry_max_ms;       /* largest backoff, default 2000 */
    uint32_t link_down_ms;       /* a destination's link down this long is down: its
                                    records are UNAVAILABLE at once ("Delivery and
                                    retries"); default SIPC_LINK_DOWN_MS, the rule the
                                    cluster status and the search share: a test's knob */
    uint32_t unresponsive_ms;    /* a destination whose puts have waited this long with
                                    nothing at all received from it (no answer, no byte,
                                    no answer to the PING the pipeline has its link send
                                    after a quarter of it) is unresponsive: its records
                                    are UNAVAILABLE at once until it answers again
                                    ("Delivery and retries"). Default half the links'
                                    keepalive_timeout_ms (5 s); never while their
                                    keepalive is off (keepalive_ms or
                                    keepalive_timeout_ms 0) */
} sipc_pipeline_options;

/* Defaults above; dests, ndests, link_security and link_options NULL/0. */
void sipc_pipeline_options_init(sipc_pipeline_options *opts);

typedef struct sipc_pipeline sipc_pipeline;

/* Opens the links (one channel per destination, dialing at once and
 * redialing with backoff) in a context of its own on the loop of ctx.
 * Returns 0, or SIPC_EINVAL (no destination, too many, two with one name, a
 * limit out of range; err says which) or an error of sipc_ctx_new or
 * sipc_channel_open. */
int sipc_pipeline_open(sipc_pipeline **out, sipc_ctx *ctx, const sipc_pipeline_options *opts,
                       char *err, size_t errlen);

/* Adds the handler pipeline.ingest to r, with p as its argument. */
int sipc_pipeline_register(sipc_pipeline *p, sipc_router *r);

/* Answers every request it holds exactly once: requests still waiting for
 * credit get CLOSING; requests being delivered are answered with their
 * per-record results, records not yet acknowledged as UNAVAILABLE ("the
 * pipeline is shutting down"; their calls are cancelled). New requests get CLOSING. Then it
 * closes the links' context, calls cb(arg) and frees p. Call it after the
 * servers using the router have been told to close, and free the router only
 * after cb. */
void sipc_pipeline_close(sipc_pipeline *p, void (*cb)(void *arg), void *arg);

/* Counters, for tests and metrics. */
typedef struct sipc_pipeline_stats {
    size_t inflight_records, inflight_bytes;     /* admitted, not yet answered */
    size_t peak_inflight_records, peak_inflight_bytes;
    size_t waiting_requests, waiting_bytes;      /* held until credit frees */
    size_t calls;                                /* data calls in flight */
    uint64_t requests;                           /* ingest requests answered */
    uint64_t busy;                               /* of which with BUSY */
    uint64_t committed, rejected, unavailable;   /* records */
    uint64_t retries;                            /* attempts after a failed one */
} sipc_pipeline_stats;

void sipc_pipeline_stats_get(const sipc_pipeline *p, sipc_pipeline_stats *out);

/* A destination judged unresponsive, for status reports. */
typedef struct sipc_pipeline_silent {
    const char *name;   /* the destination's name ("host:port") */
    const char *node;   /* the node id it announced, "" before its first link */
    uint64_t silent_ms; /* how long nothing has been received from it while its
                           puts waited */
} sipc_pipeline_silent;

/* Calls fn(arg, s) for each destination judged unresponsive now; returns how
 * many (fn may be NULL). The strings are valid during the call. */
size_t sipc_pipeline_silent_each(const sipc_pipeline *p,
                                 void (*fn)(void *arg, const sipc_pipeline_silent *s), void *arg);
/* The unresponsive_ms in effect (0: the judgement is off: the links'
 * keepalive is). */
uint32_t sipc_pipeline_unresponsive_ms(const sipc_pipeline *p);

/* Calls fn(arg, info) for the link to each destination (for status reports). */
void sipc_pipeline_links(const sipc_pipeline *p, void (*fn)(void *arg, const sipc_link_info *info),
                         void *arg);

/* The context of the links to the destinations (its own, made with
 * link_security), so that a host can give it a new security on reload
 * (sipc_ctx_set_security) and replace its idle links
 * (sipc_ctx_retire_connections). NULL once the pipeline is closing. */
sipc_ctx *sipc_pipeline_links_ctx(sipc_pipeline *p);

/* The destination index a record id goes to without to_node. */
size_t sipc_pipeline_route(const sipc_pipeline *p, const void *id, size_t len);
/* The name of destination i (as used by the hash and to_node). */
const char *sipc_pipeline_dest_name(const sipc_pipeline *p, size_t i);

/* The hash itself, for anyone who must agree with it (a producer choosing a
 * pipeline near the data, a test): rendezvous hashing over names[0..n-1].
 * For each name, score = mix64(FNV-1a-64(name, 0x00, id)) where mix64 is the
 * splitmix64 finalizer; the highest score wins, the lowest index on a tie.
 * Adding or removing one destination moves only the ids that go to it. */
size_t sipc_pipeline_rendezvous(const char *const *names, size_t n, const void *id, size_t len);

#ifdef __cplusplus
}
#endif
#endif /* SIPC_PIPELINE_SERVICE_H */
