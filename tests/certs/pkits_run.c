/* pkits_run.c - NIST's Public Key Interoperability Test Suite (PKITS, RFC
 * 5280 path validation) through sipc's verifier, and how often it agrees.
 *
 *   pkits_run DIR [--min-agree N] [--quiet]
 *
 * DIR holds certs/ and crls/ (PKITS data, see pkits/README.md) and
 * cases.tsv: one case per line, tab-separated: test number, the expected
 * result under PKITS' default settings ("valid" or "invalid"), the end
 * entity, the other certificates of the path, the CRLs (names without .crt
 * or .crl). Every case is verified as `tlstool verify` would in a node home
 * whose trust store holds PKITS' trust anchor and whose crl/ holds the
 * anchor's CRL and the case's CRLs, with revocation = hard, at a fixed time
 * inside the data's validity (2020-01-01). One line per case, then a
 * summary. Exit 1 when an invalid path was accepted or fewer than N cases
 * agree; 2 when the data cannot be read. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certs/trust.h"

#define PKITS_NOW ((time_t)1577836800) /* 2020-01-01 00:00:00 UTC */
#define MAX_FILES 16

static int read_file(const char *dir, const char *sub, const char *name, const char *ext,
                     sipc_der *out)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s/%s.%s", dir, sub, name, ext);
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        fprintf(stderr, "pkits_run: %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, n = 0, m;
    uint8_t *buf = malloc(cap);
    while (buf && (m = fread(buf + n, 1, cap - n, fp)) > 0) {
        n += m;
        if (n == cap) {
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(fp);
    if (!buf || n == 0) {
        free(buf);
        fprintf(stderr, "pkits_run: %s: empty or out of memory\n", path);
        return -1;
    }
    out->data = buf;
    out->len = n;
    return 0;
}

/* Splits s (modified) at spaces into at most max words. */
static int words(char *s, char **w, int max)
{
    int n = 0;
    for (char *tok = strtok(s, " "); tok && n < max; tok = strtok(NULL, " "))
        w[n++] = tok;
    return n;
}

typedef struct tally {
    int cases, agree, valid_refused, invalid_accepted, limits;
} tally;

/* A refusal by one of the verifier's documented limits or rules beyond RFC
 * 5280 (docs/architecture.md): no certificate policy tree, what wolfSSL
 * cannot take in a handshake, the key and signature minimums (DSA among
 * them), a CA certificate as a node's certificate. */
static int is_limit(const sipc_vfy_result *res)
{
    return strstr(res->reason, "documented limit") || strstr(res->reason, "sipc does not support") ||
           strstr(res->reason, "uses an algorithm or key sipc cannot check") ||
           res->status == SIPC_VFY_WEAK_KEY || res->status == SIPC_VFY_WEAK_SIGNATURE ||
           res->status == SIPC_VFY_LEAF_IS_CA;
}

static int run_case(const char *dir, char *line, int quiet, tally *t)
{
    char *f[5] = {0};
    int nf = 0;
    for (char *p = line; nf < 5; nf++) {
        f[nf] = p;
        char *tab = strchr(p, '\t');
        if (!tab) {
            nf++;
            break;
        }
        *tab = '\0';
        p = tab + 1;
    }
    if (nf != 5)
        return -1;
    const char *num = f[0];
    int want_valid = strcmp(f[1], "valid") == 0;
    char *certs[MAX_FILES], *crls[MAX_FILES];
    int nc = words(f[3], certs, MAX_FILES), nl = words(f[4], crls, MAX_FILES);

    sipc_trust_policy pol;
    memset(&pol, 0, sizeof pol);
    pol.revocation = SIPC_TRUST_REV_HARD;
    sipc_trust *tr = NULL;
    sipc_der chain[MAX_FILES + 1];
    int n = 0, rc = -1;
    sipc_der anchor = {0}, crl = {0};
    char err[256];
    if (sipc_trust_new(&tr, &pol) != 0 ||
        read_file(dir, "certs", "TrustAnchorRootCertificate", "crt", &anchor) != 0 ||
        sipc_trust_add_root(tr, anchor.data, anchor.len, err, sizeof err) != 0)
        goto out;
    /* CRLs as `tlstool crl add` takes them: one refused (its signature
     * fails against a known issuer) is simply not installed */
    for (int i = -1; i < nl; i++) {
        const char *name = i < 0 ? "TrustAnchorRootCRL" : crls[i];
        if (read_file(dir, "crls", name, "crl", &crl) != 0)
            goto out;
        (void)sipc_trust_add_crl_named(tr, crl.data, crl.len, name, err, sizeof err);
        sipc_der_free(&crl);
    }
    if (read_file(dir, "certs", f[2], "crt", &chain[n]) != 0)
        goto out;
    n++;
    for (int i = 0; i < nc; i++, n++)
        if (read_file(dir, "certs", certs[i], "crt", &chain[n]) != 0)
            goto out;
    sipc_vfy_result res;
    int ok = sipc_trust_verify(tr, chain, n, SIPC_PURPOSE_BOTH, PKITS_NOW, &res) == 0;
    t->cases++;
    const char *verdict;
    if (ok == want_valid) {
        t->agree++;
        verdict = "agree";
    } else if (ok) {
        t->invalid_accepted++;
        verdict = "INVALID PATH ACCEPTED";
    } else {
        t->valid_refused++;
        if (is_limit(&res))
            t->limits++;
        verdict = is_limit(&res) ? "valid path refused (documented limit)" : "VALID PATH REFUSED";
    }
    if (!quiet || ok != want_valid)
        printf("%-7s %-7s %-40s %s%s%s%s\n", num, want_valid ? "valid" : "invalid", verdict,
               ok ? "VERIFIED" : "NOT VERIFIED: ", ok ? "" : sipc_vfy_status_name(res.status),
               ok ? "" : ": ", ok ? "" : res.reason);
    rc = 0;
out:
    for (int i = 0; i < n; i++)
        sipc_der_free(&chain[i]);
    sipc_der_free(&anchor);
    sipc_trust_free(tr);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: pkits_run DIR [--min-agree N] [--quiet]\n");
        return 2;
    }
    const char *dir = argv[1];
    int min_agree = 0, quiet = 0;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--min-agree") && i + 1 < argc)
            min_agree = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--quiet"))
            quiet = 1;
        else {
            fprintf(stderr, "pkits_run: unknown argument %s\n", argv[i]);
            return 2;
        }
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/cases.tsv", dir);
    FILE *fp = fopen(path, "r");
    if (!fp) {
        fprintf(stderr, "pkits_run: %s: %s\n", path, strerror(errno));
        return 2;
    }
    tally t = {0};
    char line[2048];
    int lineno = 0;
    while (fgets(line, sizeof line, fp)) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0] || line[0] == '#')
            continue;
        if (run_case(dir, line, quiet, &t) != 0) {
            fprintf(stderr, "pkits_run: %s line %d cannot be run\n", path, lineno);
            fclose(fp);
            return 2;
        }
    }
    fclose(fp);
    printf("PKITS: %d cases, %d agree (%.1f %%), %d valid paths refused (%d of them by a "
           "documented limit), %d invalid paths accepted\n",
           t.cases, t.agree, t.cases ? 100.0 * t.agree / t.cases : 0.0, t.valid_refused, t.limits,
           t.invalid_accepted);
    if (t.invalid_accepted > 0 || t.agree < min_agree)
        return 1;
    return 0;
}
