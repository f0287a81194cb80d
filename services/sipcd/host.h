/* host.h - the services of one node, hosted in sipcd: the data service,
 * the search endpoint, the management channel and the pipeline, each with
 * its own listener on [node] address, its own context and log file, and the
 * security [tls] (or, for the pipeline, [pipeline] tls) gives it. */
#ifndef SIPCD_HOST_H
#define SIPCD_HOST_H

#include <jansson.h>
#include <stdint.h>
#include <uv.h>

#include "home_lock.h"
#include "peers.h"
#include "records_mark.h"
#include "sipc/node.h"

struct sipc_data;
struct sipc_mgmt;
struct sipc_metrics_http;
struct sipc_pipeline;
struct sipc_search;

/* HOST_DATA .. HOST_NSERVICES and their names: peers.h */

/* The files of a folder of the home (security/trust, security/crl): every
 * one of them in a digest that no order of reading changes, so that a reload
 * tells a change in any of them, however many there are; and the first
 * HOST_MAX_FILES by name and a checksum of their contents, so that it can
 * say what came, went or was updated. */
#define HOST_MAX_FILES 64
typedef struct host_files {
    int n;           /* entries named below */
    int total;       /* every file; -1: the folder could not be read */
    uint64_t all[4]; /* every file: the sums, word by word, of SHA-256(name NUL contents) */
    char name[HOST_MAX_FILES][128];
    uint64_t sum[HOST_MAX_FILES];
} host_files;

/* Whether writes of one kind fail now and since when, as a status says it
 * (the database's, the log files', the state/ files'). */
typedef struct host_health {
    int failing;
    uint64_t failures;       /* while failing: writes failed since it began */
    int64_t since_unix_ms;   /* while failing: the first failure */
    int64_t last_unix_ms;    /* while failing: the latest */
    uint64_t failures_total; /* since the start */
    char last_error[1200];   /* while failing: the latest failure's reason */
    char what[64];           /* while failing: the file that began it */
} host_health;
/* The outcome of a write of state/name (r 0, or why in err), for the
 * status's storage.state; a success ends a failure only when it is of the
 * file that began it, so two files cannot hide each other's failure. */
void host_state_written(struct host *h, const char *name, int r, const char *err);
/* Writes HOME/state/name whole (0600) and counts the outcome as
 * host_state_written does: 0, or the error with why in err. */
int host_state_put(struct host *h, const char *name, const char *text, char *err,
                   size_t errlen);
/* A host_health as the status gives it ("storage": "writes", "state",
 * "logs"): failing and failures_total, and while failing since, failures,
 * last_failure and last_error. */
json_t *host_health_json(const host_health *hl);

typedef struct host_service {
    struct host *h;
    const char *key;       /* config section: "data" */
    char display[64];      /* "Data Service" */
    char file[64];         /* log file prefix: "DataService" */
    int port;
    sipc_security *sec;
    sipc_logger *log;
    sipc_ctx *ctx;
    sipc_router *router;
    sipc_server *srv;
} host_service;

typedef struct host {
    sipc_config cfg;
    uv_loop_t *loop;
    host_service svc[HOST_NSERVICES];
    struct sipc_data *data;
    struct sipc_mgmt *mgmt;
    sipc_ctx *probe_ctx;   /* the management channel's links to the other nodes */
    struct sipc_pipeline *pipeline;
    struct sipc_search *search;
    struct sipc_metrics_http *http;
    uv_timer_t metrics_timer;
    int metrics_timer_on;
    uint64_t metrics_refused, metrics_overdue; /* as last said (metrics_serve.c) */
    uint64_t metrics_said_ms;
    int stopping;
    int core_dumps_allowed; /* sipcd --allow-core-dumps: said at start */
    char owner_note[900];   /* run as the home's owner (run_as_owner.h): said at start */
    char lock_warning[400]; /* the home could not be locked (home_lock.h): said at start */
    char conf_warning[2048]; /* sipc_config_check_run's warnings of sipc.conf (a section of
                                no service sipcd runs, a nodes list without this node), one
                                a line: said at start */
    home_lock_prev prev_run; /* the run before, when it did not stop cleanly: said at start */
    /* reload (reload.c) */
    char pair_fp[65];      /* the imported pair's fingerprint, "" when none */
    host_files trust, crl;
    host_files rotation;   /* staged/ and the rotation state: what a rotation trusts */
    int reloading;         /* a reload job is on the thread pool */
    /* the latest reload refused for its files ({"at", "reason", "by"}), NULL
     * when none or a later reload (or a check of the files) succeeded; the
     * changes the latest reload left for a restart (NULL: none), and since */
    json_t *reload_refused;
    /* a refusal the node's check of the files cleared without a reload
     * ({"since", "refused_at", "by", "cause", "override"}): the files load
     * and the guard (or its override) lets them through, but the node runs
     * what it had until a reload; NULL after the next reload, once the check
     * finds the files are what the node runs or refused again, or none */
    json_t *reload_pending;
    /* the guard of going off: the nodes that ran strict at their last answer
     * to its question ({ADDRESS: {"node", "at"}}), so that one that cannot
     * be asked for a moment still holds the node back; NULL once a reload
     * is applied or the files are what the node runs */
    json_t *off_strict;
    json_t *restart_needed;
    char restart_since[32];
    int rechecking;        /* a check of a refused or pending reload's files is on the pool */
    uv_timer_t recheck_timer; /* runs those checks (reload.c) */
    int recheck_on;
    /* the CRL or trust guard's latest dials (crl_guard.c): a digest of the files
     * they judged, whether the guard refused them, and how many checks of a
     * refused or pending reload pass without dialling again (step: the
     * checks from one dial to the next, doubled while nothing changes) */
    int crl_dialed, crl_refused, crl_wait, crl_step;
    uint8_t crl_key[32];
    /* the node id each [cluster] entry answered a guard's dial with, by
     * dial (a check's dial that is refused learns none: then the one its
     * search or pipeline link heard; reload_dials.c) */
    char crl_node[SIPC_MAX_NODES][64];
    /* what the reload's security refused each entry for at the dials that
     * could tell, kept for the checks of the same files, which dial the
     * reload's security only (crl_guard.c); reset by each such dial, and
     * "not judged" for an entry they did not find refused */
    unsigned char crl_cause[SIPC_MAX_NODES];
    unsigned refused_gen;  /* counts refusals: a check begun before one does not clear it */
    uv_timer_t retire_timer; /* replaces connections made before a reload */
    int retire_on, retire_ticks;
    /* the strict guard (peers.c): who spoke what to this node, and when */
    host_peers peers;
    uv_timer_t peers_timer; /* saves the history (and the records' mark) when it changed */
    records_mark mark;      /* records_mark.h */
    /* plaintext acknowledgements refused: the last one logged (uv_now), and
     * how many since that were not (records_ack.c) */
    uint64_t ack_refused_logged_at;
    int ack_refused_logged;
    unsigned long ack_refused_quiet;
    host_health state_health; /* writes to state/ (the mark, the peer history) */
    int peers_timer_on;
    int64_t peers_saved_at; /* the second of the last writes at once, and how many */
    int peers_saved_n;
    int guarded;           /* started permissive instead of strict (see host_start) */
    /* the own certificate, checked while the node runs (pair_watch.c) */
    uv_timer_t pair_timer;
    int pair_timer_on;
    int pair_level[HOST_NSERVICES];        /* what was said last: fine, warned, bad */
    uint64_t pair_said_ms[HOST_NSERVICES]; /* and when */
    /* a stop by signal: the servers drain first (host_stop) */
    uv_timer_t drain_timer;
    int drain_on;
    int drain_stage;       /* 1: every service but data, 2: data */
    uint64_t drain_start;
} host;

/* How long a stop by signal waits for the requests in progress. */
#define HOST_DRAIN_MS 10000

/* pair_watch.c: checks each service's own certificate and says what is
 * wrong or near (now_say: at start and after a reload, always; else when it
 * changed or was said an hour (an error) or a day (a warning) ago; an INFO
 * when it verifies again). The watch repeats the check every 5 minutes
 * ($SIPCD_PAIR_CHECK_MS for tests, at least 100). */
void host_pair_check(host *h, int now_say);
/* tls_notes.c, at start and after a reload: with the self-signed pair
 * (pinned), a [tls] subject is never asked of peers: each service using the
 * pair says so, naming the sipc.conf line, at INFO when the certificate
 * carries the subject, else at WARN; and a WARN when [pipeline] tls makes
 * the pipeline's listener TLS while its links (the data services') are
 * plaintext. */
void host_tls_notes(host *h, const char *category);
/* tls_notes.c, once the services listen and after a reload that changed
 * their security: writes SIPC_HOME_TLS_FILE (home_lock_read.h), the mode
 * the management listener runs, by which a client of this home (sipcctl)
 * tells a node that has not applied its home's [tls] enable = 1 yet from
 * one that runs TLS; a write that fails counts as state/'s (status), and
 * the file is removed then: a client goes by its home's [tls] instead. */
void host_tls_running_save(host *h);
/* Removes SIPC_HOME_TLS_FILE: before a reload switches the listeners'
 * security, so that no client reads the mode they leave while they change
 * (or after, should the new one's write fail). */
void host_tls_running_forget(host *h);
void host_pair_watch_start(host *h);
void host_pair_watch_stop(host *h);
/* With [metrics] address: serves GET /metrics there (metrics_serve.c), the
 * text rendered and the endpoint's overdue connections closed once a
 * second; 0, or SIPC_EXIT_OSERR when it cannot listen (logged). _stop: idempotent. */
int host_metrics_start(host *h);
void host_metrics_stop(host *h);
/* Whether sec, the security of service key ("data", ... "pipeline"), holds a
 * certificate that lacks cfg's own [tls] subject, an edit gone wrong that a
 * start and a reload refuse: then SIPC_EPEERAUTH and, in msg, which of the
 * node's handshakes fail (every one, or the pipeline's when only [pipeline]
 * tls = 1 has TLS), the verifier's reason and the file and line of the
 * subject to correct; else 0. */
int host_subject_refusal(const sipc_config *cfg, const char *key, const sipc_security *sec,
                         char *msg, size_t len);

/* Starts every service of cfg's node on loop. Returns 0, or the exit code
 * (exit_codes.h) after logging why; what was started is stopped again by
 * host_stop + running the loop. The data service's test writes of a
 * failing database, the quiet time a success must follow the latest
 * failure by, and the first timed attempt to open a database that could
 * not be opened are 10 s ($SIPCD_STORAGE_PROBE_MS for tests, at least 100). */
int host_start(host *h, uv_loop_t *loop);
/* Stops every service (signame: what asked, e.g. "SIGTERM", for the log);
 * the loop then ends once everything is closed. */
void host_stop(host *h, const char *signame);
/* Re-reads sipc.conf and the imported pair (on the thread pool) and applies
 * what changed to new connections, or refuses the whole when anything is
 * invalid; what needs a restart is reported, not applied. by names who asked
 * (for the log); peer is the connection that asked (NULL: none), which the
 * strict guard does not count against its own request. force overrides the
 * strict guard and the guard of going off; ack: the asker may also
 * acknowledge the peers a forced reload cuts off (it came over TLS), so that
 * they hold no later start back. deadline_ms: how long the asker still waits
 * for the answer (0: no limit; sipc_request_deadline_ms), which bounds the
 * question to the other nodes of a reload that goes off. done (may be NULL)
 * gets the JSON answer. Loop thread only. */
void host_reload(host *h, const char *by, const sipc_peer_info *peer, int force, int ack,
                 int64_t deadline_ms, void (*done)(void *arg, json_t *answer), void *arg);
/* reload_files.c: the files of security/SUB (of trust/ and crl/ those the
 * loader reads, sipc_trust_name_loaded); a rotation's (staged/ and its
 * state). 0 (a folder that is not there has no files), or SIPC_ETLSCONFIG
 * with err when the folder cannot be read (out->total is then -1): its
 * files are then unknown, never taken for none. */
int host_files_read(const char *home, const char *sub, host_files *out, char *err,
                    size_t errlen);
int host_rotation_read(const char *home, host_files *out, char *err, size_t errlen);
/* Whether a and b hold the same files with the same contents. */
int host_files_same(const host_files *a, const host_files *b);
/* Whether now holds a file that was not in was, or with other contents;
 * when either holds more files than it names (or is unknown), whether they
 * differ at all. */
int host_files_news(const host_files *now, const host_files *was);
/* What changed from was to now, in words ("+1 CRL, 1 CRL updated", or
 * "changed (80 CRLs, 79 before)" when either holds more than it names);
 * "" when nothing. one and many: the noun. */
void host_files_change_text(const host_files *now, const host_files *was, const char *one,
                            const char *many, char *out, size_t len);
/* reload_files.c: the pair, trust/, crl/ and rotation files as the node is about
 * to load them, taken before it does: a file changed while the node starts
 * is then one the next reload sees as changed (taken after, the node would
 * run the old file and a reload say nothing changed). */
void host_reload_files_seen(host *h);
/* host_status.c: adds the status's "guard", "storage", "logs", "reload"
 * and "keepalive" sections to h->mgmt; 0, or the negative SIPC_* code of
 * the first the management service refused. */
int host_status_sections_add(host *h);

/* What service i's log says at its start about how this process came to
 * run (start_notes.c): core dumps allowed, test settings in the environment,
 * the account it runs as, a home it could not lock, and (in the data
 * service's log only) a previous run that did not stop cleanly. */
void host_start_notes(host *h, int i);
/* Each line of text (lines apart by '\n', as sipc_config_check_run gives
 * its warnings) as a log line of its own: a record is one line. */
void host_log_lines(sipc_logger *log, sipc_log_level level, const char *category,
                    const char *text);
/* reload_retire.c: what host_start sets up for later reloads: the
 * replacing of connections after one, and the check of a refused one. */
void host_reload_init(host *h);
/* reload.c: the status's "reload" section: the refused reload and the
 * changes that wait for a restart. */
json_t *host_reload_status(void *arg);
/* reload.c: starts the check of a refused or pending reload: while one is
 * recorded, every RELOAD_RECHECK_MS (or $SIPCD_RELOAD_RECHECK_MS) it checks
 * on the thread pool whether the files load now (put back), which clears a
 * refusal, and whether they are what the node runs, which clears either. */
void host_reload_recheck_start(host *h);
/* reload_retire.c: stops the timers host_reload_init started, at the stop. */
void host_reload_stop(host *h);
/* reload.c: what the reload state holds, at the end. */
void host_reload_free(host *h);
/* The security of the management channel's links: TLS only on a strict
 * node; otherwise TLS whenever a pair is imported, plaintext answers
 * accepted. */
int host_probe_security(const sipc_config *cfg, sipc_security **out, char *err, size_t errlen);

/* The peers that making the listeners services (HOST_SVC_* bits) strict
 * now would cut off (see peers.h), into out (up to max); returns how many
 * in all. */
int host_guard_peers(host *h, unsigned services, host_peer *out, int max);
/* peer_watch.c: writes the peer history if it changed; a failure is
 * logged (once per distinct problem) and retried by the timer. */
void host_save_peers(host *h);
/* peer_watch.c: every service's connection callback (arg: its
 * host_service): a peer up is recorded in the history, and redialed by
 * this node's contexts. _start: the timer that saves the history (and the
 * records' mark) while they change; _stop saves them a last time. */
void host_on_conn(sipc_conn *conn, sipc_conn_event ev, int err, void *arg);
void host_peer_watch_start(host *h);
void host_peer_watch_stop(host *h);
/* What one context learns of a peer node, told to the node's other
 * contexts (peer_news.c): a node heard from (sipc_ctx_peer_seen), and,
 * from the start on, a node that said it stops (sipc_ctx_peer_stopping). */
void host_peer_seen(host *h, const char *node, const char *address);
void host_peer_news_start(host *h);

/* host_stop.c, after the loop ended: frees what the services left. */
void host_free(host *h);

#endif
