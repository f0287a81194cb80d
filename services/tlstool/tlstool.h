/* tlstool.h - what tlstool's commands share: exit codes, the parsed command
 * line, this home's configuration, trust and pair, reading and printing a
 * chain, the CRL directory and the network probe of `check`. Private to
 * services/tlstool; docs/tlstool.md documents the program. */
#ifndef SIPC_TLSTOOL_H
#define SIPC_TLSTOOL_H

#include <stddef.h>
#include <stdint.h>

#include "certs/keypair.h"
#include "certs/tool/pkcs12.h"
#include "certs/trust.h"
#include "certs/x509_info.h"
#include "services/common/exit_codes.h"
#include "services/common/opt.h"
#include "services/common/password.h"
#include "services/tlstool/verify_exit.h"
#include "sipc/node.h"

/* Exit codes (docs/tlstool.md); 20-38 are tlstool_verify_exit_code(). A bad
 * command line is every program's 64; a missing home stays tlstool's 3, its
 * documented code for the home and sipc.conf. */
enum {
    EX_OK = SIPC_EXIT_OK,
    EX_FAIL = 1,     /* unexpected failure (I/O, memory) */
    EX_CONFIG = 3,   /* no such home; sipc.conf unreadable or invalid; data port 23443 */
    EX_PWRULE = 4,   /* no password, or it breaks the password rule */
    EX_PASSWORD = 5, /* wrong password */
    EX_BADFILE = 6,  /* input missing, unreadable, corrupt, truncated, unsupported */
    EX_EXISTS = 7,   /* output exists (create without --force) */
    EX_NOPAIR = 8,   /* no key pair imported */
    EX_KEY = 9,      /* no key in the file, or it does not match the certificate */
    EX_STATE = 10,   /* status: inconsistent state */
    EX_REFUSED = 11, /* trust/crl: not a CA, unknown issuer, no such entry */
    EX_RELOAD_REFUSED = 12,     /* --reload: the node refused (its setup stays) */
    EX_RELOAD_UNREACHABLE = 13, /* --reload: the node could not be asked */
    EX_INSTALLED_WARN = 14,     /* the new pair is in, but previous/ or a sync did not follow */
    EX_PARTIAL = 15,            /* half installed: node.p12 new, node.crt old */
    EX_STRICT_PEERS = 16,       /* disable: another node runs strict; nothing changed, not asked */
    EX_UNPROTECTED = 17,        /* PKCS#12 without MAC, or its key not encrypted */
    EX_NOT_COMMITTED = 18,      /* rotate finish or abort: another node still presents the pair
                                   it stops trusting; rotate commit: a node refuses the staged
                                   pair; crl add/remove: a node would be cut off; nothing
                                   changed, not asked */
    EX_CLIENT_HOME = 19,        /* enable, mode, disable: a client-only home has no node whose
                                   TLS they set; nothing written */
    EX_CHECK_UNREACHABLE = 40,
    EX_CHECK_PLAINTEXT = 41,
    EX_CHECK_MISMATCH = 42,
    EX_CHECK_NOTHING = 43, /* check: no [cluster] nodes, none tested */
    EX_USAGE = SIPC_EXIT_USAGE /* bad command line */
};

/* The largest input file read (certificates, PKCS#12, CRLs). */
#define MAX_FILE (1u << 20)
/* rotate status and status say it alike: sipc_trust_load_home skips it */
#define STRAY_STAGED_NOTE                                                                          \
    "security/staged/ is there without a rotation state (a crash, a copy by hand): its pair is "  \
    "not trusted; `tlstool rotate abort` drops it"
/* a commit that put its pair in place but could not remove security/staged/
 * (exit 14): rotate status and status say it alike */
#define LEFTOVER_STAGED_NOTE                                                                       \
    "left by the commit of this very pair, which is committed: `tlstool rotate commit` again "    \
    "removes security/staged/"
/* the opposite: a state before the commit (%s: "staged", "rolled-back") and
 * no pair in security/staged/ */
#define MISSING_STAGED_NOTE                                                                        \
    "the rotation state says %s but security/staged/ holds no pair (removed by hand, or a copy "  \
    "without it): no other pair is trusted and `tlstool rotate commit` has none to commit; "      \
    "stage the pair again (`tlstool rotate stage FILE.pfx --reload`), or `tlstool rotate abort` " \
    "ends the rotation here"

/* The command line, as the option tables of main.c fill it. */
typedef struct opts {
    const char *home_opt; /* --home */
    const char *home;     /* resolved: --home, $SIPC_HOME or /var/lib/sipc */
    const char *home_shown; /* home as the text says it (cli_shown: a byte that is not
                             * printable UTF-8 as \xNN, as the logs say it) */
    int help;
    int version;
    cli_password pw;
    const char *key;
    const char *subject;
    int days;
    int force;
    int site;
    int verbose;
    int json;
    const char *purpose;
    const char *out;
    int timeout_ms;
    const char *mode; /* enable --mode */
    int reload;       /* --reload */
    int undo_refused; /* the command puts sipc.conf back if the node refuses the reload */
    int unchanged;    /* the command found sipc.conf already so: --reload changed nothing here */
    char **pos; /* the arguments after the command */
    int npos;
    /* each of pos as the text says it (cli_shown: a newline, an escape
     * sequence, a byte that is not UTF-8 as \xNN) and as one shell word in a
     * command given to paste (cli_shell_word); NULL for the password create
     * and import take after FILE. The same for --out. */
    const char *pos_shown[8], *pos_word[8];
    const char *out_shown, *out_word;
    const cli_cmd *command; /* its table entry, for usage messages */
} opts;

/* When the command got more than max arguments (its sub-command counted):
 * "unexpected third argument to CMD (see tlstool CMD --help)" said (its
 * position, never its value: it may be a password), EX_USAGE;
 * else 0. */
int extra_args(const opts *o, int max);

/* fail(code, fmt, ...): "tlstool: error: <text>" on stderr, one line;
 * returns code. A path, a file name, a node's words or the library's words
 * that name them can hold a newline or an escape sequence: shown as \xNN. */
#define fail(...) cli_fail_line("tlstool: error", __VA_ARGS__)
/* fail, then "tlstool: fix: <fix>" on a line of its own; returns code. */
int fail_fix(int code, const char *fix, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* warn(fmt, ...): "tlstool: warning: <text>" on stderr; warning(fmt, ...):
 * "warning: <text>" on stdout, among a command's results. Both one line,
 * shown as fail shows its text. */
#define warn(...) cli_say_line(stderr, "tlstool: warning", __VA_ARGS__)
#define warning(...) cli_say_line(stdout, "warning", __VA_ARGS__)
/* warn_held(fmt, ...): a guard's warning that words its step as taken
 * ("--force: committed although ..."), kept until warn_held_say(), which
 * the command calls once the step's files are in place and says them as
 * warn does: a step that fails after its guard never reads as taken (its
 * held warnings are not said). held_warn.c. */
void warn_held(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warn_held_say(void);
/* main.c: the password from the sources of o->pw; 0 or EX_PWRULE (said). */
int get_password(const opts *o, int confirm, char *pw, size_t pwlen);

/* home_trust.c: this home's configuration, trust and key pair. Each returns 0
 * or an exit code, having said why. */
int load_config(const opts *o, sipc_config *cfg);
/* The trust policy cfg gives ([tls] subject, revocation). */
void policy_of(const sipc_config *cfg, sipc_trust_policy *pol);
/* A trust/ or crl/ file sipcd refuses, as a warning on stderr (a
 * sipc_trust_refused_fn). */
void say_refused(void *arg, const char *text);
/* The exit code for sipc_trust_load_as_own's (or sipc_trust_judge_pair's)
 * r, err its words, prefixed for a pair that cannot be this node's. */
int trust_exit(int r, char *err, size_t errlen);
const char *revocation_name(sipc_revocation r);
int file_exists(const char *path);
/* The trust the transport loads (sipc_trust_load_home) when a pair is
 * imported, else the trust store and CRLs only; with own, that pair stands in
 * for node.crt and no rotation pair is added (staged/, previous/: the trust
 * a rotation's finish leaves). *have_pair: node.crt exists. Without a
 * pair, or with own, a trust/ file sipcd refuses (more than 256 roots, no
 * certificate, a root it cannot take) does not stop the command: its
 * roots that can be taken are, and a warning on stderr names the file and
 * why. */
int build_trust(const opts *o, const sipc_config *cfg, const sipc_keypair *own, sipc_trust **out,
                int *have_pair);
int load_trust(const opts *o, const sipc_config *cfg, sipc_trust **out, int *have_pair);
/* build_trust without a word: 0, or an exit code with err (sipcd's words
 * when it would refuse the same home). */
int load_trust_quiet(const opts *o, const sipc_config *cfg, const sipc_keypair *own,
                     sipc_trust **out, int *have_pair, char *err, size_t errlen);
/* The home's trust as a node loads it, the file crl/crl left out (what it
 * is once `crl remove` removed it): 0, or an exit code with err. */
int load_trust_without_crl(const opts *o, const sipc_config *cfg, const char *crl,
                           sipc_trust **out, char *err, size_t errlen);
/* How load_pair says a failure: fail() on stderr, nothing, or (for verify)
 * a key that is not the certificate's as a NOT VERIFIED verdict on stdout. */
enum { LOAD_PAIR_SAY = 0, LOAD_PAIR_QUIET = 1, LOAD_PAIR_VERDICT = 2 };
#define PAIR_KEY_FIX                                                                              \
    "import the pair again from its PKCS#12 file (`tlstool import FILE`): node.crt must hold "    \
    "the certificate and the private key of one pair"
/* The imported pair, its private key checked against its certificate as
 * sipcd checks it: 0, EX_NOPAIR, EX_KEY (a key of another pair) or EX_FAIL,
 * said as quiet says. */
int load_pair(const opts *o, sipc_keypair *kp, int quiet);
/* The same without the key check (quiet: no message). */
int load_pair_unchecked(const opts *o, sipc_keypair *kp, int quiet);
/* The SHA-256 of security/SUB/node.crt (SUB "staged", "previous"; NULL:
 * security/node.crt) into fp and, unless subject is NULL, its subject: 0;
 * 1 with both "" when there is none, it is no regular file or it cannot
 * be read. */
int home_pair_fp(const opts *o, const char *sub, char fp[65], char *subject, size_t sublen);
/* Does the private key of the imported pair kp belong to its certificate?
 * 0, or EX_KEY (EX_FAIL: out of memory) with why saying what is wrong. */
int pair_key_check(const opts *o, const sipc_keypair *kp, char *why, size_t whylen);
/* Verifies kp for both purposes with this home's trust: a sipc_vfy_status, or
 * minus an exit code when the trust cannot be loaded. */
int verify_own(const opts *o, const sipc_config *cfg, sipc_keypair *kp, sipc_vfy_result *res);

/* chain.c: certificates in and verification results out. */
/* The pair in the PKCS#12 bytes b of the file shown so, read with pw as
 * every command that takes one reads it (import, rotate stage, verify FILE,
 * trust add): 0, with a warning naming each certificate of the file left
 * out of the pair (sipc_pfx_left); or the exit code, said (pfx_fail). */
int read_pfx(const char *shown, const uint8_t *b, size_t n, const char *pw, sipc_keypair *kp);
/* 0 when the contents b of the file shown so may be PKCS#12; else
 * EX_BADFILE, said (so that no password is asked for a file that cannot be
 * one). */
int need_pfx(const char *shown, const uint8_t *b, size_t n);
/* The command's argument arg, a FILE, as PEM certificates, one DER
 * certificate or PKCS#12 (password from o, asked only for a file that may
 * be PKCS#12; then *is_pfx is set, when given). */
int read_chain(const opts *o, int arg, sipc_keypair *kp, int *is_pfx);
void print_links(const sipc_vfy_result *res);
void print_verdict(const sipc_vfy_result *res);

/* crl_file.c: a CRL file read and parsed; c points into der. */
typedef struct crl_file {
    uint8_t *der;
    long len;
    sipc_crl c;
    char this_update[32], next_update[32];
} crl_file;

/* The CRL file at path, named shown in err (the library's read error names
 * path as given). 0 or -1. */
int crl_file_read(crl_file *f, const char *path, const char *shown, char *err, size_t errlen);
/* Calls fn for every CRL of home/security/crl that parses, read as the
 * transport reads them; how many, or -1 with err (the folder or a file
 * refused). */
int crl_dir_foreach(const char *home, void (*fn)(const char *name, const crl_file *f, void *arg),
                    void *arg, char *err, size_t errlen);

/* probe.c: a test connection to each [cluster] node. */
typedef struct node_probe {
    char addr[160];
    int up;              /* sys.info answered */
    int err;             /* else why not */
    sipc_peer_info info; /* the link, when up */
    char detail[600];    /* the channel's or the reply's detail */
    char log[600];       /* the last warning logged about this node */
    /* from its sys.info: the mode and certificate it runs with now */
    char live_mode[64];  /* "off", "strict", "permissive"; "" if not said; as cli_shown
                            shows it */
    char live_fp[65];
    char live_node[64]; /* its node id, as cli_shown shows it; "" if not said */
} node_probe;

/* Probes every cfg->nodes entry with sec; fills nodes[0..cfg->nnodes-1].
 * Returns 0 or EX_FAIL when the probes cannot start. */
int probe_nodes(const sipc_config *cfg, sipc_security *sec, int timeout_ms, node_probe *nodes);
/* probe_nodes with this home's pair, offering TLS and taking plaintext (so
 * that every node answers whatever its mode): *out (free it) gets
 * cfg->nnodes results. 0, or EX_CONFIG / EX_FAIL with err. */
int probe_cluster(const sipc_config *cfg, int timeout_ms, node_probe **out, char *err,
                  size_t errlen);
/* Appends n to the ", "-joined list as a guard's refusal names a [cluster]
 * node: "ADDR (node ID)", "ADDR" when it did not say its id. */
void probe_list_add(char *list, size_t len, const node_probe *n);
/* The same "; "-joined (the reasons hold commas), with ": " and why the
 * dial d failed: its detail up to the verifier's fix (a guard says itself
 * what to do), or the error's own words when it has none. */
void probe_list_why(char *list, size_t len, const node_probe *n, const node_probe *d);

/* reload.c: a call to the node running from this home: its [node] address
 * (loopback for a wildcard) at its [management] port, dialed as that node
 * runs (services/common/home_dial.h): TLS only once known to run TLS (a
 * plaintext answer then is refused, SIPC_EPLAINTEXT, fix saying what
 * answered is not it), else TLS offered when a pair is imported and a
 * plaintext answer taken. */
typedef struct home_call {
    char host[128];
    int port;
    int err;           /* HOME_CALL_DONE: 0 or the call's SIPC_* error */
    char message[600]; /* then the reply's or the channel's detail */
    char fix[900];     /* what to change here for a node of another cluster, or
                          what a plaintext answer from a TLS node means */
    char why[1600];    /* HOME_CALL_SECURITY, HOME_CALL_SUBJECT: why not asked */
    char *data;        /* the answer when err is 0 (free it) */
    size_t len;
    int sent;          /* err is of a request the node took and did not answer */
} home_call;
enum {
    HOME_CALL_DONE = 0,    /* asked: c->err says how it went */
    HOME_CALL_NO_PORT,     /* [management] port unknown (0 or less) */
    HOME_CALL_SECURITY,    /* this home's pair or trust cannot be loaded */
    HOME_CALL_SUBJECT      /* this home's [tls] subject is not its own certificate's */
};
/* Calls management.METHOD with payload (NULL: none); one of HOME_CALL_*. */
int home_node_call(const opts *o, const sipc_config *cfg, const char *method,
                   const char *payload, uint32_t timeout_ms, home_call *c);

/* reload.c: asks the node of this home to reload (management.reload) and
 * prints its answer; EX_OK, EX_RELOAD_REFUSED or EX_RELOAD_UNREACHABLE. A
 * client-only home has no node to ask: said, EX_OK. */
int request_reload(const opts *o, int force);
/* After a change on disk: with --reload, request_reload; without, the
 * reminder of how to apply it (what: the command, e.g. "`tlstool trust
 * add`"), or in a client-only home client_home_note. */
int reload_or_remind(const opts *o, int force, const char *what);
/* That reminder alone. */
void remind_reload(const char *what);
/* What a change means in a client-only home (sipc_cli_home_client_only), said instead of
 * that reminder: no sipcd runs from it, its clients use the change. */
void client_home_note(void);

/* The commands (cmd_*.c); o is the opts. */
int cmd_create(void *o);
int cmd_import(void *o);
int cmd_enable(void *o);
int cmd_disable(void *o);
int cmd_mode(void *o);
int cmd_status(void *o);
int cmd_verify(void *o);
int cmd_trust(void *o);
int cmd_crl(void *o);
int cmd_check(void *o);
int cmd_rotate(void *o);

#endif
