/* sipcctl.h - what sipcctl's commands share: the parsed command line and a
 * client of one node (connect with this home's key pair, call, wait).
 *
 * A command is one file (cmd_*.c) with a handler `int cmd_x(void *o)` that
 * returns the process's exit code; main.c holds the tables. */
#ifndef SIPC_SIPCCTL_H
#define SIPC_SIPCCTL_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "services/common/opt.h"
#include "sipc/node.h"

/* Exit codes (services/common/exit_codes.h, and sipcctl's own 1 to 3): 0
 * success; 1 the call failed (a remote error, a flagged status); 2 status --cluster MIGRATING (only
 * nodes still permissive are flagged); 3 partial success (search PARTIAL, reload
 * with a change that needs a restart); 64 usage; 65 ingest's bad lines; 66
 * an input file cannot be read; 69 node unreachable or timed out (the
 * handshake included); 76 protocol or TLS-mode mismatch; 77 TLS or
 * certificate failure; 78 the home missing or no directory, or its
 * configuration. main.c's --help lists them. */

typedef struct ctl {
    /* global options */
    const char *home;
    const char *node;   /* --node HOST[:PORT]; default: this home's [node] address */
    int timeout_ms;     /* --timeout, per call */
    int verbose;        /* --verbose: the library's warnings too */
    int json;           /* --json */
    int version;        /* --version */
    /* command options (each command reads its own) */
    int count;          /* ping --count */
    int cluster;        /* status --cluster, reload --cluster */
    int force;          /* reload --force */
    const char *expect_mode; /* status --cluster --expect-mode */
    int limit;          /* search --limit */
    int failed_max;     /* ingest --failed-max (0: the default) */
    const char *since, *until, *timestamp, *body, *body_file, *to;
    cli_list attrs;     /* --attr k=v, in order */
    const char *order;  /* search --order */
    /* the command */
    const cli_cmd *command; /* its table entry, for usage messages */
    const char *cmd;
    char **args;
    int nargs;
} ctl;

/* A connected client of one node. */
typedef struct ctl_client {
    uv_loop_t loop;
    int loop_open;
    sipc_config cfg;     /* this home's configuration */
    sipc_ctx *ctx;
    sipc_channel *ch;
    char target[200];    /* "host:port" as the operator reads it (cli_shown) */
    uint32_t timeout_ms;
    int quiet_log;
    int announce;        /* print "Connected to ..." when the link comes up */
    sipc_peer_info link; /* filled when the link is up */
    int up;
    sipc_security *sec;  /* this home's, as the context uses it */
    unsigned followed;   /* how many changes of this home ctl_follow_home took over */
    int home_node;       /* target is this home's own node (no --node, or --node naming it) */
    int any_node;        /* a reload: any node is dialed as this home's own runs (client.c) */
    char service[16];    /* the service dialed ("management"): its [SERVICE] port */
} ctl_client;

typedef struct ctl_reply {
    int err;             /* 0 or why the call failed */
    int status;          /* the remote's status with SIPC_EREMOTE */
    char message[512];   /* the remote's message, "" when none */
    uint8_t *data;       /* the reply payload (malloc'd), len bytes */
    size_t len;
    int too_big;         /* not sent: larger than this side's max_frame */
    char peer_cluster[64]; /* with SIPC_ECLUSTER: the node's cluster, "" if not known */
    int peer_cluster_cut;  /* its hello's name was longer: that is its start */
    int sent;              /* the request left this process (sipc_reply.sent) */
} ctl_reply;

/* Why nothing answers at target, this home's own node (a refused
 * connection): whether a sipcd holds the home's lock (state/sipcd.lock)
 * and what to do, for a failure line: "nothing listens at ADDR, this
 * home's node: no sipcd runs from HOME (...): start it ...". */
void ctl_home_node_down(const ctl_client *cl, char *out, size_t len);
/* Loads this home's configuration and security (a client uses TLS whenever a
 * pair is imported, see sipc_security_load_client) and opens a channel to
 * target, or to --node, or to this home's [node] address; a target without a
 * port gets the port of `service` from this home's configuration. Returns 0
 * or an exit code, the reason already printed. */
int ctl_connect(const ctl *o, const char *target, const char *service, ctl_client *cl);
/* Calls service.method and runs the loop until the answer. Returns rep->err. */
int ctl_call(ctl_client *cl, const char *service, const char *method, const void *data,
             size_t len, ctl_reply *rep);
void ctl_reply_free(ctl_reply *rep);
/* Reads this home's sipc.conf and key pair again, as the node does on a
 * reload, for a call that failed because the node's TLS mode is no longer
 * the one this client dials with (SIPC_EPLAINTEXT, SIPC_ETLSONPLAIN). When
 * the TLS mode or the pair differs from what the context uses, the context
 * takes the new security (its channel's next dial uses it), cl->sec and the
 * [tls] settings of cl->cfg become the home's, cl->followed counts it, and
 * said holds one line saying what changed ("this home's TLS changed (TLS
 * strict -> TLS off ...): sipcctl follows it"); returns 1. Returns 0 (said
 * "") when the home says what the context already uses: the failure stands,
 * a client never changes its TLS mode on its own. Away from strict TLS only
 * on the home's explicit word: a sipc.conf without a [tls] enable line (gone,
 * being written, cut short: TLS off by default) or one that changes while it
 * is read is not followed (0, said saying why), since the refusal that led
 * here may come from anyone answering in plaintext. A negative SIPC code when
 * the home cannot be loaded, the reason in said. Only the [tls] settings
 * are taken over: the rest of sipc.conf (ports, [limits], the cluster)
 * is what the context was made with and stays. */
int ctl_follow_home(ctl_client *cl, char *said, size_t n);
/* A client's security as its home sets it (sipc_security_load_client):
 * "TLS strict", "TLS off, the imported pair offered first" (a pair, TLS
 * not enabled) or "TLS off". */
const char *ctl_tls_setup(const sipc_security *sec);
/* Closes the channel and the context and runs the loop until they are gone. */
void ctl_disconnect(ctl_client *cl);
/* Prints "sipcctl: SERVICE.METHOD to TARGET failed: reason [code, class]: msg"
 * and returns the exit code for rep->err; or, when this home's own [tls]
 * subject is what failed, what ctl_report_home_fault prints and returns. */
int ctl_report_failure(const ctl_client *cl, const char *service, const char *method,
                       const ctl_reply *rep);
/* rep's failure as that line says it: its error line (name [code, class]:
 * detail) in line and, for another cluster's node, what to change in this
 * home in fix ("; this home's [cluster] name ...", "" when none). */
void ctl_failure_text(const ctl_client *cl, const ctl_reply *rep, char *line, size_t llen,
                      char *fix, size_t flen);
/* The first half alone, for a caller that has asked ctl_home_subject_fault. */
int ctl_report_call_failure(const ctl_client *cl, const char *service, const char *method,
                            const ctl_reply *rep);
/* A call that failed with err because this home's own [tls] subject is
 * wrong: the node's certificate was refused here for its subject, and this
 * home's own certificate (the cluster's pair) does not carry it either.
 * Then 1 and, unless why is NULL, the reason in why (with peer_reason, the
 * refusal's detail, when it is not the same words); else 0. */
int ctl_home_subject_fault(const ctl_client *cl, int err, const char *peer_reason, char *why,
                           size_t len);
/* That fault reported, why as ctl_home_subject_fault gave it: "SERVICE.METHOD
 * to TARGET not sent: <why>" and what to do (for a reload, SIGHUP as the
 * other way); returns SIPC_EXIT_CONFIG. */
int ctl_report_home_fault(const ctl_client *cl, const char *service, const char *method,
                          const char *why);
/* The exit code for a sipc error (0 for 0). */
int ctl_exit_code(int err);
/* Checks that the command got min..max arguments. Otherwise prints what is
 * missing ("ping needs ADDRESS[:PORT]", then the command's help) or, on one
 * line, the first one too many ("unexpected argument 'x' to ping (see
 * sipcctl ping --help)"), on stderr, and returns SIPC_EXIT_USAGE. Returns 0 when
 * they fit. */
int ctl_check_args(const ctl *o, int min, int max);
/* Opens the input file path ("-": standard input) for reading; NULL with
 * "sipcctl: cannot read PATH: REASON" said, a directory included (fopen
 * opens one, and the first read would fail with a less telling error). */
FILE *ctl_open_input(const char *path);
/* A usage mistake other than the number of arguments: "sipcctl: <text>",
 * then the command's help, on stderr; returns SIPC_EXIT_USAGE. */
int ctl_usage(const ctl *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "sipcctl: <text>" on stderr; returns code. The text is shown as
 * cli_shown shows a node's text (a byte that is not printable UTF-8, in a
 * path or a --node address too, as \xNN), cut between characters, and also
 * kept, for a --json command to put its failure on stdout (ctl_failure). */
int ctl_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A management call sent but not answered (within --timeout, or rep's
 * connection lost before the answer): the node may have done it all the
 * same, so SIPC_EXIT_TEMPFAIL, not "unreachable"; says so and that `sipcctl status
 * --node` shows what (shows: "whether ..."). */
int ctl_fail_no_answer(const ctl_client *cl, const char *method, const ctl_reply *rep,
                       const char *shows);
/* What ctl_fail (and ctl_report_home_fault) printed so far, "; "-joined
 * without "sipcctl: "; "" when nothing. */
const char *ctl_failure(void);

/* --attr k=v: splits at the first '='; 0 or SIPC_EINVAL (no '=' or empty key). */
int ctl_attr_split(const char *kv, char *key, size_t keylen, const char **value);

/* Prints a command's --json answer (jansson's dump flags, then a newline) on
 * stdout; 0, or 1 when it could not be written. The answer then stands for
 * the command's outcome, a failure included (status --cluster, search
 * PARTIAL, reload, ingest say it in theirs). */
int ctl_print_json(const void *json, size_t flags);
/* Standard base64 of n bytes (malloc'd, NUL-terminated), NULL without memory:
 * bytes that are not UTF-8 in a --json answer, with "..._encoding": "base64". */
char *ctl_base64(const uint8_t *p, size_t n);
/* A command's end with --json: when it failed (rc, not 0) and printed no
 * answer, prints {"ok": false, "error": <what ctl_failure holds>,
 * "exit_code": rc} on stdout, with "address" when ctl_failure_address named
 * one, so that a script parsing stdout always gets an object (nothing for a
 * usage mistake, said on stderr only); returns rc. */
int ctl_json_outcome(const ctl *o, int rc);
/* The one node a command asks (its ctl_client's target, "" for none), for
 * ctl_json_outcome's "address". */
void ctl_failure_address(const char *address);

#endif
