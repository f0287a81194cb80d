/* tlstool - create, import and enable the key pair that secures a sipc
 * cluster; inspect and verify it; manage trusted roots and CRLs; pre-flight
 * check every node. See docs/tlstool.md for every command and exit code. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "transport/tls_engine.h"
#include "certs/tool/keygen.h"
#include "certs/keypair.h"
#include "certs/tool/pkcs12.h"
#include "certs/tool/store.h"
#include "certs/trust.h"
#include "certs/x509_info.h"
#include "services/tlstool/verify_exit.h"
#include "sipc/node.h"

/* ------------------------------------------------------------ exit codes */
enum {
    EX_OK = 0,
    EX_FAIL = 1,       /* unexpected failure (I/O, memory) */
    EX_USAGE = 2,      /* bad command line */
    EX_CONFIG = 3,     /* sipc.conf unreadable or invalid; data port 23443 */
    EX_PWRULE = 4,     /* no password, or it breaks the password rule */
    EX_PASSWORD = 5,   /* wrong password */
    EX_BADFILE = 6,    /* input missing, unreadable, corrupt, truncated, unsupported */
    EX_EXISTS = 7,     /* output exists (create without --force) */
    EX_NOPAIR = 8,     /* no key pair imported */
    EX_KEY = 9,        /* no key in the file, or it does not match the certificate */
    EX_STATE = 10,     /* status: inconsistent state */
    EX_REFUSED = 11,   /* trust/crl: not a CA, unknown issuer, no such entry */
    EX_CHECK_UNREACHABLE = 40,
    EX_CHECK_PLAINTEXT = 41,
    EX_CHECK_MISMATCH = 42
};

#define MAX_FILE (1u << 20)

static const char *g_prog = "tlstool";

typedef struct opts {
    const char *home_opt;
    const char *home;
    int help;
    const char *password_file;
    int password_stdin;
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
    char *pos[8];
    int npos;
} opts;

static void die_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void die_line(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", g_prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(int code, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: error: ", g_prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return code;
}

/* ------------------------------------------------------------- help text */

static const char *const HELP_MAIN =
    "usage: tlstool [--home DIR] COMMAND [ARGS]\n"
    "\n"
    "Secures a sipc cluster with one key pair that every node holds.\n"
    "  create -site FILE [PASSWORD]   new self-signed key pair as a PKCS#12 file\n"
    "  import FILE [PASSWORD]         install a PKCS#12 key pair on this node\n"
    "  enable | disable               turn TLS on / off for this node's services\n"
    "  status [-verbose] [--json]     what is installed and whether it is healthy\n"
    "  verify [FILE]                  verify a certificate chain as peers will\n"
    "  trust add FILE|list|remove FP|export   extra trusted roots\n"
    "  crl add FILE|list|remove NAME  certificate revocation lists\n"
    "  check                          verify, then test-connect every [cluster] node\n"
    "\n"
    "Home: --home DIR, else $SIPC_HOME, else /var/lib/sipc.\n"
    "Passwords: --password-file F, --password-stdin, $SIPC_PFX_PASSWORD, a prompt on a\n"
    "terminal, or the PASSWORD argument (visible to other users: avoid it).\n"
    "`tlstool COMMAND --help` explains a command; docs/tlstool.md lists exit codes.\n";

static const struct cmdhelp {
    const char *cmd;
    const char *text;
} HELP[] = {
    {"create",
     "usage: tlstool create -site FILE [PASSWORD] [--key ALG] [--subject S] [--days N] [--force]\n"
     "                      [--password-file F | --password-stdin]\n"
     "Creates a new self-signed key pair for the cluster and writes it, protected by the\n"
     "password, as one PKCS#12 file (mode 0600). Run it once, copy FILE to every node and\n"
     "import it there.\n"
     "  --key ALG      ecdsa-p256 (default), ecdsa-p384, rsa-2048, rsa-3072\n"
     "  --subject S    e.g. \"CN=prod cluster, O=Example\" (default: CN from [cluster] name\n"
     "                 plus a random suffix, so two clusters never share a name)\n"
     "  --days N       validity in days (default 1826, five years)\n"
     "  --force        overwrite FILE if it exists\n"
     "Password rule: printable ASCII, no spaces, at least 8 characters.\n"},
    {"import",
     "usage: tlstool import FILE [PASSWORD] [--password-file F | --password-stdin]\n"
     "Decrypts the PKCS#12 FILE, checks it (key matches certificate, validity dates, key\n"
     "usage for TLS client and server, [tls] subject if set) and installs it as\n"
     "security/node.crt and security/node.p12 (0600). The replaced pair is kept in\n"
     "security/previous/. Reads files from this tool, OpenSSL 3 (AES), -legacy files and\n"
     "organisation files with leaf, intermediates and root. Does not enable TLS.\n"},
    {"enable",
     "usage: tlstool enable\n"
     "Sets [tls] enable = 1 in sipc.conf and writes security/server.tls.conf. Refuses when no\n"
     "valid pair is imported, the pair does not verify, or the data service uses port 23443.\n"
     "Running services pick the change up when restarted.\n"},
    {"disable",
     "usage: tlstool disable\n"
     "Sets [tls] enable = 0 in sipc.conf and keeps the key pair. Restart services to apply.\n"},
    {"status",
     "usage: tlstool status [-verbose] [--json]\n"
     "Shows the imported pair (subject, issuer, serial, SHA-256 fingerprint, key, validity,\n"
     "days left, key usage), whether TLS is enabled and its mode, and file permission checks.\n"
     "-verbose adds the chain, trusted roots and CRLs. Exits 10 when the state is\n"
     "inconsistent (enabled without a pair, key readable by others, expired, ...).\n"},
    {"verify",
     "usage: tlstool verify [FILE] [--purpose client|server|both]\n"
     "Verifies FILE (PEM or DER certificates, leaf first, or a PKCS#12 file) - by default the\n"
     "imported pair - exactly as a peer's certificate is verified in a handshake: shows each\n"
     "link and ends with VERIFIED or NOT VERIFIED: <reason>. Exits 0 only when verified.\n"},
    {"trust",
     "usage: tlstool trust add FILE | list | remove FINGERPRINT | export [--out FILE]\n"
     "Extra trusted roots (another cluster's, or your private CA's). Only CA certificates\n"
     "are accepted; add only roots you control. `export` prints this cluster's root (for a\n"
     "self-signed pair: its certificate) for the other cluster to `trust add`.\n"},
    {"crl",
     "usage: tlstool crl add FILE | list | remove NAME\n"
     "Certificate revocation lists (PEM or DER) in security/crl/. [tls] revocation =\n"
     "off|soft|hard decides what an unknown status means (soft: warning, hard: rejected).\n"},
    {"check",
     "usage: tlstool check [--timeout MS]\n"
     "Pre-flight before enabling TLS on a live cluster: everything `verify` does, then a test\n"
     "connection to every [cluster] nodes entry, reporting whether it is reachable, whether it\n"
     "speaks TLS or plaintext and whether it holds the same certificate.\n"},
};

static int show_help(const char *cmd)
{
    for (size_t i = 0; cmd && i < sizeof HELP / sizeof HELP[0]; i++)
        if (!strcmp(HELP[i].cmd, cmd)) {
            fputs(HELP[i].text, stdout);
            return EX_OK;
        }
    fputs(HELP_MAIN, stdout);
    return EX_OK;
}

/* ------------------------------------------------------------ passwords */

static const char *PW_RULE =
    "the password must be printable ASCII without spaces, at least 8 characters "
    "(e.g. MyPassW0RD784)";

static int pw_ok(const char *pw)
{
    size_t n = strlen(pw);
    if (n < 8 || n > 1024)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)pw[i] < 0x21 || (unsigned char)pw[i] > 0x7e)
            return 0;
    return 1;
}

static void chomp(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
}

static int read_line_fd(FILE *f, char *out, size_t outlen)
{
    if (!fgets(out, (int)outlen, f))
        return -1;
    chomp(out);
    return 0;
}

static int prompt_tty(const char *prompt, char *out, size_t outlen)
{
    FILE *tty = fopen("/dev/tty", "r+");
    if (!tty)
        return -1;
    struct termios old, noecho;
    int fd = fileno(tty);
    if (tcgetattr(fd, &old) != 0) {
        fclose(tty);
        return -1;
    }
    noecho = old;
    noecho.c_lflag &= (tcflag_t) ~(ECHO | ECHONL);
    noecho.c_lflag |= ICANON;
    fputs(prompt, tty);
    fflush(tty);
    tcsetattr(fd, TCSAFLUSH, &noecho);
    int r = read_line_fd(tty, out, outlen);
    tcsetattr(fd, TCSAFLUSH, &old);
    fputc('\n', tty);
    fclose(tty);
    return r;
}

/* Fills pw from the first source given. Returns 0 or an exit code. */
static int get_password(const opts *o, const char *positional, int confirm, char *pw, size_t pwlen)
{
    pw[0] = '\0';
    if (o->password_file) {
        FILE *f = fopen(o->password_file, "r");
        if (!f)
            return fail(EX_PWRULE, "cannot read the password file %s: %s", o->password_file,
                        strerror(errno));
        int r = read_line_fd(f, pw, pwlen);
        fclose(f);
        if (r != 0)
            return fail(EX_PWRULE, "the password file %s is empty", o->password_file);
    } else if (o->password_stdin) {
        if (read_line_fd(stdin, pw, pwlen) != 0)
            return fail(EX_PWRULE, "no password on standard input");
    } else if (positional) {
        die_line("warning: a password on the command line is visible to other users of this "
                 "machine; prefer --password-file, --password-stdin or SIPC_PFX_PASSWORD");
        snprintf(pw, pwlen, "%s", positional);
    } else if (getenv("SIPC_PFX_PASSWORD")) {
        snprintf(pw, pwlen, "%s", getenv("SIPC_PFX_PASSWORD"));
    } else if (isatty(STDIN_FILENO)) {
        if (prompt_tty("PKCS#12 password: ", pw, pwlen) != 0)
            return fail(EX_PWRULE, "cannot read the password from the terminal");
        if (confirm) {
            char again[1100];
            if (prompt_tty("Repeat the password: ", again, sizeof again) != 0 ||
                strcmp(again, pw) != 0) {
                memset(again, 0, sizeof again);
                return fail(EX_PWRULE, "the passwords differ: run the command again");
            }
            memset(again, 0, sizeof again);
        }
    } else {
        return fail(EX_PWRULE,
                    "no password given: use --password-file F, --password-stdin, the environment "
                    "variable SIPC_PFX_PASSWORD or run on a terminal");
    }
    if (!pw_ok(pw))
        return fail(EX_PWRULE, "%s", PW_RULE);
    return 0;
}

/* ------------------------------------------------------------- helpers */

static int load_config(const opts *o, sipc_config *cfg)
{
    char err[512];
    if (sipc_config_load(cfg, o->home, err, sizeof err) != 0)
        return fail(EX_CONFIG, "%s (fix %s/sipc.conf)", err, o->home);
    return 0;
}

static void policy_of(const sipc_config *cfg, sipc_trust_policy *pol)
{
    memset(pol, 0, sizeof *pol);
    snprintf(pol->subject, sizeof pol->subject, "%s", cfg->subject);
    pol->revocation = (sipc_trust_revocation)cfg->revocation;
}

static const char *revocation_name(sipc_revocation r)
{
    return r == SIPC_REVOCATION_OFF ? "off" : r == SIPC_REVOCATION_HARD ? "hard" : "soft";
}

static int file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* Adds security/trust/ *.pem roots and security/crl/ * CRLs to t. */
static void add_store(const opts *o, sipc_trust *t)
{
    char path[1400], err[600];
    static const char *subs[] = {"trust", "crl"};
    for (int s = 0; s < 2; s++) {
        char dir[1100];
        snprintf(dir, sizeof dir, "%s/security/%s", o->home, subs[s]);
        DIR *d = opendir(dir);
        if (!d)
            continue;
        struct dirent *de;
        while ((de = readdir(d))) {
            if (de->d_name[0] == '.')
                continue;
            snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
            uint8_t *b;
            size_t n;
            if (sipc_store_read(path, &b, &n, MAX_FILE, err, sizeof err) != 0)
                continue;
            if (s == 0) {
                sipc_der certs[SIPC_KP_MAX_CHAIN];
                int nc = 0;
                sipc_pem_certs((const char *)b, n, certs, SIPC_KP_MAX_CHAIN, &nc, NULL, 0);
                for (int k = 0; k < nc; k++) {
                    sipc_trust_add_root(t, certs[k].data, certs[k].len, err, sizeof err);
                    sipc_der_free(&certs[k]);
                }
            } else {
                char label[300];
                snprintf(label, sizeof label, "crl/%s", de->d_name);
                sipc_trust_add_crl_named(t, b, n, label, err, sizeof err);
            }
            free(b);
        }
        closedir(d);
    }
}

/* Trust for verifying: exactly what the transport loads (sipc_trust_load_home)
 * when a pair is imported, else only the trust store and CRLs. With own set,
 * that pair stands in for node.crt (import checks the new pair). */
static int build_trust(const opts *o, const sipc_config *cfg, const sipc_keypair *own,
                       sipc_trust **out, int *have_pair)
{
    char path[1200], err[600];
    sipc_trust_policy pol;
    policy_of(cfg, &pol);
    snprintf(path, sizeof path, "%s/security/node.crt", o->home);
    *have_pair = file_exists(path);
    if (*have_pair && !own) {
        if (sipc_trust_load_home(out, o->home, &pol, err, sizeof err) != 0)
            return fail(EX_CONFIG, "%s", err);
        return 0;
    }
    sipc_trust *t;
    if (sipc_trust_new(&t, &pol) != 0)
        return fail(EX_FAIL, "out of memory");
    if (own && sipc_trust_set_own(t, own, err, sizeof err) != 0) {
        sipc_trust_free(t);
        return fail(EX_BADFILE, "the certificate cannot be used as this node's pair: %s", err);
    }
    add_store(o, t);
    *out = t;
    return 0;
}

static int load_trust(const opts *o, const sipc_config *cfg, sipc_trust **out, int *have_pair)
{
    return build_trust(o, cfg, NULL, out, have_pair);
}

static int load_pair(const opts *o, sipc_keypair *kp, int quiet)
{
    char path[1200], err[600];
    snprintf(path, sizeof path, "%s/security/node.crt", o->home);
    if (!file_exists(path)) {
        if (!quiet)
            fail(EX_NOPAIR, "no key pair is imported on this node (%s is missing): run "
                            "`tlstool import FILE` first",
                 path);
        return EX_NOPAIR;
    }
    if (sipc_keypair_load_pem(kp, path, NULL, err, sizeof err) != 0) {
        if (!quiet)
            fail(EX_NOPAIR, "%s; import the pair again with `tlstool import FILE`", err);
        return EX_NOPAIR;
    }
    return 0;
}

static void print_links(const sipc_vfy_result *res)
{
    for (int i = 0; i < res->nlinks; i++) {
        const sipc_vfy_link *l = &res->links[i];
        printf("  [%d] %s%s (%s)\n", i, l->subject, l->is_ca ? " [CA]" : "", l->source);
        printf("      issuer:  %s\n", l->issuer);
        printf("      valid:   %s to %s\n", l->not_before, l->not_after);
        printf("      SHA-256: %s\n", l->fingerprint);
    }
}

static void print_verdict(const sipc_vfy_result *res)
{
    if (res->status == SIPC_VFY_OK) {
        if (res->warning[0])
            printf("warning: %s\n", res->warning);
        printf("VERIFIED\n");
    } else {
        if (res->warning[0])
            printf("warning: %s\n", res->warning);
        printf("NOT VERIFIED: %s\n", res->reason);
        if (res->fix[0])
            printf("Fix: %s\n", res->fix);
    }
}

static int parse_purpose(const char *s, int *out)
{
    if (!s || !strcmp(s, "both"))
        *out = SIPC_PURPOSE_BOTH;
    else if (!strcmp(s, "client"))
        *out = SIPC_PURPOSE_CLIENT;
    else if (!strcmp(s, "server"))
        *out = SIPC_PURPOSE_SERVER;
    else
        return -1;
    return 0;
}

/* --------------------------------------------------------------- create */

static int cmd_create(opts *o)
{
    if (o->npos < 1 || o->npos > 2)
        return fail(EX_USAGE, "create needs FILE: tlstool create -site FILE (see --help)");
    const char *file = o->pos[0];
    sipc_keyalg alg = SIPC_KEYALG_EC256;
    if (o->key && sipc_keyalg_parse(o->key, &alg) != 0)
        return fail(EX_USAGE, "unknown --key '%s': use ecdsa-p256, ecdsa-p384, rsa-2048 or rsa-3072",
                    o->key);
    int days = o->days ? o->days : 1826;
    if (days < 1 || days > 36500)
        return fail(EX_USAGE, "--days must be between 1 and 36500");
    if (file_exists(file) && !o->force)
        return fail(EX_EXISTS, "%s already exists: choose another name or add --force to replace it",
                    file);
    sipc_config cfg;
    int r = load_config(o, &cfg);
    if (r)
        return r;
    char subject[300];
    if (o->subject) {
        snprintf(subject, sizeof subject, "%s", o->subject);
    } else {
        uint8_t rnd[4] = {0};
        FILE *f = fopen("/dev/urandom", "rb");
        if (f) {
            if (fread(rnd, 1, sizeof rnd, f) != sizeof rnd)
                memset(rnd, 0, sizeof rnd);
            fclose(f);
        }
        snprintf(subject, sizeof subject, "CN=sipc cluster %.40s %02x%02x%02x%02x", cfg.cluster, rnd[0],
                 rnd[1], rnd[2], rnd[3]);
    }
    char pw[1100];
    r = get_password(o, o->npos > 1 ? o->pos[1] : NULL, 1, pw, sizeof pw);
    if (r)
        return r;
    sipc_keypair kp;
    char err[512];
    if (sipc_keygen_selfsigned(alg, subject, days, &kp, err, sizeof err) != 0) {
        memset(pw, 0, sizeof pw);
        return fail(EX_USAGE, "cannot create the key pair: %s", err);
    }
    uint8_t *der = NULL;
    size_t dlen = 0;
    r = sipc_pfx_write(&kp, pw, "sipc cluster key pair", &der, &dlen, err, sizeof err);
    sipc_keypair check;
    if (r == 0)
        r = sipc_pfx_read(der, dlen, pw, &check, NULL, err, sizeof err);
    memset(pw, 0, sizeof pw);
    if (r != 0) {
        sipc_keypair_free(&kp);
        free(der);
        return fail(EX_FAIL, "cannot write the PKCS#12 file: %s", err);
    }
    sipc_keypair_free(&check);
    r = sipc_store_write(file, der, dlen, err, sizeof err);
    free(der);
    if (r != 0) {
        sipc_keypair_free(&kp);
        return fail(EX_BADFILE, "%s", err);
    }
    sipc_x509 x;
    sipc_x509_parse(&x, kp.certs[0].data, kp.certs[0].len, NULL, 0);
    char na[32];
    sipc_time_str(x.not_after, na);
    printf("created %s (mode 0600)\n", file);
    printf("  subject:  %s\n  key:      %s\n  valid to: %s\n  SHA-256:  %s\n", x.subject,
           x.key_desc, na, x.fingerprint);
    printf("next: copy %s to every node, then run `tlstool import %s` and `tlstool enable` "
           "there (this machine too)\n",
           file, file);
    sipc_keypair_free(&kp);
    return EX_OK;
}

/* --------------------------------------------------------------- import */

static int pfx_exit(int r, sipc_pfx_error why)
{
    if (r == SIPC_ENOMEM)
        return EX_FAIL;
    switch (why) {
    case SIPC_PFX_PASSWORD: return EX_PASSWORD;
    case SIPC_PFX_NOKEY:
    case SIPC_PFX_NOCERT:
    case SIPC_PFX_MISMATCH: return EX_KEY;
    default: return EX_BADFILE;
    }
}

static int cmd_import(opts *o)
{
    if (o->npos < 1 || o->npos > 2)
        return fail(EX_USAGE, "import needs FILE: tlstool import FILE (see --help)");
    const char *file = o->pos[0];
    char err[600];
    sipc_config cfg;
    int r = load_config(o, &cfg);
    if (r)
        return r;
    char pw[1100];
    r = get_password(o, o->npos > 1 ? o->pos[1] : NULL, 0, pw, sizeof pw);
    if (r)
        return r;
    uint8_t *data;
    size_t len;
    if (sipc_store_read(file, &data, &len, MAX_FILE, err, sizeof err) != 0) {
        memset(pw, 0, sizeof pw);
        return fail(EX_BADFILE, "%s", err);
    }
    sipc_keypair kp;
    sipc_pfx_error why;
    r = sipc_pfx_read(data, len, pw, &kp, &why, err, sizeof err);
    memset(pw, 0, sizeof pw);
    if (r != 0) {
        free(data);
        int code = pfx_exit(r, why);
        return fail(code, "%s: %s%s", file, err,
                    code == EX_PASSWORD ? "; give the password the file was exported with" : "");
    }
    /* check the pair as peers will, with this node's trust store */
    sipc_trust *nt;
    int have_pair;
    if ((r = build_trust(o, &cfg, &kp, &nt, &have_pair)) != 0) {
        sipc_keypair_free(&kp);
        free(data);
        return r;
    }
    sipc_vfy_result res;
    sipc_vfy_status st = sipc_trust_verify(nt, kp.certs, kp.ncerts, SIPC_PURPOSE_BOTH, time(NULL),
                                           &res) == 0 ? SIPC_VFY_OK : res.status;
    sipc_trust_free(nt);
    const char *later = NULL;
    if (st == SIPC_VFY_UNTRUSTED_ROOT || st == SIPC_VFY_INCOMPLETE_CHAIN ||
        st == SIPC_VFY_REVOCATION_UNKNOWN) {
        later = res.reason;
    } else if (st != SIPC_VFY_OK) {
        sipc_keypair_free(&kp);
        free(data);
        fprintf(stderr, "%s: error: %s: not imported: %s\n%s: fix: %s\n", g_prog, file, res.reason,
                g_prog, res.fix);
        return tlstool_verify_exit_code(st);
    }
    r = sipc_store_import(o->home, &kp, data, len, err, sizeof err);
    free(data);
    if (r != 0) {
        sipc_keypair_free(&kp);
        return fail(EX_FAIL, "%s (nothing was changed)", err);
    }
    sipc_x509 x;
    sipc_x509_parse(&x, kp.certs[0].data, kp.certs[0].len, NULL, 0);
    char na[32];
    sipc_time_str(x.not_after, na);
    printf("imported %s into %s/security (node.crt, node.p12, mode 0600)\n", file, o->home);
    printf("  subject:  %s\n  issuer:   %s\n  key:      %s\n  valid to: %s\n  SHA-256:  %s\n",
           x.subject, x.issuer, x.key_desc, na, x.fingerprint);
    if (kp.ncerts > 1)
        printf("  chain:    %d more certificate(s)\n", kp.ncerts - 1);
    if (have_pair)
        printf("the replaced pair is kept in %s/security/previous/\n", o->home);
    if (res.warning[0])
        printf("warning: %s\n", res.warning);
    if (later)
        printf("warning: peers will not accept this pair yet: %s\n  fix: %s\n", later, res.fix);
    if (cfg.tls_enable)
        printf("TLS is enabled: restart the services on this node to use the new pair\n");
    else
        printf("next: `tlstool enable` on every node, then restart the services (a client-only "
               "machine needs no enable)\n");
    sipc_keypair_free(&kp);
    return EX_OK;
}

/* ------------------------------------------------------- enable/disable */

static int verify_own(const opts *o, const sipc_config *cfg, sipc_keypair *kp,
                      sipc_vfy_result *res)
{
    sipc_trust *t;
    int have;
    int r = load_trust(o, cfg, &t, &have);
    if (r)
        return -r;
    sipc_vfy_status st = sipc_trust_verify(t, kp->certs, kp->ncerts, SIPC_PURPOSE_BOTH,
                                           time(NULL), res) == 0 ? SIPC_VFY_OK : res->status;
    sipc_trust_free(t);
    return (int)st;
}

static int cmd_enable(opts *o)
{
    if (o->npos)
        return fail(EX_USAGE, "enable takes no arguments");
    sipc_config cfg;
    int r = load_config(o, &cfg);
    if (r)
        return r;
    sipc_keypair kp;
    if ((r = load_pair(o, &kp, 0)) != 0)
        return r;
    int port = sipc_config_port(&cfg, "data");
    if (port == 23443) {
        sipc_keypair_free(&kp);
        return fail(EX_CONFIG, "the data service is configured on the old port 23443: move it to "
                               "23000 first ([data] port = 23000 in %s/sipc.conf, on every node)",
                    o->home);
    }
    sipc_vfy_result res;
    int st = verify_own(o, &cfg, &kp, &res);
    if (st < 0) {
        sipc_keypair_free(&kp);
        return -st;
    }
    if (st != SIPC_VFY_OK) {
        sipc_keypair_free(&kp);
        fprintf(stderr, "%s: error: TLS not enabled: the imported pair does not verify: %s\n"
                        "%s: fix: %s\n",
                g_prog, res.reason, g_prog, res.fix);
        return tlstool_verify_exit_code((sipc_vfy_status)st);
    }
    char conf[1200], err[600];
    snprintf(conf, sizeof conf, "%s/security/server.tls.conf", o->home);
    int was = cfg.tls_enable;
    /* server.tls.conf: informational, what is in effect since when */
    uint8_t *old = NULL;
    size_t oldlen = 0;
    int same = 0;
    if (sipc_store_read(conf, &old, &oldlen, MAX_FILE, err, sizeof err) == 0) {
        same = strstr((char *)old, kp.fingerprint) != NULL;
        free(old);
    }
    if (!(was && same)) {
        sipc_x509 x;
        sipc_x509_parse(&x, kp.certs[0].data, kp.certs[0].len, NULL, 0);
        char now[32], na[32], text[4096];
        sipc_time_str(time(NULL), now);
        sipc_time_str(x.not_after, na);
        snprintf(text, sizeof text,
                 "# written by `tlstool enable`; informational, sipc.conf [tls] decides\n"
                 "certificate = %s/security/node.crt\n"
                 "subject = %s\n"
                 "fingerprint_sha256 = %s\n"
                 "key = %s\n"
                 "valid_until = %s\n"
                 "protocol = TLSv1.2\n"
                 "suites = %s\n"
                 "mode = %s\n"
                 "revocation = %s\n"
                 "required_subject = %s\n"
                 "enabled_at = %s\n",
                 o->home, x.subject, kp.fingerprint, x.key_desc, na, sipc_tls_cipher_list(),
                 sipc_tls_mode_name(cfg.tls_mode), revocation_name(cfg.revocation), cfg.subject,
                 now);
        if (sipc_store_init(o->home, err, sizeof err) != 0 ||
            sipc_store_write(conf, text, strlen(text), err, sizeof err) != 0) {
            sipc_keypair_free(&kp);
            return fail(EX_FAIL, "%s", err);
        }
    }
    sipc_keypair_free(&kp);
    if (!was && sipc_config_set(o->home, "tls", "enable", "1", err, sizeof err) != 0)
        return fail(EX_CONFIG, "%s", err);
    if (was)
        printf("TLS is already enabled (mode %s) on this node\n", sipc_tls_mode_name(cfg.tls_mode));
    else
        printf("TLS enabled (mode %s): [tls] enable = 1 in %s/sipc.conf, %s written\n",
               sipc_tls_mode_name(cfg.tls_mode), o->home, conf);
    char portword[16]; /* port 0 means "any free port": the log names the real one */
    if (port > 0)
        snprintf(portword, sizeof portword, "%d", port);
    else
        snprintf(portword, sizeof portword, "<port>");
    printf("running services pick the change up when restarted: restart sipcd on this node, then "
           "look for 'TLS Port: %s' in the data service log under %s/logs/\n",
           portword, o->home);
    if (res.warning[0])
        printf("warning: %s\n", res.warning);
    return EX_OK;
}

static int cmd_disable(opts *o)
{
    if (o->npos)
        return fail(EX_USAGE, "disable takes no arguments");
    sipc_config cfg;
    int r = load_config(o, &cfg);
    if (r)
        return r;
    char err[600];
    if (cfg.tls_enable && sipc_config_set(o->home, "tls", "enable", "0", err, sizeof err) != 0)
        return fail(EX_CONFIG, "%s", err);
    if (cfg.tls_enable)
        printf("TLS disabled: [tls] enable = 0 in %s/sipc.conf; the key pair is kept\n", o->home);
    else
        printf("TLS is already disabled on this node; the key pair (if any) is kept\n");
    printf("running services pick the change up when restarted: restart sipcd on this node "
           "(and on every node, to roll the whole cluster back)\n");
    return EX_OK;
}

/* --------------------------------------------------------------- status */

typedef struct perm_check {
    const char *path;
    int want; /* mode */
    int is_dir;
} perm_check;

static json_t *cert_json(const sipc_x509 *x, time_t now)
{
    char nb[32], na[32], ku[200], eku[200];
    sipc_time_str(x->not_before, nb);
    sipc_time_str(x->not_after, na);
    sipc_ku_str(x->ku, ku, sizeof ku);
    sipc_eku_str(x->eku, eku, sizeof eku);
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:b,s:s,s:s,s:s}", "subject", x->subject,
                     "issuer", x->issuer, "serial", x->serial_hex, "fingerprint_sha256",
                     x->fingerprint, "key", x->key_desc, "not_before", nb, "not_after", na,
                     "days_left", (json_int_t)((x->not_after - now) / 86400), "ca", x->is_ca,
                     "key_usage", x->has_ku ? ku : "(not restricted)", "extended_key_usage",
                     x->has_eku ? eku : "(not restricted)", "san", x->san);
}

/* A CRL file read and parsed; c points into der, so both live together. */
typedef struct crl_file {
    uint8_t *der;
    long len;
    sipc_crl c;
    char this_update[32], next_update[32];
} crl_file;

static int crl_file_read(crl_file *f, const char *path, char *err, size_t errlen)
{
    memset(f, 0, sizeof *f);
    uint8_t *b;
    size_t n;
    if (sipc_store_read(path, &b, &n, MAX_FILE, err, errlen) != 0)
        return -1;
    size_t dl = 0;
    int r = sipc_pem_or_der(b, n, "X509 CRL", &f->der, &dl, err, errlen);
    f->len = (long)dl;
    free(b);
    if (r != 0 || sipc_crl_parse(&f->c, f->der, dl, err, errlen) != 0) {
        free(f->der);
        f->der = NULL;
        snprintf(err, errlen, "%s is not a CRL (PEM \"X509 CRL\" or DER)", path);
        return -1;
    }
    sipc_time_str(f->c.this_update, f->this_update);
    if (f->c.next_update)
        sipc_time_str(f->c.next_update, f->next_update);
    else
        snprintf(f->next_update, sizeof f->next_update, "(none)");
    return 0;
}

/* Calls fn for every readable CRL in $home/security/crl; returns how many. */
static int crl_dir_foreach(const char *home,
                           void (*fn)(const char *name, const crl_file *f, void *arg), void *arg)
{
    char dir[1100], path[1400], err[300];
    snprintf(dir, sizeof dir, "%s/security/crl", home);
    DIR *d = opendir(dir);
    struct dirent *de;
    int count = 0;
    while (d && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        crl_file f;
        if (crl_file_read(&f, path, err, sizeof err) != 0)
            continue;
        fn(de->d_name, &f, arg);
        free(f.der);
        count++;
    }
    if (d)
        closedir(d);
    return count;
}

static void crl_to_json(const char *name, const crl_file *f, void *arg)
{
    json_t *crls = arg;
    time_t now = time(NULL);
    json_array_append_new(crls, json_pack("{s:s,s:s,s:s,s:s,s:i,s:b}", "name", name, "issuer",
                                          f->c.issuer, "this_update", f->this_update,
                                          "next_update", f->next_update, "revoked", f->c.nrevoked,
                                          "current", !f->c.next_update || now <= f->c.next_update));
}

static void crl_print(const char *name, const crl_file *f, void *arg)
{
    const opts *o = arg;
    const sipc_crl *c = &f->c;
    printf("%s\n  issuer: %s\n  this update %s, next update %s%s\n  %d revoked\n", name, c->issuer,
           f->this_update, f->next_update,
           c->next_update && time(NULL) > c->next_update ? " (PAST NEXT UPDATE)" : "", c->nrevoked);
    for (int i = 0; i < c->nrevoked && o->verbose; i++) {
        char sh[100], ws[32];
        time_t w;
        if (sipc_crl_entry(c, i, sh, sizeof sh, &w, NULL, 0) == 0) {
            sipc_time_str(w, ws);
            printf("    serial %s revoked %s\n", sh, ws);
        }
    }
}

static int cmd_status(opts *o)
{
    if (o->npos)
        return fail(EX_USAGE, "status takes no arguments");
    sipc_config cfg;
    int r = load_config(o, &cfg);
    if (r)
        return r;
    time_t now = time(NULL);
    json_t *j = json_object(), *problems = json_array(), *warnings = json_array();
    sipc_keypair kp;
    int have = load_pair(o, &kp, 1) == 0;
    sipc_x509 x;
    memset(&x, 0, sizeof x);
    json_object_set_new(j, "home", json_string(o->home));
    json_object_set_new(j, "imported", json_boolean(have));
    json_object_set_new(j, "tls_enabled", json_boolean(cfg.tls_enable));
    json_object_set_new(j, "tls_mode", json_string(sipc_tls_mode_name(cfg.tls_mode)));
    json_object_set_new(j, "revocation", json_string(revocation_name(cfg.revocation)));
    json_object_set_new(j, "required_subject", json_string(cfg.subject));
    if (have && sipc_x509_parse(&x, kp.certs[0].data, kp.certs[0].len, NULL, 0) == 0) {
        json_object_set_new(j, "certificate", cert_json(&x, now));
        if (now > x.not_after)
            json_array_append_new(problems, json_string("the certificate has expired: create or "
                                                        "obtain a new pair and import it"));
        else if (now < x.not_before)
            json_array_append_new(problems, json_string("the certificate is not valid yet: check "
                                                        "the clock"));
        else if (x.not_after - now < 30 * 86400)
            json_array_append_new(warnings,
                                  json_string("the certificate expires in less than 30 days: "
                                              "prepare and import a new pair"));
        sipc_vfy_result res;
        int st = verify_own(o, &cfg, &kp, &res);
        if (st >= 0) {
            json_object_set_new(j, "verify", json_string(st == SIPC_VFY_OK ? "VERIFIED" : res.reason));
            if (st != SIPC_VFY_OK && st != SIPC_VFY_EXPIRED && st != SIPC_VFY_NOT_YET_VALID) {
                char m[1000];
                snprintf(m, sizeof m, "the pair does not verify: %s (fix: %s)", res.reason, res.fix);
                json_array_append_new(problems, json_string(m));
            }
            if (res.warning[0] && st == SIPC_VFY_OK && !(x.not_after - now < 30 * 86400))
                json_array_append_new(warnings, json_string(res.warning));
            if (o->verbose) {
                json_t *chain = json_array();
                for (int i = 0; i < kp.ncerts; i++) {
                    sipc_x509 cx;
                    if (sipc_x509_parse(&cx, kp.certs[i].data, kp.certs[i].len, NULL, 0) == 0)
                        json_array_append_new(chain, cert_json(&cx, now));
                }
                json_object_set_new(j, "chain", chain);
            }
        }
    } else if (have) {
        json_array_append_new(problems, json_string("node.crt cannot be parsed: import the pair "
                                                    "again"));
    }
    if (cfg.tls_enable && !have)
        json_array_append_new(problems, json_string("TLS is enabled but no key pair is imported: "
                                                    "run `tlstool import FILE` or `tlstool "
                                                    "disable`"));
    /* permissions */
    char p_sec[1200], p_crt[1200], p_p12[1200];
    snprintf(p_sec, sizeof p_sec, "%s/security", o->home);
    snprintf(p_crt, sizeof p_crt, "%s/security/node.crt", o->home);
    snprintf(p_p12, sizeof p_p12, "%s/security/node.p12", o->home);
    perm_check checks[] = {{p_sec, 0700, 1}, {p_crt, 0600, 0}, {p_p12, 0600, 0}};
    json_t *files = json_array();
    for (size_t i = 0; i < 3; i++) {
        struct stat st;
        if (stat(checks[i].path, &st) != 0) {
            if (have && i == 2)
                json_array_append_new(warnings, json_string("node.p12 is missing: import the pair "
                                                            "again to restore it"));
            continue;
        }
        char mode[8];
        snprintf(mode, sizeof mode, "%04o", (unsigned)(st.st_mode & 07777));
        int ok = (st.st_mode & 077) == 0;
        json_array_append_new(files, json_pack("{s:s,s:s,s:i,s:b}", "path", checks[i].path, "mode",
                                               mode, "owner_uid", (int)st.st_uid, "ok", ok));
        if (!ok) {
            char m[1400];
            snprintf(m, sizeof m, "%s is accessible by other users (mode %s): chmod %s %s",
                     checks[i].path, mode, checks[i].is_dir ? "700" : "600", checks[i].path);
            json_array_append_new(problems, json_string(m));
        }
    }
    json_object_set_new(j, "files", files);
    if (o->verbose) {
        json_t *roots = json_array(), *crls = json_array();
        sipc_trust *t;
        int hp;
        if (load_trust(o, &cfg, &t, &hp) == 0) {
            for (int i = 0; i < sipc_trust_anchor_count(t); i++) {
                const sipc_der *a = sipc_trust_anchor(t, i);
                sipc_x509 ax;
                if (sipc_x509_parse(&ax, a->data, a->len, NULL, 0) == 0)
                    json_array_append_new(roots, cert_json(&ax, now));
            }
            sipc_trust_free(t);
        }
        crl_dir_foreach(o->home, crl_to_json, crls);
        json_object_set_new(j, "trusted_roots", roots);
        json_object_set_new(j, "crls", crls);
    }
    json_object_set_new(j, "problems", problems);
    json_object_set_new(j, "warnings", warnings);
    int bad = json_array_size(problems) > 0;
    json_object_set_new(j, "consistent", json_boolean(!bad));
    if (o->json) {
        char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (s)
            printf("%s\n", s);
        free(s);
    } else {
        printf("home:        %s\n", o->home);
        printf("TLS:         %s (mode %s, revocation %s%s%s)\n",
               cfg.tls_enable ? "enabled" : "disabled", sipc_tls_mode_name(cfg.tls_mode),
               revocation_name(cfg.revocation), cfg.subject[0] ? ", required subject " : "",
               cfg.subject);
        if (!have) {
            printf("key pair:    none imported (tlstool import FILE)\n");
        } else if (x.der.p) {
            char nb[32], na[32], ku[200], eku[200];
            sipc_time_str(x.not_before, nb);
            sipc_time_str(x.not_after, na);
            sipc_ku_str(x.ku, ku, sizeof ku);
            sipc_eku_str(x.eku, eku, sizeof eku);
            printf("key pair:    imported (%s)\n", p_crt);
            printf("  subject:   %s\n  issuer:    %s\n  serial:    %s\n  SHA-256:   %s\n",
                   x.subject, x.issuer, x.serial_hex, x.fingerprint);
            printf("  key:       %s\n  valid:     %s to %s (%ld days left)\n", x.key_desc, nb, na,
                   (long)((x.not_after - now) / 86400));
            printf("  usage:     %s; extended: %s\n", x.has_ku ? ku : "(not restricted)",
                   x.has_eku ? eku : "(not restricted)");
            if (x.san[0])
                printf("  names:     %s\n", x.san);
            json_t *v = json_object_get(j, "verify");
            if (v)
                printf("  verify:    %s\n", json_string_value(v));
        }
        size_t i;
        json_t *f;
        json_array_foreach(files, i, f)
        {
            printf("file:        %s %s %s\n", json_string_value(json_object_get(f, "path")),
                   json_string_value(json_object_get(f, "mode")),
                   json_is_true(json_object_get(f, "ok")) ? "ok" : "TOO OPEN");
        }
        if (o->verbose) {
            json_t *chain = json_object_get(j, "chain"), *e;
            if (chain) {
                printf("chain:\n");
                json_array_foreach(chain, i, e)
                {
                    printf("  [%zu] %s\n      issuer %s, valid to %s, SHA-256 %s\n", i,
                           json_string_value(json_object_get(e, "subject")),
                           json_string_value(json_object_get(e, "issuer")),
                           json_string_value(json_object_get(e, "not_after")),
                           json_string_value(json_object_get(e, "fingerprint_sha256")));
                }
            }
            printf("trusted roots:\n");
            json_array_foreach(json_object_get(j, "trusted_roots"), i, e)
            {
                printf("  %s (SHA-256 %s, valid to %s)\n",
                       json_string_value(json_object_get(e, "subject")),
                       json_string_value(json_object_get(e, "fingerprint_sha256")),
                       json_string_value(json_object_get(e, "not_after")));
            }
            printf("CRLs:\n");
            json_array_foreach(json_object_get(j, "crls"), i, e)
            {
                printf("  %s: issuer %s, next update %s, %d revoked%s\n",
                       json_string_value(json_object_get(e, "name")),
                       json_string_value(json_object_get(e, "issuer")),
                       json_string_value(json_object_get(e, "next_update")),
                       (int)json_integer_value(json_object_get(e, "revoked")),
                       json_is_true(json_object_get(e, "current")) ? "" : " (PAST NEXT UPDATE)");
            }
        }
        json_array_foreach(warnings, i, f) printf("warning: %s\n", json_string_value(f));
        json_array_foreach(problems, i, f) printf("PROBLEM: %s\n", json_string_value(f));
        printf("state:       %s\n", bad ? "INCONSISTENT" : "consistent");
    }
    json_decref(j);
    if (have)
        sipc_keypair_free(&kp);
    return bad ? EX_STATE : EX_OK;
}

/* --------------------------------------------------------------- verify */

/* Reads FILE as PEM certificates, one DER certificate or PKCS#12. */
static int read_chain(opts *o, const char *file, sipc_keypair *kp)
{
    uint8_t *b;
    size_t n;
    char err[600];
    memset(kp, 0, sizeof *kp);
    if (sipc_store_read(file, &b, &n, MAX_FILE, err, sizeof err) != 0)
        return fail(EX_BADFILE, "%s", err);
    if (sipc_is_pem(b, n)) {
        int nc = 0;
        int r = sipc_pem_certs((const char *)b, n, kp->certs, SIPC_KP_MAX_CHAIN, &nc, NULL, 0);
        free(b);
        if (r != 0 || nc == 0)
            return fail(EX_BADFILE, "%s holds no readable PEM certificate", file);
        kp->ncerts = nc;
        return 0;
    }
    sipc_x509 x;
    if (sipc_x509_parse(&x, b, n, NULL, 0) == 0) {
        kp->certs[0].data = b;
        kp->certs[0].len = n;
        kp->ncerts = 1;
        return 0;
    }
    /* PKCS#12 */
    char pw[1100];
    int r = get_password(o, NULL, 0, pw, sizeof pw);
    if (r) {
        free(b);
        return r;
    }
    sipc_pfx_error why;
    r = sipc_pfx_read(b, n, pw, kp, &why, err, sizeof err);
    memset(pw, 0, sizeof pw);
    free(b);
    if (r != 0)
        return fail(pfx_exit(r, why), "%s: %s", file, err);
    return 0;
}

static int cmd_verify(opts *o)
{
    if (o->npos > 1)
        return fail(EX_USAGE, "verify takes at most one FILE");
    int purpose;
    if (parse_purpose(o->purpose, &purpose) != 0)
        return fail(EX_USAGE, "--purpose must be client, server or both");
    sipc_config cfg;
    int r = load_config(o, &cfg);
    if (r)
        return r;
    sipc_keypair kp;
    const char *what;
    if (o->npos == 1) {
        if ((r = read_chain(o, o->pos[0], &kp)) != 0)
            return r;
        what = o->pos[0];
    } else {
        if ((r = load_pair(o, &kp, 0)) != 0)
            return r;
        what = "the imported pair";
    }
    sipc_trust *t;
    int have;
    if ((r = load_trust(o, &cfg, &t, &have)) != 0) {
        sipc_keypair_free(&kp);
        return r;
    }
    sipc_vfy_result res;
    sipc_vfy_status st =
        sipc_trust_verify(t, kp.certs, kp.ncerts, purpose, time(NULL), &res) == 0 ? SIPC_VFY_OK
                                                                                   : res.status;
    printf("verifying %s (%d certificate(s)) for TLS %s; revocation %s%s%s\n", what, kp.ncerts,
           purpose == SIPC_PURPOSE_BOTH ? "client and server" : purpose == SIPC_PURPOSE_CLIENT ? "client" : "server",
           revocation_name(cfg.revocation), cfg.subject[0] ? "; required subject " : "",
           cfg.subject);
    if (!have)
        printf("note: no key pair is imported on this node; only the trust store is used\n");
    print_links(&res);
    print_verdict(&res);
    sipc_trust_free(t);
    sipc_keypair_free(&kp);
    return tlstool_verify_exit_code(st);
}

/* ---------------------------------------------------------------- trust */

static int cmd_trust(opts *o)
{
    if (o->npos < 1)
        return fail(EX_USAGE, "trust needs add FILE, list, remove FINGERPRINT or export");
    const char *sub = o->pos[0];
    char dir[1100], path[1400], err[600];
    snprintf(dir, sizeof dir, "%s/security/trust", o->home);
    if (!strcmp(sub, "add")) {
        if (o->npos != 2)
            return fail(EX_USAGE, "usage: tlstool trust add FILE");
        sipc_keypair kp;
        int r = read_chain(o, o->pos[1], &kp);
        if (r)
            return r;
        if (sipc_store_init(o->home, err, sizeof err) != 0) {
            sipc_keypair_free(&kp);
            return fail(EX_FAIL, "%s", err);
        }
        int added = 0;
        for (int i = 0; i < kp.ncerts; i++) {
            sipc_x509 x;
            if (sipc_x509_parse(&x, kp.certs[i].data, kp.certs[i].len, err, sizeof err) != 0) {
                sipc_keypair_free(&kp);
                return fail(EX_BADFILE, "%s: certificate %d: %s", o->pos[1], i, err);
            }
            if (!x.is_ca) {
                sipc_keypair_free(&kp);
                return fail(EX_REFUSED,
                            "'%s' is not a CA certificate (no basicConstraints CA:TRUE): trust "
                            "the root that issued it instead (ask for `tlstool trust export` on "
                            "the other cluster, or your CA's root)",
                            x.subject);
            }
            char *pem = NULL;
            size_t plen;
            sipc_keypair one;
            memset(&one, 0, sizeof one);
            one.certs[0] = kp.certs[i];
            one.ncerts = 1;
            int pr = sipc_keypair_to_pem(&one, &pem, &plen);
            snprintf(path, sizeof path, "%s/%.16s.pem", dir, x.fingerprint);
            if (pr != 0 || sipc_store_write(path, pem, plen, err, sizeof err) != 0) {
                free(pem);
                sipc_keypair_free(&kp);
                return fail(EX_FAIL, "%s", err);
            }
            free(pem);
            char na[32];
            sipc_time_str(x.not_after, na);
            printf("trusted: %s\n  SHA-256: %s\n  valid to %s\n  stored as %s\n", x.subject,
                   x.fingerprint, na, path);
            if (!sipc_x509_self_issued(&x))
                printf("note: this CA is not self-signed (an intermediate): chains ending at it "
                       "are accepted\n");
            added++;
        }
        sipc_keypair_free(&kp);
        printf("warning: only add roots that you or your organisation control: every certificate "
               "such a root signed can now connect to this node\n");
        printf("running services pick the change up when restarted\n");
        return added ? EX_OK : EX_REFUSED;
    }
    if (!strcmp(sub, "list")) {
        sipc_config cfg;
        int r = load_config(o, &cfg);
        if (r)
            return r;
        sipc_trust *t;
        int have;
        if ((r = load_trust(o, &cfg, &t, &have)) != 0)
            return r;
        int n = sipc_trust_anchor_count(t);
        if (n == 0)
            printf("no trusted roots (import a key pair, or `tlstool trust add FILE`)\n");
        for (int i = 0; i < n; i++) {
            const sipc_der *a = sipc_trust_anchor(t, i);
            sipc_x509 x;
            if (sipc_x509_parse(&x, a->data, a->len, NULL, 0) != 0)
                continue;
            char na[32];
            sipc_time_str(x.not_after, na);
            snprintf(path, sizeof path, "%s/%.16s.pem", dir, x.fingerprint);
            printf("%s\n  SHA-256: %s\n  valid to %s; %s\n", x.subject, x.fingerprint, na,
                   file_exists(path) ? path : "from this node's key pair (node.crt)");
        }
        sipc_trust_free(t);
        return EX_OK;
    }
    if (!strcmp(sub, "remove")) {
        if (o->npos != 2)
            return fail(EX_USAGE, "usage: tlstool trust remove FINGERPRINT (see trust list)");
        const char *fp = o->pos[1];
        size_t fl = strlen(fp);
        if (fl < 8)
            return fail(EX_USAGE, "give at least 8 hex digits of the fingerprint");
        DIR *d = opendir(dir);
        struct dirent *de;
        char match[300] = "";
        int nmatch = 0;
        while (d && (de = readdir(d))) {
            if (de->d_name[0] == '.')
                continue;
            snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
            uint8_t *b;
            size_t n;
            if (sipc_store_read(path, &b, &n, MAX_FILE, err, sizeof err) != 0)
                continue;
            sipc_der c[1];
            int nc = 0;
            if (sipc_pem_certs((char *)b, n, c, 1, &nc, NULL, 0) == 0 && nc == 1) {
                char f[65];
                sipc_fingerprint(c[0].data, c[0].len, f);
                if (strncasecmp(f, fp, fl) == 0) {
                    snprintf(match, sizeof match, "%s", de->d_name);
                    nmatch++;
                }
                sipc_der_free(&c[0]);
            }
            free(b);
        }
        if (d)
            closedir(d);
        if (nmatch == 0)
            return fail(EX_REFUSED, "no trusted root with fingerprint %s in %s (see `tlstool trust "
                                    "list`; the pair's own root is removed by importing another "
                                    "pair)",
                        fp, dir);
        if (nmatch > 1)
            return fail(EX_USAGE, "%s matches several roots: give more digits", fp);
        snprintf(path, sizeof path, "%s/%s", dir, match);
        if (unlink(path) != 0)
            return fail(EX_FAIL, "cannot remove %s: %s", path, strerror(errno));
        printf("removed %s; running services pick the change up when restarted\n", path);
        return EX_OK;
    }
    if (!strcmp(sub, "export")) {
        sipc_keypair kp;
        int r = load_pair(o, &kp, 0);
        if (r)
            return r;
        int root = -1;
        for (int i = 0; i < kp.ncerts; i++) {
            sipc_x509 x;
            if (sipc_x509_parse(&x, kp.certs[i].data, kp.certs[i].len, NULL, 0) == 0 &&
                sipc_x509_self_issued(&x) && x.is_ca)
                root = i;
        }
        if (root < 0) {
            sipc_keypair_free(&kp);
            return fail(EX_NOPAIR, "the imported pair carries no root certificate: export your "
                                   "organisation's root from your CA instead");
        }
        sipc_keypair one;
        memset(&one, 0, sizeof one);
        one.certs[0] = kp.certs[root];
        one.ncerts = 1;
        size_t plen;
        char *pem;
        if (sipc_keypair_to_pem(&one, &pem, &plen) != 0) {
            sipc_keypair_free(&kp);
            return fail(EX_FAIL, "out of memory");
        }
        if (o->out) {
            /* a certificate is public: 0644 is fine, but keep store semantics */
            r = sipc_store_write(o->out, pem, plen, err, sizeof err);
            if (r == 0)
                fprintf(stderr, "wrote %s: on the other cluster run `tlstool trust add %s`\n",
                        o->out, o->out);
        } else {
            fwrite(pem, 1, plen, stdout);
        }
        free(pem);
        sipc_keypair_free(&kp);
        return r ? fail(EX_FAIL, "%s", err) : EX_OK;
    }
    return fail(EX_USAGE, "unknown trust command '%s': use add, list, remove or export", sub);
}

/* ------------------------------------------------------------------ crl */

static int cmd_crl(opts *o)
{
    if (o->npos < 1)
        return fail(EX_USAGE, "crl needs add FILE, list or remove NAME");
    const char *sub = o->pos[0];
    char dir[1100], path[1400], err[600];
    snprintf(dir, sizeof dir, "%s/security/crl", o->home);
    sipc_config cfg;
    int r = load_config(o, &cfg);
    if (r)
        return r;
    if (!strcmp(sub, "add")) {
        if (o->npos != 2)
            return fail(EX_USAGE, "usage: tlstool crl add FILE");
        crl_file f;
        if (crl_file_read(&f, o->pos[1], err, sizeof err) != 0)
            return fail(EX_BADFILE, "%s", err);
        const sipc_crl c = f.c;
        uint8_t *der = f.der;
        long dl = f.len;
        sipc_trust *t;
        int have;
        if ((r = load_trust(o, &cfg, &t, &have)) != 0) {
            free(der);
            return r;
        }
        int known = sipc_trust_knows_issuer(t, der, (size_t)dl);
        r = sipc_trust_add_crl_named(t, der, (size_t)dl, o->pos[1], err, sizeof err);
        sipc_trust_free(t);
        if (r != 0) {
            free(der);
            return fail(EX_REFUSED, "%s: %s", o->pos[1], err);
        }
        /* one file per issuer: a newer CRL replaces the older one */
        char ifp[65];
        sipc_fingerprint(c.issuer_der.p, c.issuer_der.len, ifp);
        snprintf(path, sizeof path, "%s/%.16s.crl", dir, ifp);
        {
            uint8_t *ob;
            size_t on;
            sipc_crl oc;
            if (!o->force && sipc_store_read(path, &ob, &on, MAX_FILE, err, sizeof err) == 0) {
                int older = sipc_crl_parse(&oc, ob, on, NULL, 0) == 0 &&
                            oc.this_update > c.this_update;
                free(ob);
                if (older) {
                    free(der);
                            return fail(EX_REFUSED,
                                "%s is older than the installed CRL of %s (%s): not replaced; "
                                "add --force to install it anyway",
                                o->pos[1], c.issuer, path);
                }
            }
        }
        if (sipc_store_init(o->home, err, sizeof err) != 0 ||
            sipc_store_write(path, der, (size_t)dl, err, sizeof err) != 0) {
            free(der);
            return fail(EX_FAIL, "%s", err);
        }
        printf("added CRL of %s (%d revoked; this update %s, next update %s) as %s\n", c.issuer,
               c.nrevoked, f.this_update, f.next_update, path);
        if (!known)
            printf("note: the issuer '%s' is neither this node's chain nor a trusted root: the "
                   "CRL is used (signature checked) when a peer presents that issuer\n",
                   c.issuer);
        if (c.next_update && time(NULL) > c.next_update)
            printf("warning: this CRL is past its next update: revocation status counts as "
                   "unknown until you add a current one\n");
        if (cfg.revocation == SIPC_REVOCATION_OFF)
            printf("warning: [tls] revocation = off in sipc.conf: CRLs are not checked\n");
        printf("running services pick the change up when restarted\n");
        free(der);
        return EX_OK;
    }
    if (!strcmp(sub, "list")) {
        printf("revocation = %s\n", revocation_name(cfg.revocation));
        int count = crl_dir_foreach(o->home, crl_print, o);
        if (!count)
            printf("no CRLs\n");
        return EX_OK;
    }
    if (!strcmp(sub, "remove")) {
        if (o->npos != 2)
            return fail(EX_USAGE, "usage: tlstool crl remove NAME (see tlstool crl list)");
        const char *name = o->pos[1];
        if (strchr(name, '/') || name[0] == '.')
            return fail(EX_USAGE, "give the NAME shown by `tlstool crl list`");
        snprintf(path, sizeof path, "%s/%s", dir, name);
        if (unlink(path) != 0)
            return fail(EX_REFUSED, "no CRL named %s in %s (see `tlstool crl list`)", name, dir);
        printf("removed %s; running services pick the change up when restarted\n", path);
        return EX_OK;
    }
    return fail(EX_USAGE, "unknown crl command '%s': use add, list or remove", sub);
}

/* ---------------------------------------------------------------- check */

typedef struct node_probe {
    char addr[160];
    char host[128];
    int port;
    sipc_channel *ch;
    uv_timer_t timer;
    int done;
    int up;
    int err;
    sipc_peer_info info;
    char detail[600];
    char info_reply[200];
    struct check_state *cs;
} node_probe;

typedef struct check_state {
    node_probe *nodes;
    int n;
    int pending;
    sipc_ctx *ctx;
    char last_log[SIPC_MAX_NODES][600];
} check_state;

static void check_log(void *arg, sipc_log_level level, const char *category, const char *msg)
{
    check_state *cs = arg;
    if (level < SIPC_LOG_WARN)
        return;
    /* remember the reasons per node address mentioned in the message */
    for (int i = 0; i < cs->n; i++)
        if (strstr(msg, cs->nodes[i].addr) || strstr(msg, "certificate"))
            snprintf(cs->last_log[i], sizeof cs->last_log[i], "%s", msg);
}

static void probe_finish(node_probe *p)
{
    if (p->done)
        return;
    p->done = 1;
    uv_timer_stop(&p->timer);
    if (!p->up && p->ch)
        p->err = sipc_channel_last_error(p->ch);
    if (p->ch) {
        sipc_channel_close(p->ch, NULL, NULL);
        p->ch = NULL;
    }
    uv_close((uv_handle_t *)&p->timer, NULL);
    if (--p->cs->pending == 0)
        sipc_ctx_close(p->cs->ctx, NULL, NULL);
}

static void probe_info_cb(int err, const sipc_reply *reply, void *arg)
{
    node_probe *p = arg;
    if (p->done)
        return;
    if (err == 0) {
        p->up = 1;
        if (reply && reply->len)
            snprintf(p->info_reply, sizeof p->info_reply, "%.*s",
                     (int)(reply->len < 190 ? reply->len : 190), (const char *)reply->data);
    } else {
        p->err = err;
        const char *d = p->ch ? sipc_channel_last_detail(p->ch) : NULL;
        if (d && d[0])
            snprintf(p->detail, sizeof p->detail, "%s", d);
        else if (reply && reply->message && reply->message[0])
            snprintf(p->detail, sizeof p->detail, "%s", reply->message);
    }
    probe_finish(p);
}

static void probe_conn_cb(sipc_conn *conn, sipc_conn_event ev, int err, void *arg)
{
    node_probe *p = arg;
    (void)err;
    if (!p->done && ev == SIPC_CONN_UP)
        sipc_conn_info(conn, &p->info);
}

static void probe_timeout(uv_timer_t *t)
{
    node_probe *p = t->data;
    if (!p->err && p->ch)
        p->err = sipc_channel_last_error(p->ch);
    if (!p->err)
        p->err = SIPC_ETIMEDOUT;
    probe_finish(p);
}

static int cmd_check(opts *o)
{
    if (o->npos)
        return fail(EX_USAGE, "check takes no arguments (nodes come from [cluster] nodes)");
    sipc_config cfg;
    int r = load_config(o, &cfg);
    if (r)
        return r;
    sipc_keypair kp;
    if ((r = load_pair(o, &kp, 0)) != 0)
        return r;
    printf("== this node's key pair\n");
    sipc_vfy_result res;
    int st = verify_own(o, &cfg, &kp, &res);
    if (st < 0) {
        sipc_keypair_free(&kp);
        return -st;
    }
    print_links(&res);
    print_verdict(&res);
    char own_fp[65];
    snprintf(own_fp, sizeof own_fp, "%s", kp.fingerprint);
    int shared_pair = 0; /* self-signed: every node must hold this very certificate */
    {
        sipc_x509 ox;
        if (sipc_x509_parse(&ox, kp.certs[0].data, kp.certs[0].len, NULL, 0) == 0)
            shared_pair = sipc_x509_self_issued(&ox);
    }
    sipc_keypair_free(&kp);
    int data_port = sipc_config_port(&cfg, "data");
    if (data_port == 23443)
        printf("PROBLEM: the data service is on the old port 23443: move it to 23000 before "
               "enabling TLS\n");
    if (st != SIPC_VFY_OK)
        return tlstool_verify_exit_code((sipc_vfy_status)st);
    printf("TLS on this node: %s (mode %s)\n", cfg.tls_enable ? "enabled" : "disabled",
           sipc_tls_mode_name(cfg.tls_mode));
    if (cfg.nnodes == 0) {
        printf("no [cluster] nodes configured: nothing to connect to\n");
        return EX_OK;
    }
    printf("== test connections to %d node(s) from [cluster] nodes\n", cfg.nnodes);
    sipc_config c2 = cfg;
    c2.tls_enable = 1;
    c2.tls_mode = SIPC_TLS_PERMISSIVE;
    sipc_security *sec;
    char err[600];
    if (sipc_security_load(&sec, &c2, err, sizeof err) != 0)
        return fail(EX_CONFIG, "cannot set up TLS for the test connections: %s", err);
    uv_loop_t loop;
    uv_loop_init(&loop);
    check_state cs;
    memset(&cs, 0, sizeof cs);
    cs.n = cfg.nnodes;
    cs.nodes = calloc((size_t)cfg.nnodes, sizeof *cs.nodes);
    sipc_options opt;
    sipc_options_init(&opt);
    opt.node_id = "tlstool-check";
    opt.cluster = cfg.cluster;
    opt.log = check_log;
    opt.log_arg = &cs;
    opt.reconnect_min_ms = 200;
    opt.handshake_timeout_ms = (uint32_t)(o->timeout_ms ? o->timeout_ms : 5000);
    if (!cs.nodes || sipc_ctx_new(&cs.ctx, &loop, &opt, sec) != 0) {
        sipc_security_release(sec);
        free(cs.nodes);
        return fail(EX_FAIL, "cannot start the test connections");
    }
    sipc_security_release(sec);
    for (int i = 0; i < cfg.nnodes; i++) {
        node_probe *p = &cs.nodes[i];
        p->cs = &cs;
        snprintf(p->addr, sizeof p->addr, "%s", cfg.nodes[i]);
        uv_timer_init(&loop, &p->timer);
        p->timer.data = p;
        cs.pending++;
        if (sipc_parse_address(p->addr, 0, p->host, sizeof p->host, &p->port) != 0) {
            p->err = SIPC_EINVAL;
            snprintf(p->detail, sizeof p->detail, "not HOST:PORT");
            probe_finish(p);
            continue;
        }
        int rc = sipc_channel_open(&p->ch, cs.ctx, p->host, p->port, NULL);
        if (rc != 0) {
            p->ch = NULL;
            p->err = rc;
            probe_finish(p);
            continue;
        }
        sipc_channel_set_conn_cb(p->ch, probe_conn_cb, p);
        sipc_channel_set_fail_fast(p->ch, 1);
        rc = sipc_call(p->ch, "sys", "info", NULL, 0,
                       (uint32_t)(o->timeout_ms ? o->timeout_ms : 5000), probe_info_cb, p);
        if (rc != 0) {
            p->err = rc;
            probe_finish(p);
            continue;
        }
        uv_timer_start(&p->timer, probe_timeout, (uint64_t)(o->timeout_ms ? o->timeout_ms : 5000), 0);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    int worst = EX_OK;
    for (int i = 0; i < cs.n; i++) {
        node_probe *p = &cs.nodes[i];
        if (p->up) {
            int same = strcmp(p->info.peer_fingerprint, own_fp) == 0;
            if (p->info.tls) {
                printf("%s: reachable, TLS (%s %s), %s certificate (SHA-256 %.16s...)%s\n",
                       p->addr, p->info.tls_version, p->info.tls_cipher,
                       same ? "same" : "DIFFERENT", p->info.peer_fingerprint,
                       same || shared_pair ? "" : ", accepted: it chains to a trusted root");
                if (!same && shared_pair && worst < EX_CHECK_MISMATCH)
                    worst = EX_CHECK_MISMATCH;
            } else {
                int strict = sipc_config_effective_mode(&cfg) == SIPC_TLS_STRICT;
                printf("%s: reachable, PLAINTEXT (TLS is not enabled there)%s\n", p->addr,
                       strict ? ": this node is strict and will refuse it; enable TLS there "
                                "(or use [tls] mode = permissive during the rollout)"
                              : "; expected before TLS is enabled there");
                if (strict && worst < EX_CHECK_PLAINTEXT)
                    worst = EX_CHECK_PLAINTEXT;
            }
        } else {
            int cls = sipc_err_classify(p->err);
            const char *why = p->detail[0]      ? p->detail
                              : cs.last_log[i][0] ? cs.last_log[i]
                                                  : sipc_strerror(p->err);
            if (cls == SIPC_CLASS_AUTH || cls == SIPC_CLASS_TLS) {
                printf("%s: reachable, TLS handshake FAILED: %s\n", p->addr, why);
                if (worst < EX_CHECK_MISMATCH)
                    worst = EX_CHECK_MISMATCH;
            } else if (cls == SIPC_CLASS_PROTOCOL) {
                printf("%s: reachable, but: %s\n", p->addr, why);
                if (worst < EX_CHECK_MISMATCH)
                    worst = EX_CHECK_MISMATCH;
            } else {
                printf("%s: NOT reachable: %s%s%s\n", p->addr, sipc_strerror(p->err),
                       p->detail[0] ? " - " : "", p->detail);
                if (worst < EX_CHECK_UNREACHABLE)
                    worst = EX_CHECK_UNREACHABLE;
            }
        }
    }
    free(cs.nodes);
    printf(worst == EX_OK ? "CHECK PASSED\n" : "CHECK FAILED\n");
    return worst;
}

/* ---------------------------------------------------------------- main */

static const struct {
    const char *name;
    int (*fn)(opts *);
    const char *allowed; /* option letters: see parse */
} CMDS[] = {
    {"create", cmd_create, "PSKjdfs"}, {"import", cmd_import, "PS"},   {"enable", cmd_enable, ""},
    {"disable", cmd_disable, ""},      {"status", cmd_status, "vJ"},   {"verify", cmd_verify, "pPS"},
    {"trust", cmd_trust, "oPS"},       {"crl", cmd_crl, "vf"},          {"check", cmd_check, "t"},
};

int main(int argc, char **argv)
{
    opts o;
    memset(&o, 0, sizeof o);
    const char *cmd = NULL;
    int ci = -1;
    char opt_seen[32] = "";
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        const char *val = NULL;
#define NEEDVAL(name)                                                                           \
    do {                                                                                        \
        if (i + 1 >= argc)                                                                      \
            return fail(EX_USAGE, "%s needs a value", name);                                    \
        val = argv[++i];                                                                        \
    } while (0)
#define SEEN(c) strncat(opt_seen, c, sizeof opt_seen - strlen(opt_seen) - 1)
        if (!strcmp(a, "--home")) {
            NEEDVAL("--home");
            o.home_opt = val;
        } else if (!strncmp(a, "--home=", 7)) {
            o.home_opt = a + 7;
        } else if (!strcmp(a, "--help") || !strcmp(a, "-h") || !strcmp(a, "help")) {
            o.help = 1;
        } else if (!strcmp(a, "--version")) {
            printf("tlstool (%s)\nPKCS#12 RC2 (legacy files): %s\n", sipc_version_string(),
                   sipc_pfx_have_rc2() ? "supported" : "not supported");
            return EX_OK;
        } else if (!strcmp(a, "--password-file")) {
            NEEDVAL("--password-file");
            o.password_file = val;
            SEEN("P");
        } else if (!strcmp(a, "--password-stdin")) {
            o.password_stdin = 1;
            SEEN("S");
        } else if (!strcmp(a, "--key")) {
            NEEDVAL("--key");
            o.key = val;
            SEEN("K");
        } else if (!strcmp(a, "--subject")) {
            NEEDVAL("--subject");
            o.subject = val;
            SEEN("j");
        } else if (!strcmp(a, "--days")) {
            NEEDVAL("--days");
            char *end;
            long d = strtol(val, &end, 10);
            if (*end || d < 1 || d > 36500)
                return fail(EX_USAGE, "--days must be a number between 1 and 36500");
            o.days = (int)d;
            SEEN("d");
        } else if (!strcmp(a, "--force")) {
            o.force = 1;
            SEEN("f");
        } else if (!strcmp(a, "-site") || !strcmp(a, "--site")) {
            o.site = 1;
            SEEN("s");
        } else if (!strcmp(a, "-verbose") || !strcmp(a, "--verbose") || !strcmp(a, "-v")) {
            o.verbose = 1;
            SEEN("v");
        } else if (!strcmp(a, "--json")) {
            o.json = 1;
            SEEN("J");
        } else if (!strcmp(a, "--purpose")) {
            NEEDVAL("--purpose");
            o.purpose = val;
            SEEN("p");
        } else if (!strcmp(a, "--out")) {
            NEEDVAL("--out");
            o.out = val;
            SEEN("o");
        } else if (!strcmp(a, "--timeout")) {
            NEEDVAL("--timeout");
            o.timeout_ms = atoi(val);
            if (o.timeout_ms < 100 || o.timeout_ms > 600000)
                return fail(EX_USAGE, "--timeout must be 100 to 600000 milliseconds");
            SEEN("t");
        } else if (a[0] == '-' && a[1] != '\0') {
            return fail(EX_USAGE, "unknown option '%s' (see tlstool %s--help)", a,
                        cmd ? cmd : "");
        } else if (!cmd) {
            cmd = a;
            for (size_t k = 0; k < sizeof CMDS / sizeof CMDS[0]; k++)
                if (!strcmp(CMDS[k].name, cmd))
                    ci = (int)k;
            if (ci < 0)
                return fail(EX_USAGE, "unknown command '%s' (see tlstool --help)", cmd);
        } else {
            if (o.npos == (int)(sizeof o.pos / sizeof o.pos[0]))
                return fail(EX_USAGE, "too many arguments");
            o.pos[o.npos++] = a;
        }
    }
    if (o.help || !cmd)
        return cmd || o.help ? show_help(cmd) : (fputs(HELP_MAIN, stderr), EX_USAGE);
    for (const char *c = opt_seen; *c; c++)
        if (!strchr(CMDS[ci].allowed, *c))
            return fail(EX_USAGE, "an option given does not apply to '%s' (see tlstool %s --help)",
                        cmd, cmd);
    /* A password given as an argument: keep a copy, then blank it in argv so
     * that it no longer shows in /proc/<pid>/cmdline and ps. */
    static char pwcopy[1100];
    int pwpos = (!strcmp(cmd, "create") || !strcmp(cmd, "import")) ? 1 : -1;
    if (pwpos >= 0 && o.npos > pwpos) {
        char *arg = o.pos[pwpos];
        snprintf(pwcopy, sizeof pwcopy, "%s", arg);
        memset(arg, 0, strlen(arg));
        o.pos[pwpos] = pwcopy;
    }
    o.home = sipc_home_resolve(o.home_opt);
    int r = CMDS[ci].fn(&o);
    memset(pwcopy, 0, sizeof pwcopy);
    return r;
}
