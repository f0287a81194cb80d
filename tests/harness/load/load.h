/* load.h - what sipc-load's commands share: the command line, the cluster
 * description (DIR/cluster.json), the ledger (DIR/load/ledger), its replay
 * into counters, the report, and the two engines (sending, verifying).
 *
 * sipc-load sends records through the pipeline service of a running cluster
 * and keeps an append-only ledger of what happened to each one: sent,
 * acknowledged, retried, failed, later found by get and by search. Record
 * ids are "<run>-<seq>" with seq counting from 0, so every per-record state
 * is one bit (or one byte) per seq, never a map of strings.
 *
 * A command is one file (cmd_*.c) with a handler `int cmd_x(void *o)` that
 * returns the process's exit code; main.c holds the option tables. */
#ifndef SIPC_LOAD_H
#define SIPC_LOAD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "services/common/exit_codes.h"
#include "services/common/opt.h"
#include "sipc/node.h"
#include "sipc/sipc.h"

/* Exit codes: services/common/exit_codes.h, and sipc-load's own 1. */
#define LOAD_EXIT_CHECK 1 /* the check: lost, unverified, errors or pending above 0, not
                            verified, or the ledger incomplete */

typedef struct load_opts {
    const char *dir;     /* --dir: the cluster directory (cluster.json, load/) */
    int rate;            /* --rate: records per second */
    int duration;        /* --duration: seconds, 0 until stopped */
    int count;           /* run --count */
    int timeout;         /* stop --timeout: seconds for the drain and the verification */
    int deadline;        /* --deadline: seconds a record is retried before it is an error */
    int batch;           /* --batch: records per ingest call at most */
    int reconnect;       /* --reconnect: seconds between new pipeline connections, 0 never */
    const char *nodes;   /* --nodes n1,n2: whose pipelines get the records */
    int json;            /* report --json */
    int version;         /* --version */
    int check;           /* report/run --check */
    const char *cmd;
    int nargs;
} load_opts;

/* ------------------------------------------------------------ the cluster */

#define LOAD_MAX_NODES 32
enum { LOAD_PORT_DATA = 0, LOAD_PORT_SEARCH, LOAD_PORT_MANAGEMENT, LOAD_PORT_PIPELINE, LOAD_PORTS };

typedef struct load_node {
    char name[64];
    char address[128];
    int port[LOAD_PORTS];
    char dest[160]; /* "address:data port": the pipeline's name for this destination */
} load_node;

typedef struct load_cluster {
    char name[128];
    char client_home[512];
    load_node node[LOAD_MAX_NODES];
    int n;
} load_cluster;

/* Reads DIR/cluster.json (schema version 1: name, client_home and nodes with
 * name, address and ports). 0, or SIPC_ECONFIG with the reason in err. */
int load_cluster_read(load_cluster *c, const char *dir, char *err, size_t errlen);
/* The node whose name, or whose "address:data port", is s; -1 when none. */
int load_cluster_find(const load_cluster *c, const char *s);
/* --nodes "n1,n2" into indexes (all nodes when list is NULL or empty). 0, or
 * SIPC_EINVAL naming the unknown node. */
int load_cluster_select(const load_cluster *c, const char *list, int *idx, int *n, char *err,
                        size_t errlen);

/* ---------------------------------------------------------------- bitmaps */

/* One bit per seq, grown on demand up to LOAD_MAX_SEQ. */
#define LOAD_MAX_SEQ 100000000ull
typedef struct load_bits {
    uint8_t *b;
    uint64_t nbytes;
} load_bits;

int load_bits_set(load_bits *s, uint64_t seq); /* 0 or SIPC_ENOMEM / SIPC_EINVAL */
int load_bits_get(const load_bits *s, uint64_t seq);
uint64_t load_bits_count(const load_bits *s);
void load_bits_free(load_bits *s);

/* -------------------------------------------------------------- the ledger */

/* Lines of DIR/load/ledger, one event a line, appended with one write(2)
 * each, so a generator killed at any moment leaves whole lines behind (a
 * torn last line is ignored on replay). SEQS is "a-b,c,...", ascending runs.
 *
 *   run RUN START_MS RATE PID NODES VERSION   a new run (the first line)
 *   S T NODE SEQS                       first sent, in an ingest call to NODE;
 *                                       T is the records' own timestamp
 *   R T NODE SEQS REASON                sent again (retry), after REASON
 *   A T DEST SEQS                       acknowledged: committed on DEST ("host:port")
 *   E T SEQS REASON                     failed for good (an error)
 *   P T SENT ACKED ERRORS OUTSTANDING LONGEST_STALL_MS MAX_LATENCY_MS RETRIES
 *   Q T NODE HITS PARTIAL MISSING       a search during the run (MISSING: names or -)
 *   H T SEQS                            found by a search
 *   X T OUTSTANDING SENT ACKED ERRORS WHY  the generator ended, with its own counts
 *   F T NODE SEQS                       verification: found by get on NODE
 *   N T SEQS REASON                     verification: acknowledged and not found
 *   G T NODE SEQS                       verification: errors found stored on NODE after all
 *   D T SEQS                            verification: stored more than once
 *   V T FOUND LOST DUPLICATED UNVERIFIED NODES  verification done
 *
 * VERSION 2 (absent: 1) says that S's T is the records' timestamp and X
 * carries the counts; a version 1 ledger is verified without either. */
#define LOAD_LEDGER_VERSION 2
/* The X line's WHY when the generator stopped for a ledger it could not write. */
#define LOAD_X_LEDGER_FAILED "ledger write failed"

typedef struct load_ledger {
    int fd;
    /* the first failed write's error (a negative errno code), 0 while none
     * failed: the ledger misses events from there on, and nothing but
     * load_ledger_last_line is written after it */
    int failed;
} load_ledger;

int load_ledger_open(load_ledger *lg, const char *path, char *err, size_t errlen);
void load_ledger_close(load_ledger *lg);
/* Appends one line (printf format, without the newline). Lines longer than
 * the internal buffer are written from a heap copy. 0, or the failure of
 * this write or an earlier one (lg->failed): a ledger with a gap must not
 * read as whole, so nothing more is written. */
int load_ledger_line(load_ledger *lg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One line written even after a failure (the generator's X line), on a
 * line of its own: a newline first ends what a failed write may have left. */
int load_ledger_last_line(load_ledger *lg, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A growable text buffer for SEQS lists. */
typedef struct load_text {
    char *s;
    size_t len, cap;
    uint64_t first, last; /* the open run of the seq list */
    int open;
} load_text;
void load_seqs_add(load_text *t, uint64_t seq); /* keeps consecutive seqs as one run */
const char *load_seqs_end(load_text *t);        /* closes the list; "" when empty */
void load_text_free(load_text *t);
/* Parses SEQS, calling fn for every seq; SIPC_EFORMAT on a malformed list or a
 * seq beyond LOAD_MAX_SEQ. */
int load_seqs_parse(const char *s, int (*fn)(uint64_t seq, void *arg), void *arg);

/* Seqs first sent together, with their timestamp (an S line's run). */
typedef struct load_sent_run {
    uint64_t first, last;
    int64_t ts;
} load_sent_run;

/* The ledger replayed. */
typedef struct load_state {
    char run[64];
    int version;   /* the run line's VERSION, 1 when it has none */
    int64_t start_ms, first_sent_ms, last_sent_ms, last_ms;
    int rate;
    long pid;
    uint64_t nseq; /* highest seq sent + 1 */
    load_bits sent, acked, errored, found, lost, dup, searched, stored_errors;
    uint8_t *dest;   /* per seq: the node index that acknowledged it, 0xff unknown */
    uint64_t ndest;
    load_sent_run *sends; /* the S lines' seqs and timestamps, in seq order */
    size_t nsends, capsends;
    uint64_t retries, longest_stall_ms, max_latency_ms;
    uint8_t *acks;   /* per second since start_ms: records first acknowledged then (uint32_t) */
    uint64_t nacks;  /* bytes of acks */
    uint64_t searches, searches_partial, bad_lines;
    char partial_nodes[256]; /* nodes named missing by searches, comma separated */
    int ended;               /* an X line */
    int x_counts;            /* it carried the generator's counts: */
    uint64_t x_sent, x_acked, x_errors;
    char x_why[160];         /* its WHY */
    int verified;            /* a V line */
    uint64_t unverified;
    char unverified_nodes[256]; /* the V line's nodes that could not be asked ("" none) */
} load_state;

void load_state_init(load_state *st);
void load_state_free(load_state *st);
/* Applies one ledger line (without its newline); c maps DEST to node indexes
 * (may be NULL). A malformed line is counted in bad_lines, not an error. */
void load_state_line(load_state *st, const char *line, const load_cluster *c);
/* Replays the ledger at path. 0, SIPC_ENOTCONN when there is none, or an
 * error with err. */
int load_state_read(load_state *st, const char *path, const load_cluster *c, char *err,
                    size_t errlen);
/* The OUTSTANDING of the ledger's last P line (read from its tail): 0, or
 * -1 when there is none. */
int load_ledger_outstanding(const char *path, uint64_t *outstanding);
/* The timestamp record seq was sent with (its S line's T, version 2): 0, or
 * -1 when the ledger does not say. */
int load_state_sent_ts(const load_state *st, uint64_t seq, int64_t *ts);
/* Whether the ledger is known to miss events, so that its counts cover only
 * part of the run: the generator could not write it, ended without its X
 * line (running: whether a generator still writes it), counted more than
 * its lines hold, or lines that cannot be read, acknowledgements of records
 * never recorded as sent. 1 with the reasons in why, else 0 and why "". */
int load_state_incomplete(const load_state *st, int running, char *why, size_t cap);

/* -------------------------------------------------------------- the report */

typedef struct load_report {
    char run[64];
    /* running, stopped (not verified), verified-partial, verified, or
     * incomplete (the ledger misses events: see incomplete) */
    char state[24];
    uint64_t sent, acknowledged, found, lost, duplicated, errors, longest_stall_ms;
    uint64_t longest_slow_ms; /* whole seconds acknowledging under half the rate asked */
    uint64_t retries, pending, unverified, errors_stored, max_latency_ms, searches,
        searches_partial;
    double seconds, rate;
    int rate_asked; /* --rate of the run, 0 when its ledger does not say */
    char partial_nodes[256];
    char unverified_nodes[256]; /* nodes verification could not ask, comma separated */
    char incomplete[512];       /* why the ledger is incomplete, "" when it is whole */
} load_report;

void load_report_from_state(load_report *r, const load_state *st, int running);
/* Seven lines "name: N" in the fixed order, then the extras; or one JSON object. */
void load_report_print(FILE *out, const load_report *r, int json);
int load_report_write(const load_report *r, const char *path, char *err, size_t errlen);
int load_report_read(load_report *r, const char *path, char *err, size_t errlen);
/* --check: 0 when verified from a whole ledger with lost, unverified,
 * errors and pending 0, else LOAD_EXIT_CHECK; the message on why tells
 * records proven lost from unverified ones, and says an incomplete ledger. */
int load_report_check(const load_report *r, FILE *why);

/* --------------------------------------------------------------- the client */

/* Files under DIR/load/. */
typedef struct load_paths {
    char dir[512], ledger[600], pid[600], log[600], report[600];
} load_paths;
int load_paths_make(load_paths *p, const char *dir, int create, char *err, size_t errlen);
/* o->dir as an absolute path into dir: 0, or SIPC_EXIT_CONFIG, said, when it
 * is missing or not a folder (every command: the same condition, the same
 * code). */
int load_dir_resolve(const load_opts *o, char dir[512]);
/* The pid of the generator of DIR/load/pid when that process is alive and is
 * sipc-load (not a recycled pid); 0 otherwise. */
long load_running_pid(const load_paths *p);
/* Moves the ledger, report and log of a previous run aside (*.prev). */
void load_paths_rotate(const load_paths *p);
/* A new run id: "l" and hex digits (time, pid): no '-', unique per run. */
void load_run_id(char *out, size_t cap);
/* load_fail(code, fmt, ...): "sipc-load: <text>" on stderr; returns code. */
#define load_fail(...) cli_fail("sipc-load", __VA_ARGS__)

/* The log DIR/load/load.log ("2026-12-02T11:00:00.123Z LEVEL text"), or stderr. */
void load_log_open(const char *path);
void load_log(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A sipc_log_fn into the log at WARN and above. */
void load_log_sink(void *arg, sipc_log_level level, const char *category, const char *msg);

/* The client home's security as it was loaded: a stamp (inode, size,
 * mtime) of each file a change of its security writes (sipc.conf, security/,
 * its node.crt, node.p12, trust/, crl/, rotation). Missing files stamp 0. */
#define LOAD_HOME_FILES 7
typedef struct load_home_stamp {
    uint64_t f[LOAD_HOME_FILES][4];
} load_home_stamp;
void load_home_stamp_read(const load_cluster *c, load_home_stamp *st);
int load_home_stamp_equal(const load_home_stamp *a, const load_home_stamp *b);
/* sipc_config_load + sipc_security_load_client of the client home into cfg
 * and *sec (the caller releases it). 0, or SIPC_EXIT_CONFIG with err. */
int load_client_security(sipc_security **sec, sipc_config *cfg, const load_cluster *c, char *err,
                         size_t errlen);
/* A context on loop with the security of the cluster's client_home
 * (sipc_security_load_client: TLS whenever a pair is imported, plaintext
 * toward a plaintext node unless the home is enabled). 0 or an exit code,
 * the reason in err. */
int load_client_ctx(sipc_ctx **ctx, uv_loop_t *loop, const load_cluster *c, char *err,
                    size_t errlen);
/* Closes ctx and runs the loop until it is gone. */
void load_client_close(sipc_ctx *ctx, uv_loop_t *loop);
int64_t load_now_ms(void); /* wall clock, Unix ms */

/* The content of record seq of run: deterministic, so a retry re-sends the
 * identical record (UNCHANGED on the data service) and verification can
 * compare what is stored. */
#define LOAD_ATTR_RUN "load_run"
#define LOAD_ATTR_SEQ "load_seq"
size_t load_record_id(const char *run, uint64_t seq, char *out, size_t cap);
size_t load_record_body(const char *run, uint64_t seq, char *out, size_t cap);
/* seq of an id of run ("<run>-<seq>"); 0, or -1 for an id of something else. */
int load_record_seq(const char *run, const uint8_t *id, size_t len, uint64_t *seq);

/* What start and run share: cluster.json read, nodes chosen, DIR/load/ made,
 * no generator running there, the previous run moved aside, a run id. */
typedef struct load_setup {
    load_cluster c;
    int nodes[LOAD_MAX_NODES];
    int nnodes;
    load_paths paths;
    char run[64];
} load_setup;
/* 0, or an exit code with the reason printed. */
int load_prepare(const load_opts *o, load_setup *su);
/* Opens the ledger and writes the run line (this process's pid): 0,
 * SIPC_EXIT_CONFIG when it does not open, SIPC_EXIT_CANTCREAT when the line
 * cannot be written (logged). */
int load_begin(const load_opts *o, load_setup *su, load_ledger *lg);

/* ---------------------------------------------------------------- search */

/* A search.query for the run's records (attribute load_run) with
 * since_ms <= timestamp < until_ms (0: no bound), packed into buf; its
 * length, 0 when cap is too small. */
size_t load_search_request(const char *run, int64_t since_ms, int64_t until_ms, uint8_t *buf,
                           size_t cap);

/* What a search answer says about the run. */
typedef struct load_hits {
    load_text hits;     /* the run's seqs among the hits, once each (closed list) */
    load_text dups;     /* seqs that came twice */
    uint64_t nhits, ndups;
    size_t all_hits;    /* hits of any id */
    int partial;
    char missing[256];  /* the missing nodes' names, comma separated ("" none) */
    char detail[1024];  /* "n2 (127.0.1.2:23001): connection refused; ..." */
} load_hits;
/* The most hits one search returns (QueryRequest.limit): an answer with as
 * many may have left records out. */
#define LOAD_SEARCH_LIMIT 1000
/* Decodes a QueryResponse; 0 or SIPC_EFORMAT. load_hits_free after 0. */
int load_search_answer(const char *run, const load_cluster *c, const uint8_t *data, size_t len,
                       load_hits *h);
void load_hits_free(load_hits *h);

/* ---------------------------------------------------------------- engines */

typedef struct load_send_conf {
    const load_cluster *c;
    const int *nodes; /* indexes of the nodes whose pipelines get records */
    int nnodes;
    int rate, duration, deadline, batch;
    int reconnect;    /* seconds between new pipeline channels, 0 never */
    uint64_t count;   /* 0: until stopped */
    int ready_fd;     /* start: "ok\n" or "unreachable: ...\n" once known; -1 none */
    load_ledger *lg;
    const char *run;
} load_send_conf;

/* Sends until stopped (SIGTERM/SIGINT), duration or count, then drains:
 * every record sent is acknowledged, failed for good after its deadline, or
 * still outstanding when a second signal came. 0, SIPC_EXIT_UNAVAILABLE when
 * no pipeline could be reached at the start, or another exit code. */
int load_send(const load_send_conf *conf);

/* Verifies the acknowledged records of st against the cluster: a get for
 * each (on the node that acknowledged it, then every other node), a list of
 * every node's records in the run's time range (duplicates), a search
 * sample. Writes F/N/D/H/V lines and fills r. Bounded by timeout_s. 0, or
 * SIPC_EXIT_UNAVAILABLE when some node could not be asked (those records
 * count as not found, and as unverified). */
int load_verify(load_state *st, const load_cluster *c, load_ledger *lg, int timeout_s,
                load_report *r);

/* Replays DIR/load/ledger, verifies it (load_verify), writes report.json and
 * prints the report (o->json); the report also into *out when not NULL.
 * 0, SIPC_EXIT_UNAVAILABLE, or another exit code with the reason printed. */
int load_verify_and_report(const load_opts *o, const load_cluster *c, const load_paths *p,
                           load_report *out);

#endif
