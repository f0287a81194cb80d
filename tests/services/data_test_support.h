/* data_test_support.h - helpers for the data service tests: records built
 * on the stack; a "world" (a data service behind a real sipc server and a
 * client channel to it, on one loop over 127.0.0.1); calls that pack a
 * request message and wait for the answer. */
#ifndef SIPC_TEST_DATA_SUPPORT_H
#define SIPC_TEST_DATA_SUPPORT_H

#include <protobuf-c/protobuf-c.h>

#include "data.pb-c.h"
#include "data_service.h"
#include "testutil.h"

/* A record on the stack with up to 8 attributes. */
typedef struct trec {
    Sipc__Data__Record r;
    Sipc__Data__Attribute a[8];
    Sipc__Data__Attribute *ap[8];
} trec;

/* s as bytes, without its NUL (s must outlive the result). */
ProtobufCBinaryData bin(const char *s);
/* Fills t and returns &t->r; the variadic part is attribute pairs
 * "k1", "v1", "k2", "v2", ..., ended by NULL. */
Sipc__Data__Record *mk(trec *t, const char *id, int64_t ts, const char *body, ...);

typedef struct dw {
    uv_loop_t loop;
    char *home;     /* temp dir; the database is in home/data */
    char dir[600];
    sipc_security *ssec, *csec;
    sipc_ctx *sctx, *cctx;
    sipc_router *router;
    sipc_server *srv;
    sipc_channel *ch;
    sipc_data *d;
    int port;
    tu_log slog, clog;
} dw;


/* The address dw_server listens on and dw_client connects to (127.0.0.1
 * unless a test sets it). */
extern const char *dw_host;

/* Server side: home, data service (opts may be NULL), router, context,
 * listener on 127.0.0.1:0. mode OFF or STRICT with pem. Asserts success. */
void dw_server(dw *w, sipc_tls_mode mode, const char *pem, const sipc_data_options *opts);
/* Client side: a channel to w->port. */
void dw_client(dw *w, sipc_tls_mode mode, const char *pem);

/* The service's waits, shortened so that a test sees a change within a
 * second: a look every DW_WATCH_MS, a change settled after DW_SETTLE_MS,
 * timed attempts from DW_RETRY_MS on, the probe's timer every
 * DW_PROBE_MS. */
#define DW_WATCH_MS 50
#define DW_SETTLE_MS 200
#define DW_RETRY_MS 300
#define DW_PROBE_MS 200
void dw_short_waits(sipc_data_options *o);
/* The options most service tests start from: the defaults, retry_open (the
 * service may stay up unopened), the short waits, and the log kept in log
 * (none when NULL). */
void dw_test_options(sipc_data_options *o, tu_log *log);
/* A world without TLS on host (dw_host is left set to it; a test sets it
 * back to 127.0.0.1 at its end), its data service opened with o. */
dw *dw_world(const char *host, const sipc_data_options *o);
/* dw_world with dw_test_options(log). */
dw *dw_logged_world(const char *host, tu_log *log);
/* The end of a dw_world's test: dw_close, log freed (when not NULL),
 * dw_free, dw_host back to 127.0.0.1. */
void dw_world_end(dw *w, tu_log *log);
/* A new, empty database at path (the service's schema), closed. */
void dw_make_db(const char *path);
/* A file at path that is no database (8 KiB of 'A'): an open refuses it. */
void dw_not_a_db(const char *path);
/* A data service opened on loop without a world closed (its callback
 * within 5 s), the loop drained and closed. */
void dw_data_close(uv_loop_t *loop, sipc_data *d);
/* A callback that sets the int at arg to 1 (opened_cb, sipc_data_close's). */
void dw_set_flag(void *arg);
/* Closes the server context, then the data service, then the client; drains
 * the loop and frees everything but the home directory (dw_free removes it). */
void dw_close(dw *w);
void dw_free(dw *w);

typedef struct dw_result {
    int done;
    int err;
    int status;
    char message[600];
    uint8_t *data; /* the answer, malloc'd */
    size_t len;
} dw_result;

void dw_on_result(int err, const sipc_reply *rep, void *arg);
/* A dw_world on host (o: its options, sync set to NORMAL here so that the
 * records go in faster) holding nrecords (a multiple of 1000) records r0,
 * r1, ... of 40 words w0000..w4999 each (fixed seed) and the attributes
 * k=v, tag=x, so that an OR of many words takes a while: each row is
 * matched against every word, in steps SQLite can stop between. */
dw *dw_words_world(const char *host, sipc_data_options *o, int nrecords);

/* A second plaintext context on w's loop (node id, cluster "test", w's
 * server log) for a service beside w's; its security in *sec (release it
 * after the context). Asserts success. */
sipc_ctx *dw_ctx_beside(dw *w, const char *node_id, sipc_security **sec);

/* A sipc_data_search's outcome, for the tests that time searches. */
typedef struct dw_sres {
    int done; /* callbacks so far */
    int err;
    char message[300];
    size_t nhits;
    uint64_t at_ms; /* dw_now_ms() at the callback */
} dw_sres;
/* The sipc_data_search_cb that fills the dw_sres at arg. */
void dw_on_search(int err, const char *message, const sipc_data_hit *hits, size_t n, int more,
                  void *arg);
/* uv_hrtime() in ms. */
uint64_t dw_now_ms(void);
/* Calls data.<method> with raw bytes and runs the loop until it completes. */
void dw_call_raw(dw *w, const char *method, const void *p, size_t len, dw_result *r);
/* The same with a message packed first. */
void dw_call(dw *w, const char *method, const ProtobufCMessage *m, dw_result *r);
void dw_result_free(dw_result *r);
/* Puts a record id (body "body") and waits: 0, or the status (or error)
 * with its message in msg. */
int dw_put(dw *w, const char *id, char *msg, size_t len);
/* the same with the record's body */
int dw_put_body(dw *w, const char *id, const char *body, char *msg, size_t len);

/* A payload that decodes to many times its bytes: n copies of the 2-byte
 * field (key, 0), an empty bytes field (key = tag << 3 | 2) or an unknown
 * varint (tag << 3 | 0). With id: inside a record with that id, itself
 * field 1 of the message (PutRequest, PutBatchRequest and IngestRequest all
 * carry records there); without: at the message's top level. malloc'd. */
uint8_t *dw_flood(const char *id, uint8_t key, size_t n, size_t *len);

/* The densest put_batch the default limits allow: 1000 records "r0" to
 * "r999", each with 64 attributes of key "k" and no value, no body; the
 * records live in static storage (rp[0..999], shared by every call). */
Sipc__Data__PutBatchRequest dw_dense_batch(void);

/* The single integer sql (SELECT count(*) ...) gives on the database at
 * path, opened on its own connection. Asserts success. */
int64_t dw_count(const char *path, const char *sql);

#endif
