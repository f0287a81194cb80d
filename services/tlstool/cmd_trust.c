/* cmd_trust.c - `tlstool trust add|list|remove|export`: extra trusted roots
 * in security/trust/. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "certs/pem.h"
#include "certs/secret_file.h"
#include "certs/tool/store.h"
#include "services/common/client_home.h"
#include "services/common/shown_text.h"
#include "services/tlstool/tlstool.h"

/* One certificate as PEM (malloc'd into *pem). 0 or a negative SIPC_* code. */
static int cert_pem(const sipc_der *cert, char **pem, size_t *len)
{
    sipc_keypair one;
    memset(&one, 0, sizeof one);
    one.certs[0] = *cert;
    one.ncerts = 1;
    return sipc_keypair_to_pem(&one, pem, len);
}

/* This home's trust as it is, read once for all the roots of FILE, to
 * judge whether trusting them would make it need a [tls] subject it does
 * not have (sipc_trust_check_policy): sipcd and sipcctl would then refuse
 * to use TLS. NULL when there is nothing to judge: a subject is set,
 * sipc.conf cannot be read, or the home is already in that state (not this
 * command's to judge); also when its trust cannot be read, said once. */
static sipc_trust *subject_judge_trust(const opts *o)
{
    sipc_config cfg;
    sipc_trust *t;
    int have;
    char err[1600];
    if (sipc_config_load(&cfg, o->home, err, sizeof err) != 0 || cfg.subject[0])
        return NULL;
    if (load_trust_quiet(o, &cfg, NULL, &t, &have, err, sizeof err) != 0) {
        warn("this home's trust cannot be read, so whether these roots need a [tls] subject is "
             "not judged: %s",
             err);
        return NULL;
    }
    if (sipc_trust_check_policy(t, err, sizeof err) != 0) {
        sipc_trust_free(t);
        return NULL;
    }
    return t;
}

/* Whether trusting cert too makes t (subject_judge_trust's) need a [tls]
 * subject. cert stays in t: the roots of FILE are judged one after the
 * other, and judging stops at the first refused, so t holds only roots
 * that passed, none of which needs a subject. */
static int would_need_subject(sipc_trust *t, const sipc_der *cert)
{
    char err[700];
    return t && sipc_trust_add_root(t, cert->data, cert->len, err, sizeof err) == 0 &&
           sipc_trust_check_policy(t, err, sizeof err) != 0;
}

/* Whether cert (x, parsed) may be trusted: a CA that wolfSSL can load as
 * an anchor, within its dates, and not one that would need a [tls] subject
 * this home lacks. 0, or an exit code with the reason said. */
static int judge_root(const opts *o, sipc_trust *home_trust, const sipc_der *cert,
                      const sipc_x509 *x)
{
    if (!x->is_ca)
        return fail(EX_REFUSED,
                    "'%s' is not a CA certificate (no basicConstraints CA:TRUE): trust "
                    "the root that issued it instead (ask for `tlstool trust export` on "
                    "the other cluster, or your CA's root)",
                    x->subject);
    /* wolfSSL cannot load a certificate with a critical extension it
     * does not process as a trust anchor: the node would not start. */
    const char *crit = x->tls_unknown_critical[0] ? x->tls_unknown_critical : x->unknown_critical;
    if (crit[0])
        return fail(EX_REFUSED,
                    "'%s' has a critical %s extension that the TLS library (wolfSSL 5.5.4) "
                    "does not process: it cannot load this certificate as a trusted root, so "
                    "the node could not start; have your CA reissue it with that extension "
                    "not marked critical",
                    x->subject, crit);
    /* the handshake judges an anchor's dates (wolfSSL would not): an
     * expired root is a change that can never work */
    time_t now = time(NULL);
    char nb[32], na[32];
    sipc_time_str(x->not_before, nb);
    sipc_time_str(x->not_after, na);
    if (now > x->not_after)
        return fail(EX_REFUSED,
                    "'%s' not trusted: it expired on %s (valid %s to %s), so every chain "
                    "ending at it would be refused; get the root that replaced it (`tlstool "
                    "trust export` on the other cluster, or your CA's current root)",
                    x->subject, na, nb, na);
    if (now < x->not_before)
        return fail(EX_REFUSED,
                    "'%s' not trusted: it is not valid before %s (valid %s to %s), so every "
                    "chain ending at it would be refused until then; check this machine's clock "
                    "(`date -u`), or add it once it is valid",
                    x->subject, nb, nb, na);
    if (would_need_subject(home_trust, cert))
        return fail(EX_CONFIG,
                    "'%s' not trusted: it is a certificate authority, and no [tls] subject "
                    "is set, so every certificate it issued (to users, machines, ...) would "
                    "be accepted as a node, and TLS would not start. Set [tls] subject in "
                    "%s/sipc.conf first (the subject the nodes' certificates carry; operator "
                    "guide, section 2), then add it again",
                    x->subject, o->home);
    return 0;
}

static void free_certs(sipc_der *certs, int n)
{
    for (int i = 0; i < n; i++)
        sipc_der_free(&certs[i]);
}

/* The certificates of FILE for `trust add`: a PEM file is a bundle of roots,
 * not a chain, and takes as many as a trust/ file (SIPC_TRUST_FILE_ROOTS);
 * a DER certificate or a PKCS#12 file (a pair with its chain) is read by
 * read_chain. Their number in *n. 0, or an exit code with nothing left
 * allocated. */
static int read_roots(const opts *o, sipc_der *certs, int *n, int *is_pfx)
{
    const char *file = o->pos[1], *shown = o->pos_shown[1];
    uint8_t *b;
    size_t len;
    char err[600];
    *n = 0;
    *is_pfx = 0;
    if (sipc_secret_file_read(file, &b, &len, MAX_FILE, err, sizeof err) != 0)
        return fail(EX_BADFILE, "%s", err);
    if (sipc_is_pem(b, len)) {
        char why[200];
        int r = sipc_pem_certs((const char *)b, len, certs, SIPC_TRUST_FILE_ROOTS, n, why,
                               sizeof why);
        sipc_secure_free(b, len);
        if (r == SIPC_ETOOBIG) {
            *n = 0;
            return fail(EX_REFUSED,
                        "%s: a bundle of roots that %s: nothing stored; split it into several "
                        "files and add each",
                        shown, why);
        }
        if (r != 0 || *n == 0) {
            *n = 0;
            return fail(EX_BADFILE, "%s holds no readable PEM certificate", shown);
        }
        return 0;
    }
    sipc_secure_free(b, len);
    sipc_keypair kp;
    int r = read_chain(o, 1, &kp, is_pfx);
    if (r)
        return r;
    for (int i = 0; i < kp.ncerts; i++) {
        certs[i] = kp.certs[i];
        kp.certs[i].data = NULL;
        kp.certs[i].len = 0;
    }
    *n = kp.ncerts;
    sipc_keypair_free(&kp);
    return 0;
}

/* Stores the roots certs[take[k]] (xs[k] parsed), k < ntake, as
 * trust/FINGERPRINT16.pem, all or none: when one cannot be stored (a full
 * disk, an I/O error), the files this run made before it are removed
 * again, so that trust/ is as it was; a file that was there already holds
 * the same root and stays. 0, or EX_FAIL said (naming what is left when
 * the removal fails too); dir: trust/ as the text names it. */
static int store_roots(const opts *o, const char *dir, const sipc_der *certs, const int *take,
                       const sipc_x509 *xs, int ntake)
{
    char names[SIPC_TRUST_FILE_ROOTS][24], err[600];
    int made[SIPC_TRUST_FILE_ROOTS], nmade = 0, k;
    for (k = 0; k < ntake; k++) {
        char path[1400];
        snprintf(names[k], sizeof names[k], "%.16s.pem", xs[k].fingerprint);
        int there = file_exists(sipc_store_path(path, sizeof path, o->home, "trust", names[k]));
        size_t plen;
        char *pem = NULL;
        int pr = cert_pem(&certs[take[k]], &pem, &plen);
        if (pr != 0)
            snprintf(err, sizeof err, "%s", sipc_strerror(pr));
        else
            pr = sipc_store_put(o->home, "trust", names[k], pem, plen, err, sizeof err);
        free(pem);
        if (pr != 0)
            break;
        if (!there)
            made[nmade++] = k;
    }
    if (k == ntake)
        return 0;
    char left[SIPC_TRUST_FILE_ROOTS * 24 + 64] = "", why[600] = "";
    for (int m = 0; m < nmade; m++) {
        char rerr[600];
        if (sipc_store_remove(o->home, "trust", names[made[m]], rerr, sizeof rerr) < 0) {
            size_t l = strlen(left);
            snprintf(left + l, sizeof left - l, "%s%s", l ? ", " : "", names[made[m]]);
            if (!why[0])
                snprintf(why, sizeof why, "%s", rerr);
        }
    }
    if (!left[0])
        return fail(EX_FAIL, "root %d of %d ('%s') could not be stored: %s; nothing stored, %s "
                             "is as it was",
                    k + 1, ntake, xs[k].subject, err, dir);
    return fail(EX_FAIL, "root %d of %d ('%s') could not be stored: %s; and the roots stored "
                         "before it could not all be removed again (%s): still in %s: %s; "
                         "remove them with `tlstool trust remove`, or add FILE again",
                k + 1, ntake, xs[k].subject, err, why, dir, left);
}

/* dir: trust/ as the text names it (the home as home_shown) */
static int trust_add(const opts *o, const char *dir)
{
    if (extra_args(o, 2))
        return EX_USAGE;
    if (o->npos != 2)
        return fail(EX_USAGE, "usage: tlstool trust add FILE");
    char err[600];
    sipc_der certs[SIPC_TRUST_FILE_ROOTS];
    int ncerts, is_pfx;
    int r = read_roots(o, certs, &ncerts, &is_pfx);
    if (r)
        return r;
    /* a PKCS#12 file is a node's pair with its chain: of it, only the
     * self-signed CA (the root) is meant to be trusted, never the leaf */
    int take[SIPC_TRUST_FILE_ROOTS], ntake = 0;
    for (int i = 0; i < ncerts; i++) {
        sipc_x509 x;
        if (!is_pfx || (sipc_x509_parse(&x, certs[i].data, certs[i].len, NULL, 0) == 0 &&
                        x.is_ca && sipc_x509_self_issued(&x)))
            take[ntake++] = i;
    }
    if (is_pfx && !ntake) {
        free_certs(certs, ncerts);
        return fail(EX_REFUSED,
                    "%s is a PKCS#12 file without a self-signed CA certificate (a root): give the "
                    "root as a PEM file instead (your CA's root, or `tlstool trust export` on the "
                    "other cluster)",
                    o->pos_shown[1]);
    }
    if (is_pfx)
        printf("%s is a PKCS#12 file: trusting its root only (%d of its %d certificates; not the "
               "leaf or intermediates, not the key)\n",
               o->pos_shown[1], ntake, ncerts);
    if (sipc_store_init(o->home, err, sizeof err) != 0) {
        free_certs(certs, ncerts);
        return fail(EX_FAIL, "%s", err);
    }
    /* every root is judged before any is stored: a file refused for one
     * of its roots leaves trust/ as it was */
    sipc_x509 *xs = calloc((size_t)ntake, sizeof *xs);
    if (!xs) {
        free_certs(certs, ncerts);
        return fail(EX_FAIL, "out of memory");
    }
    sipc_trust *home_trust = subject_judge_trust(o);
    for (int k = 0; k < ntake && r == 0; k++) {
        int i = take[k];
        if (sipc_x509_parse(&xs[k], certs[i].data, certs[i].len, err, sizeof err) != 0)
            r = fail(EX_BADFILE, "%s: certificate %d: %s", o->pos_shown[1], i, err);
        else
            r = judge_root(o, home_trust, &certs[i], &xs[k]);
    }
    sipc_trust_free(home_trust);
    if (r == 0)
        r = store_roots(o, dir, certs, take, xs, ntake);
    if (r) {
        free(xs);
        free_certs(certs, ncerts);
        return r;
    }
    time_t now = time(NULL);
    for (int k = 0; k < ntake; k++) {
        const sipc_x509 *x = &xs[k];
        char na[32];
        sipc_time_str(x->not_after, na);
        printf("trusted: %s\n  SHA-256: %s\n  valid to %s\n  stored as %s/%.16s.pem\n", x->subject,
               x->fingerprint, na, dir, x->fingerprint);
        /* the window in which the verifier warns about a node's own pair */
        if (x->not_after - now < 30 * 86400)
            warning("'%s' expires in %ld day(s), on %s: from then on every chain ending at "
                    "it is refused; get the root that replaces it and add it before then",
                    x->subject, (long)((x->not_after - now) / 86400), na);
        if (!sipc_x509_self_issued(x))
            printf("note: this CA is not self-signed (an intermediate): chains ending at it "
                   "are accepted\n");
    }
    /* the parsed certificates point into their DER: freed together */
    free(xs);
    free_certs(certs, ncerts);
    warning("only add roots that you or your organisation control: every certificate "
            "such a root signed is now accepted by %s",
            sipc_cli_home_words_at(o->home).users);
    if (!ntake)
        return EX_REFUSED;
    return reload_or_remind(o, 0, "`tlstool trust add`");
}

/* dir: trust/, shown: as the text names it */
static int trust_list(const opts *o, const char *dir, const char *shown)
{
    sipc_config cfg;
    int r = load_config(o, &cfg);
    if (r)
        return r;
    sipc_trust *t;
    int have;
    if ((r = load_trust(o, &cfg, &t, &have)) != 0)
        return r;
    int n = sipc_trust_anchor_count(t);
    char own[64];
    snprintf(own, sizeof own, "from %s key pair (node.crt)", sipc_cli_home_words_of(&cfg).heres);
    if (n == 0)
        printf("no trusted roots (import a key pair, or `tlstool trust add FILE`)\n");
    for (int i = 0; i < n; i++) {
        const sipc_der *a = sipc_trust_anchor(t, i);
        const char *src = sipc_trust_anchor_source(t, i);
        sipc_x509 x;
        if (sipc_x509_parse(&x, a->data, a->len, NULL, 0) != 0)
            continue;
        char na[32], path[1400], other[4 * 4096 + 64], here[4 * 4096 + 64];
        sipc_time_str(x.not_after, na);
        snprintf(path, sizeof path, "%s/%.16s.pem", dir, x.fingerprint);
        snprintf(here, sizeof here, "%s/%.16s.pem", shown, x.fingerprint);
        /* a root under a name of its own (a mounted ca.pem, a link) */
        snprintf(other, sizeof other, "in %s/, under a name of its own", shown);
        printf("%s\n  SHA-256: %s\n  valid to %s; %s\n", x.subject, x.fingerprint, na,
               file_exists(path)             ? here
               : !strcmp(src, "trust store") ? other
               : !strcmp(src, "staged pair")
                   ? "trusted during rotation: the staged pair (security/staged/node.crt)"
               : !strcmp(src, "previous pair")
                   ? "trusted during rotation: the previous pair (security/previous/node.crt)"
                   : own);
    }
    sipc_trust_free(t);
    char note[1600];
    if (sipc_trust_home_skipped(o->home, note, sizeof note))
        cli_say_line(stdout, "note", "%s", note); /* names of trust/ and crl/, the home's path */
    return EX_OK;
}

typedef struct fp_match {
    const char *prefix; /* hex digits of a fingerprint */
    char fp[65];        /* the first fingerprint that matched */
    int other;          /* another fingerprint matched too */
    char name[300];     /* the file of one root that matched last */
    char first[300];    /* and the first */
    int n;              /* files of one root that matched */
    char bundle[300];   /* a file of several roots, one of which matched */
    int bundle_roots;   /* how many roots that file holds */
} fp_match;

/* Every root of a trust/ file is looked at, as many as sipcd loads from
 * one (a mounted bundle), so that a root trusted through a bundle is named
 * where it is rather than not found. */
static int match_root(const char *path, const char *name, const uint8_t *data, size_t len,
                      void *arg, char *err, size_t errlen)
{
    fp_match *m = arg;
    sipc_der c[SIPC_TRUST_FILE_ROOTS];
    int nc = 0;
    (void)path;
    (void)err;
    (void)errlen;
    if (!data ||
        sipc_pem_certs((const char *)data, len, c, SIPC_TRUST_FILE_ROOTS, &nc, NULL, 0) != 0)
        return 0;
    for (int k = 0; k < nc; k++) {
        char f[65];
        sipc_fingerprint(c[k].data, c[k].len, f);
        sipc_der_free(&c[k]);
        if (strncasecmp(f, m->prefix, strlen(m->prefix)) != 0)
            continue;
        if (!m->fp[0])
            snprintf(m->fp, sizeof m->fp, "%s", f);
        else if (strcmp(m->fp, f))
            m->other = 1;
        if (nc > 1) {
            snprintf(m->bundle, sizeof m->bundle, "%s", name);
            m->bundle_roots = nc;
        } else {
            if (!m->n)
                snprintf(m->first, sizeof m->first, "%s", name);
            snprintf(m->name, sizeof m->name, "%s", name);
            m->n++;
        }
    }
    return 0;
}

static int trust_remove(const opts *o, const char *dir)
{
    if (extra_args(o, 2))
        return EX_USAGE;
    if (o->npos != 2)
        return fail(EX_USAGE, "usage: tlstool trust remove FINGERPRINT (see trust list)");
    const char *fp = o->pos[1], *fp_shown = o->pos_shown[1];
    if (strlen(fp) < 8)
        return fail(EX_USAGE, "give at least 8 hex digits of the fingerprint");
    fp_match m;
    memset(&m, 0, sizeof m);
    m.prefix = fp;
    char err[1600];
    if (sipc_trust_home_files(o->home, "trust", sipc_trust_root_names, match_root, &m, err, sizeof err) < 0)
        return fail(EX_CONFIG, "%s", err);
    if (!m.fp[0])
        return fail(EX_REFUSED, "no trusted root with fingerprint %s in %s (see `tlstool trust "
                                "list`; the pair's own root is removed by importing another "
                                "pair)",
                    fp_shown, dir);
    if (m.other)
        return fail(EX_USAGE, "%s matches several roots: give more digits", fp_shown);
    if (m.n > 1) {
        /* one root in files of its own twice (one placed by hand): more
         * digits would not tell them apart, and either keeps it trusted */
        char a[4 * sizeof m.first + 8], b[4 * sizeof m.name + 8];
        cli_shown(m.first, a, sizeof a);
        cli_shown(m.name, b, sizeof b);
        return fail(EX_REFUSED, "%s is in %d files of trust/ (%s, %s%s), each of which keeps it "
                                "trusted: remove all but one by hand, then run this again",
                    fp_shown, m.n, a, b, m.n > 2 ? ", ..." : "");
    }
    /* removing a file of its own would leave the root trusted through the
     * bundle; a bundle's other roots are not this command's to drop */
    if (m.bundle[0]) {
        char bundle[4 * sizeof m.bundle + 8];
        cli_shown(m.bundle, bundle, sizeof bundle);
        return fail(EX_REFUSED, "%s is one of %d roots in trust/%s: edit or remove that file",
                    fp_shown, m.bundle_roots, bundle);
    }
    char path[4 * 4096 + 1400], name[4 * sizeof m.name + 8];
    cli_shown(m.name, name, sizeof name);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int r = sipc_store_remove(o->home, "trust", m.name, err, sizeof err);
    if (r == 1)
        return fail(EX_FAIL, "cannot remove %s: %s", path, strerror(ENOENT));
    if (r != 0)
        return fail(EX_FAIL, "%s", err);
    printf("removed %s\n", path);
    return reload_or_remind(o, 0, "`tlstool trust remove`");
}

static int trust_export(const opts *o)
{
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
    size_t plen;
    char *pem;
    if ((r = cert_pem(&kp.certs[root], &pem, &plen)) != 0) {
        sipc_keypair_free(&kp);
        return fail(EX_FAIL, "%s", sipc_strerror(r));
    }
    char err[600];
    if (o->out) {
        /* a certificate is public: 0644 is fine, but keep store semantics */
        r = sipc_store_write(o->out, pem, plen, err, sizeof err);
        if (r == 0)
            fprintf(stderr, "wrote %s: on the other cluster run `tlstool trust add %s`\n",
                    o->out_shown, o->out_word);
    } else {
        fwrite(pem, 1, plen, stdout);
    }
    free(pem);
    sipc_keypair_free(&kp);
    return r ? fail(EX_FAIL, "%s", err) : EX_OK;
}

int cmd_trust(void *arg)
{
    const opts *o = arg;
    if (o->npos < 1)
        return fail(EX_USAGE, "trust needs add FILE, list, remove FINGERPRINT or export");
    const char *sub = o->pos[0];
    char dir[1100], dir_shown[4 * 4096 + 32];
    snprintf(dir, sizeof dir, "%s/security/trust", o->home);
    snprintf(dir_shown, sizeof dir_shown, "%s/security/trust", o->home_shown);
    if (o->reload && strcmp(sub, "add") && strcmp(sub, "remove"))
        return fail(EX_USAGE, "--reload goes with trust add and trust remove only");
    if (!strcmp(sub, "add"))
        return trust_add(o, dir_shown);
    if (!strcmp(sub, "list"))
        return extra_args(o, 1) ? EX_USAGE : trust_list(o, dir, dir_shown);
    if (!strcmp(sub, "remove"))
        return trust_remove(o, dir_shown);
    if (!strcmp(sub, "export"))
        return extra_args(o, 1) ? EX_USAGE : trust_export(o);
    return fail(EX_USAGE, "unknown trust command '%s': use add, list, remove or export", sub);
}
