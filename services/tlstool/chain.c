/* chain.c - certificates read from a file, and a verification printed the
 * way `verify` and `check` show it. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certs/pem.h"
#include "certs/tool/pkcs12.h"
#include "certs/tool/store.h"
#include "services/common/shown_text.h"
#include "services/tlstool/tlstool.h"

void print_links(const sipc_vfy_result *res)
{
    for (int i = 0; i < res->nlinks; i++) {
        const sipc_vfy_link *l = &res->links[i];
        printf("  [%d] %s%s (%s)\n", i, l->subject, l->is_ca ? " [CA]" : "", l->source);
        printf("      issuer:  %s\n", l->issuer);
        printf("      valid:   %s to %s\n", l->not_before, l->not_after);
        printf("      SHA-256: %s\n", l->fingerprint);
    }
}

void print_verdict(const sipc_vfy_result *res)
{
    if (res->warning[0])
        warning("%s", res->warning);
    if (res->status == SIPC_VFY_OK) {
        /* the anchor is the last link: a pair of a rotation in progress is
         * trusted only until that rotation is finished or aborted */
        const char *src = res->nlinks ? res->links[res->nlinks - 1].source : "";
        if (sipc_trust_source_is_rotation(src))
            printf("VERIFIED (trusted during rotation: %s; see `tlstool rotate status`)\n", src);
        else
            printf("VERIFIED\n");
        return;
    }
    printf("NOT VERIFIED: %s\n", res->reason);
    if (res->fix[0])
        printf("Fix: %s\n", res->fix);
}

/* The exit code for a failed sipc_pfx_read: r its result, why its reason. */
static int pfx_exit(int r, sipc_pfx_error why)
{
    if (r == SIPC_ENOMEM)
        return EX_FAIL;
    switch (why) {
    case SIPC_PFX_PASSWORD: return EX_PASSWORD;
    case SIPC_PFX_NOKEY:
    case SIPC_PFX_NOCERT:
    case SIPC_PFX_MISMATCH:
    case SIPC_PFX_KEYS: return EX_KEY;
    case SIPC_PFX_UNPROTECTED: return EX_UNPROTECTED;
    case SIPC_PFX_CHAIN_TOO_LONG: return tlstool_verify_exit_code(SIPC_VFY_CHAIN_TOO_LONG);
    default: return EX_BADFILE;
    }
}

/* Says why sipc_pfx_read failed on the file shown so (r its result, why its
 * reason, err its text) with the fix, the same for every command; returns
 * the exit code. */
static int pfx_fail(const char *shown, int r, sipc_pfx_error why, const char *err)
{
    int code = pfx_exit(r, why);
    return fail(code, "%s: %s%s", shown, err,
                code == EX_PASSWORD ? "; give the password the file was exported with, or "
                                      "compare the file's sha256sum with the original's"
                                    : "");
}

int read_pfx(const char *shown, const uint8_t *b, size_t n, const char *pw, sipc_keypair *kp)
{
    char err[1200];
    sipc_pfx_error why;
    sipc_pfx_left left;
    int r = sipc_pfx_read(b, n, pw, kp, &left, &why, err, sizeof err);
    if (r != 0)
        return pfx_fail(shown, r, why, err);
    int said_missing = 0;
    for (int i = 0; i < left.n && i < SIPC_PFX_LEFT_NAMED; i++) {
        const char *subject = left.cert[i].subject, *fp = left.cert[i].fingerprint;
        if (!subject[0])
            warning("%s: a certificate that cannot be read (SHA-256 %.16s...) is left out of "
                    "the pair",
                    shown, fp);
        else if (left.cert[i].no_room)
            warning("%s: certificate '%s' (SHA-256 %.16s...) is left out of the pair: it bears "
                    "the name of a CA of the pair's chain (another key of it, or a "
                    "cross-certificate), and the pair holds at most %d certificates",
                    shown, subject, fp, SIPC_KP_MAX_CHAIN);
        else if (left.cert[i].ca && left.missing[0] && said_missing++)
            warning("%s: certificate '%s' (SHA-256 %.16s...) is left out of the pair as well, "
                    "for the same reason",
                    shown, subject, fp);
        else if (left.cert[i].ca && left.missing[0])
            /* a CA the chain cannot reach by name may well be above the
             * issuer the file lacks: that issuer is what to fix */
            warning("%s: certificate '%s' (SHA-256 %.16s...) is left out of the pair: the file "
                    "lacks the certificate of '%s', the issuer of '%s', so the pair's chain "
                    "stops there and this CA cannot be linked to it (it may be a CA above that "
                    "issuer); export the PKCS#12 file again with the whole chain: `openssl "
                    "pkcs12 -export -inkey KEY -in CERT -certfile CHAIN.pem -out PAIR.p12`, "
                    "CHAIN.pem holding '%s' and the CAs above it",
                    shown, subject, fp, left.missing, left.of, left.missing);
        else
            warning("%s: certificate '%s' (SHA-256 %.16s...) is left out of the pair: it is not "
                    "in the chain of the pair's certificate (it issued neither that nor a CA "
                    "above it), so peers are not sent it and it is not trusted; if it is another "
                    "cluster's root to trust, `tlstool trust add` it as a PEM file",
                    shown, subject, fp);
    }
    if (left.n > SIPC_PFX_LEFT_NAMED)
        warning("%s: and %d more certificate(s) left out of the pair", shown,
                left.n - SIPC_PFX_LEFT_NAMED);
    return 0;
}

int need_pfx(const char *shown, const uint8_t *b, size_t n)
{
    if (sipc_pfx_plausible(b, n))
        return 0;
    sipc_x509 x;
    const char *kind = sipc_is_pem(b, n)                         ? "a PEM file"
                       : sipc_x509_parse(&x, b, n, NULL, 0) == 0 ? "a DER certificate"
                                                                   : NULL;
    if (kind)
        return fail(EX_BADFILE, "%s: %s, not a PKCS#12 file: give the PKCS#12 file that holds the "
                                "key pair (from `tlstool create` or `openssl pkcs12 -export`)",
                    shown, kind);
    return fail(EX_BADFILE, "%s: not a PKCS#12 file, nor a certificate (damaged in transfer, or "
                            "another file?): give the PKCS#12 file that holds the key pair (from "
                            "`tlstool create` or `openssl pkcs12 -export`)",
                shown);
}

int fail_fix(int code, const char *fix, const char *fmt, ...)
{
    char *text = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&text, fmt, ap);
    va_end(ap);
    fail(code, "%s", n < 0 ? "out of memory" : text);
    cli_say_line(stderr, "tlstool: fix", "%s", fix);
    free(text);
    return code;
}

int read_chain(const opts *o, int arg, sipc_keypair *kp, int *is_pfx)
{
    const char *file = o->pos[arg], *shown = o->pos_shown[arg];
    uint8_t *b;
    size_t n;
    char err[600];
    memset(kp, 0, sizeof *kp);
    if (is_pfx)
        *is_pfx = 0;
    if (sipc_secret_file_read(file, &b, &n, MAX_FILE, err, sizeof err) != 0)
        return fail(EX_BADFILE, "%s", err);
    if (sipc_is_pem(b, n)) {
        int nc = 0;
        char why[200];
        int r = sipc_pem_certs((const char *)b, n, kp->certs, SIPC_KP_MAX_CHAIN, &nc, why,
                               sizeof why);
        sipc_secure_free(b, n);
        if (r == SIPC_ETOOBIG) {
            sipc_vfy_chain_too_long_reason(nc, why, sizeof why);
            return fail(tlstool_verify_exit_code(SIPC_VFY_CHAIN_TOO_LONG),
                        "%s: %s; fix: give the certificate and the CAs above it only", shown, why);
        }
        if (r != 0 || nc == 0)
            return fail(EX_BADFILE, "%s holds no readable PEM certificate", shown);
        kp->ncerts = nc;
        return 0;
    }
    sipc_x509 x;
    char derr[300];
    if (sipc_x509_parse(&x, b, n, derr, sizeof derr) == 0) {
        kp->certs[0].data = b;
        kp->certs[0].len = n;
        kp->ncerts = 1;
        return 0;
    }
    /* decided before a password is asked: what cannot be PKCS#12 fails now */
    if (!sipc_pfx_plausible(b, n)) {
        int seq = n && b[0] == 0x30;
        sipc_secure_free(b, n);
        return fail(EX_BADFILE, "%s: not a certificate (PEM or DER) or a PKCS#12 file%s%s%s", shown,
                    seq ? " (read as a DER certificate: " : "", seq ? derr : "", seq ? ")" : "");
    }
    char pw[CLI_PASSWORD_BUF];
    int r = get_password(o, 0, pw, sizeof pw);
    if (r) {
        sipc_secure_free(b, n);
        return r;
    }
    r = read_pfx(shown, b, n, pw, kp);
    explicit_bzero(pw, sizeof pw);
    sipc_secure_free(b, n);
    if (r != 0)
        return r;
    if (is_pfx)
        *is_pfx = 1;
    return 0;
}
