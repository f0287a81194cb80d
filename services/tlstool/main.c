/* tlstool - create, import and enable the key pair that secures a sipc
 * cluster; inspect and verify it; manage trusted roots and CRLs; pre-flight
 * check every node. This file holds the command line (one table per command,
 * which also writes --help) and the dispatch; each command has its own
 * cmd_*.c. See docs/tlstool.md for every command and exit code. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certs/tool/pkcs12.h"
#include "services/common/core_dumps.h"
#include "services/common/shown_text.h"
#include "services/common/home_dir.h"
#include "services/common/opt.h"
#include "services/common/std_fds.h"
#include "services/tlstool/tlstool.h"

int get_password(const opts *o, int confirm, char *pw, size_t pwlen)
{
    char err[600];
    int r = cli_password_get(&o->pw, confirm, pw, pwlen, err, sizeof err);
    if (r != 0)
        return fail(r == SIPC_EINVAL ? EX_PWRULE : EX_BADFILE, "%s", err);
    return 0;
}

/* s as the text says it and as one shell word (tlstool.h, opts.pos_shown),
 * malloc'd; -1 when out of memory. */
static int name_arg(const char *s, const char **shown, const char **word)
{
    size_t n = strlen(s);
    char *a = malloc(4 * n + 6), *b = malloc(4 * n + 4);
    *shown = a;
    *word = b;
    if (!a || !b)
        return -1;
    cli_shown(s, a, 4 * n + 6);
    cli_shell_word(s, b, 4 * n + 4);
    return 0;
}

static void forget_names(opts *o)
{
    for (int i = 0; i < 8; i++) {
        free((void *)o->pos_shown[i]);
        free((void *)o->pos_word[i]);
    }
    free((void *)o->out_shown);
    free((void *)o->out_word);
}

/* ------------------------------------------------------------ the tables */

/* Shorthands for the common kinds of entry: a string, a flag, -v/-verbose. */
#define STR(name, arg, field, help)                                                            \
    {name, 0, CLI_STRING, arg, help, offsetof(opts, field), 0, 0, 0, NULL}
/* a path or name: an empty value is a usage error, never the default */
#define PATH(name, arg, field, help)                                                           \
    {name, 0, CLI_STRING, arg, help, offsetof(opts, field), CLI_NONEMPTY, 0, 0, NULL}
#define FLAG(name, field, help)                                                                \
    {name, 0, CLI_FLAG, NULL, help, offsetof(opts, field), 0, 0, 0, NULL}
#define VERBOSE(help)                                                                          \
    {"verbose", 'v', CLI_FLAG, NULL, help, offsetof(opts, verbose), CLI_DASH1, 0, 0, NULL}
#define END {NULL, 0, CLI_END, NULL, NULL, 0, 0, 0, 0, NULL}

static const cli_opt GLOBAL_OPTS[] = {
    {"home", 'H', CLI_STRING, "DIR", "node home (default: $SIPC_HOME, else /var/lib/sipc)",
     offsetof(opts, home_opt), CLI_NONEMPTY, 0, 0, NULL},
    {"help", 'h', CLI_HELP, NULL, "this text; `tlstool COMMAND --help` explains a command", 0, 0, 0,
     0, NULL},
    {"version", 'V', CLI_FLAG, NULL, "print the versions and whether legacy (RC2) PKCS#12 files are "
     "read, and exit", offsetof(opts, version), CLI_STOP, 0, 0, NULL},
    END};

static const cli_opt CREATE_OPTS[] = {
    {"site", 0, CLI_FLAG, NULL, "a key pair for the whole cluster (site): the only kind there is",
     offsetof(opts, site), CLI_DASH1, 0, 0, NULL},
    STR("key", "ALG", key, "ecdsa-p256 (default), ecdsa-p384, rsa-2048, rsa-3072"),
    STR("subject", "S", subject, "e.g. \"CN=prod cluster, O=Example\" (default: CN from [cluster] "
        "name\nplus a random suffix, so two clusters never share a name)"),
    {"days", 0, CLI_INT, "N", "validity in days (default 1826, five years)",
     offsetof(opts, days), 0, 1, 36500, NULL},
    FLAG("force", force, "overwrite FILE if it exists"),
    CLI_PASSWORD_OPTS(opts, pw),
    END};

static const cli_opt IMPORT_OPTS[] = {
    FLAG("force", force, "with TLS enabled, replace the node's pair by another pair its\n"
         "peers would refuse (exit 7 without it; every node must then get\n"
         "that same pair: `tlstool rotate` changes pairs without a split);\n"
         "replace a pair that verifies by one that does not (exit 23, 22\n"
         "or 28 without it: the node would refuse it)"),
    CLI_PASSWORD_OPTS(opts, pw),
    END};

static const cli_opt STATUS_OPTS[] = {
    VERBOSE("add the chain, the trusted roots and the CRLs"),
    FLAG("json", json, "print the same as one JSON object"),
    END};

static const cli_opt VERIFY_OPTS[] = {
    STR("purpose", "P", purpose, "client, server or both (default): the extended key usage "
        "required"),
    CLI_PASSWORD_OPTS(opts, pw),
    END};

#define RELOAD_FLAG_STAYS(stays)                                                               \
    FLAG("reload", reload, "ask the node running from this home ([node] address,\n"              \
         "[management] port) to apply it now; exit 12 if it refuses, 13 if\n"                    \
         "it cannot be asked " stays)
#define RELOAD_FLAG RELOAD_FLAG_STAYS("(the change stays made either way)")

static const cli_opt TRUST_OPTS[] = {
    PATH("out", "FILE", out, "export: write the root to FILE instead of standard output"),
    RELOAD_FLAG,
    CLI_PASSWORD_OPTS(opts, pw),
    END};

/* how long each [cluster] node is given to answer (probe_cluster) */
#define TIMEOUT_OPT(help)                                                                      \
    {"timeout", 0, CLI_INT, "MS", help, offsetof(opts, timeout_ms), 0, 100, 600000,            \
     "--timeout must be 100 to 600000 milliseconds"}

static const cli_opt CRL_OPTS[] = {
    VERBOSE("list: every revoked serial with its date"),
    FLAG("force", force, "add: replace a newer CRL of the same issuer; add it although\n"
         "it revokes the certificate of every [cluster] node that answers\n"
         "(this node refuses them from then on; with --reload, that node's\n"
         "reload is then forced too)"),
    RELOAD_FLAG,
    TIMEOUT_OPT("add: asking each [cluster] node (default 5000)"),
    END};

static const cli_opt CHECK_OPTS[] = {TIMEOUT_OPT("per node (default 5000)"), END};

#define FORCE_FLAG                                                                             \
    FLAG("force", force, "going strict while peers still speak plaintext (the node's\n"         \
         "guard, [tls] strict_guard_window): with --reload the node goes\n"                     \
         "strict anyway and cuts those peers off; without it, a one-shot\n"                     \
         "override (state/force-strict) for the next start or reload of\n"                      \
         "sipcd (shown by `tlstool status`; disable and mode permissive\n"                      \
         "remove it)")

static const cli_opt ENABLE_OPTS[] = {
    STR("mode", "permissive|strict", mode, "set [tls] mode too (default: keep the configured "
        "mode,\nstrict unless set)"),
    RELOAD_FLAG_STAYS("(the change stays made, except after\n"
                      "a refusal, 12, from TLS off: see above)"),
    FORCE_FLAG,
    END};

static const cli_opt RELOAD_OPTS[] = {RELOAD_FLAG, FORCE_FLAG, END};

static const cli_opt DISABLE_OPTS[] = {
    RELOAD_FLAG,
    FLAG("force", force, "turn TLS off although [cluster] nodes run strict (they\n"
         "refuse this node's plaintext links: it is cut off from them)"),
    TIMEOUT_OPT("asking each [cluster] node its mode (default 5000)"),
    END};

static const cli_opt ROTATE_OPTS[] = {
    FLAG("force", force, "stage: replace a pair that is already staged; commit: commit a\n"
         "staged pair that does not verify (the node refuses it at its next\n"
         "reload or start), or one [cluster] nodes refuse; finish, abort:\n"
         "go on although [cluster] nodes still present certificates only\n"
         "the pair it stops trusting vouches for, or cannot be asked (they are\n"
         "cut off from this node); with --reload, a forced commit or abort\n"
         "forces the node's reload too (its trust guard refuses a pair that\n"
         "[cluster] nodes refuse)"),
    RELOAD_FLAG,
    TIMEOUT_OPT("finish, abort: asking each [cluster] node its pair (default 5000)"),
    CLI_PASSWORD_OPTS(opts, pw),
    END};

static const char *const TRUST_SUBS[] = {"add", "list", "remove", "export", NULL};
static const char *const CRL_SUBS[] = {"add", "list", "remove", NULL};
static const char *const ROTATE_SUBS[] = {"stage", "commit", "finish", "abort", "status", NULL};

static const cli_cmd COMMANDS[] = {
    {"create", "-site FILE [PASSWORD]", "new self-signed key pair as a PKCS#12 file",
     "Creates a new self-signed key pair for the cluster and writes it, protected by the\n"
     "password, as one PKCS#12 file (mode 0600). Run it once, copy FILE to every node and\n"
     "import it there.\n"
     "Password rule: printable ASCII, no spaces, at least 8 characters.\n",
     CREATE_OPTS, cmd_create, NULL},
    {"import", "FILE [PASSWORD] [--force]", "install a PKCS#12 key pair on this node",
     "Decrypts the PKCS#12 FILE, checks it (key matches certificate, validity dates, key\n"
     "usage for TLS client and server, [tls] subject if set) and installs it as\n"
     "security/node.crt and security/node.p12 (0600). The replaced pair is kept in\n"
     "security/previous/. Reads files from this tool, OpenSSL 3 (AES), -legacy files and\n"
     "organisation files with leaf, intermediates and root. FILE holds one pair: one with\n"
     "more private keys is refused (exit 9), certificates outside the leaf's chain are\n"
     "left out, each named. Does not enable TLS.\n"
     "Every node holds the same pair: with TLS enabled, another pair than the installed\n"
     "one (not trusted by this home: its peers would refuse it) is refused, exit 7, unless\n"
     "--force; to change the cluster's pair use `tlstool rotate`. After --force, the\n"
     "node's trust guard refuses its reload while [cluster] nodes it accepts present the\n"
     "replaced pair (`sipcctl reload --force` from another home, or a restart, applies it).\n"
     "Over a pair that verifies, a FILE whose chain does not (incomplete, root not\n"
     "trusted, revocation unknown) is refused with verify's exit code unless --force; into\n"
     "a home without a pair it is imported with a warning.\n",
     IMPORT_OPTS, cmd_import, NULL},
    {"enable", "[--mode permissive|strict] [--reload] [--force]",
     "turn TLS on for this node's services",
     "Sets [tls] enable = 1 (and [tls] mode with --mode) in sipc.conf and writes\n"
     "security/server.tls.conf. Refuses when no valid pair is imported, the pair does not\n"
     "verify, or the data service uses port 23443. permissive: TLS and plaintext peers on\n"
     "the same port, for a rolling change; strict: TLS only. Running services pick the\n"
     "change up on a reload (--reload, `sipcctl reload`, SIGHUP) or a restart.\n"
     "Going strict is refused by the node (exit 12 with --reload) while a peer's latest\n"
     "connection was plaintext within [tls] strict_guard_window; --force overrides (from\n"
     "TLS off, --reload --force also writes state/force-strict for its plaintext request,\n"
     "so that the node acknowledges whom it cuts off and its next start stays strict).\n"
     "From TLS off, a refused --reload (exit 12) puts sipc.conf back as it was (TLS off;\n"
     "an edit someone else made meanwhile stays); every other outcome, exit 13 included,\n"
     "keeps the change for the node's next reload or restart.\n"
     "In a client-only home (docs/operator-guide.md, 1.3), which runs no node, refused\n"
     "(exit 19), nothing written: its clients offer TLS whenever a pair is imported.\n",
     ENABLE_OPTS, cmd_enable, NULL},
    {"mode", "permissive|strict [--reload] [--force]", "set the TLS mode ([tls] mode)",
     "Sets [tls] mode in sipc.conf: permissive accepts TLS and plaintext peers on one port,\n"
     "strict only TLS. With TLS disabled, the mode applies once it is enabled.\n"
     "strict is refused by the node (exit 12 with --reload; a restart stays permissive)\n"
     "while a peer's latest connection was plaintext within [tls] strict_guard_window;\n"
     "--force overrides (see --force).\n"
     "In a client-only home (docs/operator-guide.md, 1.3), which runs no node, refused\n"
     "(exit 19), nothing written: its clients offer TLS whenever a pair is imported.\n",
     RELOAD_OPTS, cmd_mode, NULL},
    {"disable", "[--reload] [--force]", "turn TLS off for this node's services",
     "Sets [tls] enable = 0 in sipc.conf and keeps the key pair. Running services pick the\n"
     "change up on a reload (--reload, `sipcctl reload`, SIGHUP) or a restart.\n"
     "With TLS on (or already off in sipc.conf, with --reload to a node still on TLS),\n"
     "every [cluster] node is first asked the mode it runs: while one runs strict (it\n"
     "would refuse this node's plaintext), nothing is changed, exit 16;\n"
     "--force overrides. One that cannot be asked is named in a warning.\n"
     "The node's own guard refuses a reload that takes it off while another node runs\n"
     "strict (exit 12 with --reload: sipc.conf changed, the node refused); --force passes.\n"
     "In a client-only home (docs/operator-guide.md, 1.3), which runs no node, refused\n"
     "(exit 19), nothing written: its clients offer TLS whenever a pair is imported.\n",
     DISABLE_OPTS, cmd_disable, NULL},
    {"status", "", "what is installed and whether it is healthy",
     "Shows the imported pair (subject, issuer, serial, SHA-256 fingerprint, key, validity,\n"
     "days left, key usage), whether TLS is enabled and its mode as sipc.conf configures\n"
     "them, the mode the node running from this home is in (asked of it; with a warning\n"
     "saying what to do when it differs, or why it is unknown), and file permission checks.\n"
     "During a key pair rotation, a staged pair that `rotate commit` would refuse is said\n"
     "NOT VERIFIED, with the step that completes it (as `rotate status`); that alone\n"
     "leaves the exit code 0. Exits 10 when the state is inconsistent (enabled without a\n"
     "pair, key readable by others, expired, ...).\n",
     STATUS_OPTS, cmd_status, NULL},
    {"verify", "[FILE]", "verify a certificate chain as peers will",
     "Verifies FILE (PEM or DER certificates, leaf first, or a PKCS#12 file) - by default the\n"
     "imported pair - exactly as a peer's certificate is verified in a handshake: shows each\n"
     "link and ends with VERIFIED or NOT VERIFIED: <reason>. Exits 0 only when verified.\n"
     "With no pair imported, FILE is checked as `import` checks it (a root it carries\n"
     "trusted), so it shows the defect import would refuse it for.\n",
     VERIFY_OPTS, cmd_verify, NULL},
    {"trust", "add FILE | list | remove FINGERPRINT | export", "extra trusted roots",
     "Extra trusted roots (another cluster's, or your private CA's). Only CA certificates\n"
     "are accepted (of a PKCS#12 FILE, only its self-signed root); add only roots you\n"
     "control. `export` prints this cluster's root (for a self-signed pair: its\n"
     "certificate) for the other cluster to `trust add`.\n"
     "Running services pick up add and remove on a reload (--reload, `sipcctl reload`,\n"
     "SIGHUP) or a restart.\n",
     TRUST_OPTS, cmd_trust, TRUST_SUBS},
    {"crl", "add FILE | list | remove NAME", "certificate revocation lists",
     "Certificate revocation lists (PEM or DER) in security/crl/. [tls] revocation =\n"
     "off|soft|hard decides what an unknown status means (soft: warning, hard: rejected).\n"
     "add asks the [cluster] nodes first, with revocation off too (turning it on\n"
     "applies every CRL stored): a node presenting a certificate the CRL revokes is\n"
     "named in a warning with its fix (this node refuses it from then on: what the\n"
     "CRL is for); refused (exit 18) only when no node that answers would stay\n"
     "accepted; one that cannot be asked warns. A CRL revoking this node's own\n"
     "certificate is refused (exit 11). With revocation = hard, remove asks the nodes\n"
     "too: refused (exit 18, --force to go on) when a node would be refused for want\n"
     "of a current CRL, and refused (exit 11) when this node's own would.\n"
     "Running services pick up add and remove on a reload (--reload, `sipcctl reload`,\n"
     "SIGHUP) or a restart.\n",
     CRL_OPTS, cmd_crl, CRL_SUBS},
    {"check", "", "verify, then test-connect every [cluster] node",
     "Pre-flight before enabling TLS on a live cluster: everything `verify` does, then a test\n"
     "connection to every [cluster] nodes entry, reporting whether it is reachable, whether it\n"
     "speaks TLS or plaintext and whether it holds the same certificate.\n",
     CHECK_OPTS, cmd_check, NULL},
    {"rotate", "stage FILE | commit | finish | abort | status", "move the cluster to a new key "
     "pair, node by node, without a link failing",
     "stage FILE (on every node): checks the PKCS#12 FILE as import does and keeps it in\n"
     "security/staged/ (0600); the node trusts it from then on and still presents its pair.\n"
     "commit (node by node, once every node has it staged): the staged pair becomes\n"
     "node.crt/node.p12, the replaced one goes to security/previous/ and stays trusted.\n"
     "A staged pair that does not verify (stage exited 22, 23 or 28) is not committed, with\n"
     "verify's exit code, until `trust add` or `crl add` completes it (--force commits it);\n"
     "refused (exit 18) while a [cluster] node refuses the staged pair (it staged another).\n"
     "finish (on every node, once every node has committed): the previous pair is no\n"
     "longer trusted; refused (exit 18) while a [cluster] node presents a certificate\n"
     "only it vouches for, or cannot be asked (down: it has not committed).\n"
     "abort: before commit, drops the staged pair (refused, exit 18, as finish is, while\n"
     "a [cluster] node presents a certificate only that pair vouches for); after it,\n"
     "installs the previous pair again and keeps trusting both (abort again, or finish,\n"
     "to end it).\n"
     "status: the state, with the current, staged and previous fingerprints, whether the\n"
     "staged pair verifies, and the next step.\n"
     "--reload applies each step to the running node (or sipcctl reload, SIGHUP, a\n"
     "restart); exit 10 when the step does not fit the node's state. The password is read\n"
     "as for import, never from the command line.\n",
     ROTATE_OPTS, cmd_rotate, ROTATE_SUBS},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL}};

static const cli_tool TLSTOOL = {
    "tlstool", "usage:", "[-H|--home DIR] COMMAND [ARGS]",
    "Secures a sipc cluster with one key pair that every node holds.\n",
    "Home: -H DIR or --home DIR, else $SIPC_HOME, else /var/lib/sipc.\n"
    "Passwords: --password-file F, --password-stdin, $SIPC_PFX_PASSWORD, a prompt on a\n"
    "terminal, or the PASSWORD argument (visible to other users: avoid it).\n"
    "`tlstool COMMAND --help` explains a command.\n"
    "Exit codes: 0 success (verify: VERIFIED); 1 unexpected failure (I/O, memory);\n"
    "3 the home missing or not a directory, sipc.conf unreadable or invalid; 4-9 the\n"
    "password, an input or output file, the key pair; 10 inconsistent state; 11\n"
    "refused (trust, crl, rotate stage); 12 --reload: the node refused; 13 --reload:\n"
    "the node could not be asked; 14-18 import, rotate, disable and crl add, half\n"
    "done or refused; 20-38 NOT VERIFIED (one code a reason); 40-43 check; " SIPC_EXIT_HELP_USAGE ".\n"
    "Every code: docs/tlstool.md \"Exit codes\" (installed as\n"
    "PREFIX/share/doc/sipc/docs/tlstool.md; PREFIX is /usr/local by default).\n",
    GLOBAL_OPTS, COMMANDS, CLI_HELP_WORD_ANY};

/* ------------------------------------------------------------------ main */

int extra_args(const opts *o, int max)
{
    char line[400];
    if (!cli_extra_arg(&TLSTOOL, o->command, o->pos, o->npos, max, 0, line, sizeof line))
        return 0;
    return fail(EX_USAGE, "%s", line);
}

int main(int argc, char **argv)
{
    /* before anything is opened: a key file or a connection must not
     * take the number of a closed stdout or stderr */
    sipc_cli_std_fds_open();
    char err[600];
    /* first: every command may hold a private key or a password */
    if (sipc_cli_core_dumps_off(err, sizeof err) != 0)
        warn("a crash may write a core file holding key material: %s", err);
    opts o;
    memset(&o, 0, sizeof o);
    o.pw.prog = "tlstool";
    o.pw.env = "SIPC_PFX_PASSWORD";
    o.pw.prompt = "PKCS#12 password: ";
    cli_parsed p;
    if (cli_parse(&TLSTOOL, argc, argv, &o, &p, err, sizeof err) != 0) {
        char line[700];
        return fail(EX_USAGE, "%s", cli_usage_text(&TLSTOOL, &p, err, line, sizeof line));
    }
    if (o.version) {
        printf("tlstool (%s)\nPKCS#12 RC2 (legacy files): %s\n", sipc_version_string(),
               sipc_pfx_have_rc2() ? "supported" : "not supported");
        return EX_OK;
    }
    if (p.help || !p.cmd) {
        cli_help(p.help ? stdout : stderr, &TLSTOOL, p.cmd);
        return p.help ? EX_OK : EX_USAGE;
    }
    o.pos = p.args;
    o.npos = p.nargs;
    o.command = p.cmd;
    /* no command takes more; each checks its own number first thing */
    if (extra_args(&o, 8))
        return EX_USAGE;
    /* create and import take the password as an optional second argument */
    if ((p.cmd->run == cmd_create || p.cmd->run == cmd_import) && o.npos > 1)
        o.pw.argument = cli_password_take_arg(o.pos[1]);
    /* one source: which of two would win is no one's guess to make */
    if (!!o.pw.file + !!o.pw.from_stdin + !!o.pw.argument > 1) {
        cli_password_forget();
        return fail(EX_USAGE, "%s: give the password one way: PASSWORD, --password-file or "
                              "--password-stdin (see tlstool %s --help)",
                    p.cmd->name, p.cmd->name);
    }
    /* the arguments as the text names them: not create's and import's
     * PASSWORD, which no text names */
    int named = 0;
    for (int i = 0; i < o.npos && !named; i++)
        if (!(i == 1 && o.pw.argument))
            named = name_arg(o.pos[i], &o.pos_shown[i], &o.pos_word[i]);
    if (!named && o.out)
        named = name_arg(o.out, &o.out_shown, &o.out_word);
    if (named) {
        forget_names(&o);
        cli_password_forget();
        return fail(EX_FAIL, "out of memory");
    }
    o.home = sipc_home_resolve(o.home_opt);
    /* a home is bytes; the text names it as the logs do (4 bytes a byte) */
    static char home_shown[4 * 4096 + 8];
    cli_shown(o.home, home_shown, sizeof home_shown);
    o.home_shown = home_shown;
    /* create writes a file anywhere, import makes the home, verify FILE
     * needs none; every other command works on an existing home */
    char herr[900], as[40];
    int own_input = p.cmd->run == cmd_create || p.cmd->run == cmd_import ||
                    (p.cmd->run == cmd_verify && o.npos > 0);
    cli_given_as(&p, "home", as, sizeof as);
    int r = !own_input && sipc_cli_home_missing(o.home_opt, as, 1, herr, sizeof herr)
                ? fail(EX_CONFIG, "%s", herr)
                : p.cmd->run(&o);
    cli_password_forget();
    forget_names(&o);
    return r;
}
