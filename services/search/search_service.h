/* search_service.h - the search service: full-text search over the records
 * of every node of a cluster, served on a sipc router as service "search"
 * (methods query and local; payloads in search.proto).
 *
 * A query sent to any node (search.query) searches that node's data service
 * and calls search.local on every other node in parallel over channels that
 * are opened once and reused; it merges and sorts the hits, cuts them to the
 * limit, and says which nodes answered. A node that does not answer within
 * the query's deadline is named in nodes_missing with the reason, and the
 * answer is marked partial: it is never silently incomplete.
 * docs/services.md, "Search service", is the reference.
 *
 * Written only against the public sipc API and the data service's header.
 * Threading: every function here must be called on the loop thread of ctx;
 * callbacks run on that thread too. */
#ifndef SIPC_SEARCH_SERVICE_H
#define SIPC_SEARCH_SERVICE_H

#include <stddef.h>
#include <stdint.h>

#include "data_service.h"
#include "sipc/sipc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The service name on the router. */
#define SIPC_SEARCH_SERVICE "search"

/* Application statuses sent with sipc_respond_error (the caller sees
 * SIPC_EREMOTE with reply->status set to one of these). Same numbers as enum
 * Status in search.proto. */
typedef enum {
    SIPC_SEARCH_BAD_REQUEST = 1, /* payload is not a QueryRequest */
    SIPC_SEARCH_BAD_QUERY = 2,   /* FTS5 syntax, bad UTF-8, bad range, unknown order, ... */
    SIPC_SEARCH_TOO_LARGE = 3,   /* limit, query string or filters over their limits */
    SIPC_SEARCH_BUSY = 4,        /* too many queries in flight; retry */
    SIPC_SEARCH_CLOSING = 5,     /* sipc_search_close was called */
    SIPC_SEARCH_STORAGE = 6      /* search.local: the database failed */
} sipc_search_status;

/* "BAD_REQUEST", "BAD_QUERY", ... or "UNKNOWN". */
const char *sipc_search_status_name(int status);

/* Another node's search listener. */
typedef struct sipc_search_peer {
    const char *host; /* numeric address or name; copied */
    int port;         /* its search port (23001 by default) */
} sipc_search_peer;

typedef struct sipc_search_options {
    const char *node_id;          /* this node's id in hits and answers; copied;
                                     default: sipc_ctx_node_id(ctx) */
    const char *address;          /* how this node is named in nodes_missing when its
                                     own search fails; copied; default "local" */
    const sipc_search_peer *peers;/* every other node of the cluster; an entry that
                                     turns out to be this node (its hello names our
                                     node id) is searched locally, not twice, unless
                                     others_only */
    int others_only;              /* 1: peers never hold this node (the caller left its
                                     own entry out), so a peer whose hello names this
                                     node's id is another node with the same id: it is
                                     listed in nodes_missing ("node ids must be
                                     unique"), never taken for this node */
    size_t npeers;                /* at most 64 */
    uint32_t default_deadline_ms; /* for a query that came without a deadline:
                                     default 5000 */
    size_t default_limit;         /* hits when a query asks for 0: default 100 */
    size_t max_limit;             /* larger limits are TOO_LARGE: default 1000 (keep it at
                                     most the data service's max_list) */
    size_t max_query;             /* bytes of the FTS5 query string: default 4096 */
    size_t max_hit_body;          /* bytes of a body in a hit (longer ones are cut;
                                     Hit.body_size tells): default 65536 */
    size_t max_answer;            /* bytes of hits in one answer, local or merged (keep
                                     it at most half the context's max_frame): default
                                     8 MiB */
    unsigned max_queries;         /* search.query not yet answered on this node; more
                                     get BUSY: default 16 */
    unsigned max_local;           /* local searches in flight: search.local and the
                                     queries' own parts, each until its search calls
                                     back (after its query was answered too); a
                                     query or search.local beyond gets BUSY: default 64 */
    uint32_t max_local_ms;        /* the longest one local search runs (a search.local,
                                     or a query's own part), whatever the caller's
                                     deadline, so that no caller holds this node's read
                                     slots (or its close) longer: default 60000 */
    sipc_log_fn log;              /* where the service says what it notices (a peer that
                                     is this node, a peer that answers under another
                                     node's id); default: nowhere */
    void *log_arg;
} sipc_search_options;

void sipc_search_options_init(sipc_search_options *opts);

typedef struct sipc_search sipc_search;

/* Makes the service: local is this node's data service (searched in
 * process), ctx the context whose channels reach the peers (one channel per
 * peer, opened here; they redial by themselves). opts may not be NULL when
 * there are peers. Returns 0, or SIPC_EINVAL / SIPC_ENOMEM / an error of
 * sipc_channel_open (a peer's channel) with the reason in err. */
int sipc_search_open(sipc_search **out, sipc_ctx *ctx, sipc_data *local,
                     const sipc_search_options *opts, char *err, size_t errlen);

/* Adds search.query and search.local to r, with s as their argument. */
int sipc_search_register(sipc_search *s, sipc_router *r);

/* Calls fn(arg, info) for the link to each peer (for status reports). */
void sipc_search_links(const sipc_search *s, void (*fn)(void *arg, const sipc_link_info *info),
                       void *arg);

/* Stops taking queries: the handlers on the router of sipc_search_register
 * are replaced by one that answers CLOSING (so a request still arriving
 * never reaches a freed s); answers every query in flight exactly once
 * (CLOSING) after cancelling its calls to peers; closes the channels to
 * peers; waits for this node's searches still on the thread pool; then
 * calls cb(arg) (possibly from inside this call) and frees s.
 * Order: after the listeners were told to close (sipc_ctx_close or
 * sipc_server_close), in the same callback as sipc_ctx_close when that is
 * how (the context then closes the peers' channels itself; never after the
 * context is gone), and no later than sipc_data_close. Free the router
 * only after cb. */
void sipc_search_close(sipc_search *s, void (*cb)(void *arg), void *arg);

#ifdef __cplusplus
}
#endif
#endif /* SIPC_SEARCH_SERVICE_H */
