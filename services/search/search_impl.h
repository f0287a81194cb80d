/* search_impl.h - what the search service's files share: the sipc_search
 * object and its peers, the request checks, this node's answer, and the
 * coordinator's entry point. Not installed; search_service.h is the
 * interface. */
#ifndef SIPC_SEARCH_IMPL_H
#define SIPC_SEARCH_IMPL_H

#include "search.pb-c.h"
#include "search_service.h"

/* One other node: its channel and what its hellos said. */
typedef struct search_peer {
    sipc_search *s;
    sipc_channel *ch;  /* NULL once closed (or left to a closing context) */
    char address[200]; /* "host:port" as configured */
    char node[64];     /* node id from its last hello, "" until one came */
    int self;          /* its hello named this node: searched locally instead */
    int same_id;       /* others_only: its hello named this node's id: another
                          node with it, listed missing instead */
} search_peer;

struct search_query;

struct sipc_search {
    sipc_ctx *ctx;
    sipc_data *data;
    sipc_router *router;          /* of sipc_search_register: re-pointed at close */
    sipc_search_options o; /* strings below */
    char node[64];
    char address[200];
    search_peer *peers;
    size_t npeers;
    struct search_query *queries; /* coordinator queries alive, a list */
    unsigned nqueries;            /* of them, the ones not yet answered */
    unsigned alive;               /* query objects not yet freed */
    unsigned nlocal;              /* search.local (and local parts) on the thread pool */
    struct local_job *locals;     /* the search.local of them, a list: a close stops them */
    unsigned channels_open;       /* channels we asked to close and that have not yet */
    int closing, finished;
    void (*close_cb)(void *);
    void *close_arg;
};

void search_log(const sipc_search *s, sipc_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A request checked and turned into a data query: the strings it points to
 * live in buf (free with search_req_free). */
typedef struct search_req {
    sipc_data_query q;
    sipc_data_attr *attrs;
    char *buf;
    size_t limit;
    Sipc__Search__Order order;
} search_req;

/* Takes a request of either method: 0 with r filled, or 1 when req was
 * answered already (closing, deadline passed, in_flight at cap (BUSY), a
 * payload that does not decode, a request over the limits). */
int search_req_take(sipc_search *s, sipc_request *req, unsigned in_flight, unsigned cap,
                    search_req *r);
void search_req_free(search_req *r);
/* r as the QueryRequest peers get (*out malloc'd): only what was checked,
 * with the limit this node resolved, never the caller's bytes, so that
 * fields this node does not know (and their decoding cost) stay here.
 * Returns 0 or SIPC_ENOMEM. */
int search_req_pack(const search_req *r, uint8_t **out, size_t *outlen);
/* The part of a deadline of left ms kept back for an answer's way back
 * (and, for the coordinator, its merging): a tenth, at most 500 ms. */
int64_t search_margin_ms(int64_t left);
/* Why a local search of this node ended at its deadline, in the same words
 * for the coordinator's own part and a peer's search.local: the time it
 * had (timeout_ms), whether it never began (waited: every read slot was
 * busy the whole time), and, when that time was max_local_ms rather than
 * what the caller allowed (asked_ms), that. */
void search_timeout_reason(const sipc_search *s, uint32_t timeout_ms, int64_t asked_ms,
                           int waited, char *out, size_t n);
/* Whether the message of a search stopped at its deadline says it never
 * began (sipc_data_search's SIPC_DATA_SEARCH_WAITED). */
int search_waited(const char *message);
/* The status for an error of sipc_data_search (at once or in its callback). */
int search_status_of_data(int err);

/* Packs this node's hits as a QueryResponse naming this node; *out is
 * malloc'd. Returns 0 or SIPC_ENOMEM. */
int search_pack_local(const sipc_search *s, const sipc_data_hit *hits, size_t n, int more,
                      size_t limit, uint8_t **out, size_t *outlen);

/* Called when a query object is freed or a local search ends: finishes a
 * close once nothing is left. */
void search_maybe_finish(sipc_search *s);

/* search.query (arg: the sipc_search). search_query.c */
void search_h_query(sipc_request *req, void *arg);
/* Answers every query in flight with CLOSING; with calls_live, cancels
 * their calls to peers first (otherwise the closing context does). */
void search_abort_queries(sipc_search *s, int calls_live);

#endif
