/* pipeline_test_support.h - a cluster in one process for the pipeline
 * tests: three "nodes" (a context, a data service in its own temp dir and a
 * server on 127.0.0.1 port 0 each), a pipeline hosted in a context of its
 * own and delivering to the three data services, and a producer client with
 * a channel to the pipeline and one to each data service (to look at what
 * was stored). All on one loop. */
#ifndef SIPC_TEST_PIPELINE_SUPPORT_H
#define SIPC_TEST_PIPELINE_SUPPORT_H

#include <sys/types.h>

#include "data_test_support.h"
#include "pipeline.pb-c.h"
#include "pipeline_service.h"

#define PW_NODES 3

typedef struct pw_node {
    char *home;
    sipc_security *sec;
    sipc_ctx *ctx;
    sipc_router *router;
    sipc_server *srv; /* NULL while the node is "down" */
    sipc_data *d;
    int port;
    char name[64];    /* "127.0.0.1:PORT", the pipeline's name for it */
    tu_log log;
} pw_node;

typedef struct pw {
    uv_loop_t loop;
    pw_node n[PW_NODES];
    sipc_security *psec, *lsec, *csec;
    sipc_ctx *pctx, *cctx;
    sipc_router *prouter;
    sipc_server *psrv;
    sipc_pipeline *p;
    int pport;
    sipc_channel *ch;             /* producer -> pipeline */
    sipc_channel *dch[PW_NODES];  /* inspector -> data services */
    tu_log plog, clog;
} pw;

/* The options of every context pw_start makes: node id, cluster "test",
 * the log into log, quick redials. */
void pw_options(sipc_options *o, const char *id, tu_log *log);

/* Starts the cluster: data nodes in data_mode, the pipeline's listener in
 * pipe_mode (its links in data_mode), TLS modes with pem. opts may be NULL;
 * its dests and link fields are filled here. dopts: the data services'
 * options, or NULL. Asserts success. */
/* max_frame of every context pw_start makes; 0: the default. */
extern size_t pw_max_frame;

pw *pw_start(sipc_tls_mode data_mode, sipc_tls_mode pipe_mode, const char *pem,
             const sipc_pipeline_options *opts, const sipc_data_options *dopts);
/* Closes everything (the pipeline too unless already closed, p NULL). */
void pw_stop(pw *w);

/* Takes node i down (its listener closes; its data stays) or up again on
 * the same port. */
void pw_node_down(pw *w, int i);
void pw_node_up(pw *w, int i);

/* Records "PREFIX-%05d" for i in [from, to): timestamp 1700000000000 + i,
 * attribute user = u(i % 7), body "body of PREFIX i". */
typedef struct pw_recs {
    size_t n;
    trec *t;
    char (*id)[40];
    char (*body)[64];
    char (*user)[8];
    Sipc__Data__Record **p;
} pw_recs;
void pw_recs_make(pw_recs *r, const char *prefix, int from, int to);
void pw_recs_free(pw_recs *r);

/* One ingest call's outcome. */
typedef struct pw_ingest {
    int done;
    int err, status;
    char message[800];
    Sipc__Pipeline__IngestResponse *resp; /* when err == 0 */
    int *count;                           /* incremented when done, if set */
} pw_ingest;

/* Starts pipeline.ingest of recs[0..n) (to_node may be NULL). */
void pw_ingest_start(pw *w, Sipc__Data__Record **recs, size_t n, const char *to_node,
                     uint32_t timeout_ms, pw_ingest *out);
/* The same on another channel to a pipeline. */
void pw_ingest_on(sipc_channel *ch, Sipc__Data__Record **recs, size_t n, const char *to_node,
                  uint32_t timeout_ms, pw_ingest *out);
/* Starts pipeline.ingest with a payload as it is. */
void pw_ingest_raw_start(pw *w, const uint8_t *buf, size_t len, uint32_t timeout_ms, pw_ingest *g);
/* The same, waiting for the answer. */
void pw_ingest_wait(pw *w, Sipc__Data__Record **recs, size_t n, const char *to_node,
               uint32_t timeout_ms, pw_ingest *out);
void pw_ingest_free(pw_ingest *g);
/* Runs the loop until *count reaches n (at most ms). */
int pw_wait_count(pw *w, const int *count, int n, unsigned ms);

/* The ids stored by node i (data.list over every page), sorted; *n set.
 * Free with pw_ids_free. */
char **pw_stored_ids(pw *w, int i, size_t *n);
void pw_ids_free(char **ids, size_t n);

/* A data service in a child process (one a test stops with SIGSTOP): this
 * test program run again as `PROGRAM --serve-data DIR HOST`; its main hands
 * those two to pw_child_data_serve. Killed when this process dies. Returns
 * its pid; *port its data port on HOST. */
pid_t pw_child_data(const char *dir, const char *host, int *port);
/* The child's side: a data service in dir, node id "child", plaintext, on
 * host at a port the kernel picks, written to stdout; hook (may be NULL)
 * changes its router first (0, or a failure). Runs until killed; returns an
 * exit code when it cannot start. */
int pw_child_data_serve(const char *dir, const char *host, int (*hook)(sipc_router *r));

#endif
