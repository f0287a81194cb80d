/* reload_files.c - the files of a node's security/ folder that a reload
 * compares with what the node runs (trust/, crl/, the rotation's staged/
 * and its state): all of a folder in one digest, the first of them by name
 * and a checksum of their contents; and the pair's fingerprint as the node
 * is about to load them: what lets a reload say "trust: +1 root" or
 * "nothing changed", and the CRL guard whether CRLs are new. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "certs/keypair.h"
#include "certs/secret_file.h"
#include "certs/trust.h"
#include "host.h"

/* The SHA-256 of name NUL and the contents of a regular file path
 * (followed): tells whether it changed, and which, in the folder's digest.
 * staged/node.crt holds a private key: every file is read as one that may
 * (sipc_secret_regular_read, wiped after), never through stdio, whose
 * buffer glibc frees unwiped. Up to the loader's limit: a larger trust/ or
 * crl/ file the loader takes would otherwise never count as changed. 0, or
 * -1 when it cannot be read (left out, as if not there): harmless, since
 * every reload loads the files whatever this found, and the load refuses
 * such a file (one over the limit too) as a start does. */
static int file_digest(const char *path, const char *name, uint8_t d[32])
{
    struct stat st;
    uint8_t *b;
    size_t n;
    if (sipc_secret_regular_read(path, 1, &st, &b, &n, SIPC_TRUST_FILE_MAX, NULL, 0) != 0)
        return -1;
    int r = sipc_sha256_two((const uint8_t *)name, strlen(name) + 1, b, n, d);
    sipc_secure_free(b, n);
    return r ? -1 : 0;
}

static uint64_t word_at(const uint8_t *p)
{
    uint64_t w = 0;
    for (int i = 0; i < 8; i++)
        w = w << 8 | p[i];
    return w;
}

/* One file more: into the order-free digest of them all, and named when
 * there is room. */
static void files_add(host_files *out, const char *name, const uint8_t d[32])
{
    for (int k = 0; k < 4; k++)
        out->all[k] += word_at(d + 8 * k);
    out->total++;
    if (out->n < HOST_MAX_FILES && strlen(name) < sizeof out->name[0]) {
        out->sum[out->n] = word_at(d);
        snprintf(out->name[out->n++], sizeof out->name[0], "%s", name);
    }
}

int host_files_read(const char *home, const char *sub, host_files *out, char *err,
                    size_t errlen)
{
    /* of trust/ and crl/ only what the loader reads: another name there (a
     * README.txt) changes nothing the node runs */
    const char *const *exts = !strcmp(sub, "trust") ? sipc_trust_root_names
                              : !strcmp(sub, "crl") ? sipc_trust_crl_names
                                                    : NULL;
    memset(out, 0, sizeof *out);
    char dir[700];
    snprintf(dir, sizeof dir, "%s/security/%s", home, sub);
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT)
            return 0;
        goto unreadable;
    }
    struct dirent *e;
    for (errno = 0; (e = readdir(d)) != NULL; errno = 0) {
        if (e->d_name[0] == '.' || (exts && !sipc_trust_name_loaded(e->d_name, exts)))
            continue;
        char path[1000];
        uint8_t dg[32];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (file_digest(path, e->d_name, dg) == 0)
            files_add(out, e->d_name, dg);
    }
    int failed = errno;
    closedir(d);
    if (!failed)
        return 0;
    errno = failed;
unreadable:
    /* unknown, never "no files": a change there would go unseen, and the
     * CRL guard would not ask before CRLs it cannot see are applied */
    snprintf(err, errlen, "cannot read the folder %s: %s", dir, strerror(errno));
    memset(out, 0, sizeof *out);
    out->total = -1;
    return SIPC_ETLSCONFIG;
}

/* A rotation in progress trusts the staged pair and, once committed, the
 * previous one: their files are part of the trust a reload applies. */
int host_rotation_read(const char *home, host_files *out, char *err, size_t errlen)
{
    int r = host_files_read(home, "staged", out, err, errlen);
    char path[700];
    uint8_t dg[32];
    snprintf(path, sizeof path, "%s/security/rotation", home);
    if (r == 0 && file_digest(path, "rotation", dg) == 0)
        files_add(out, "rotation", dg);
    return r;
}

int host_files_same(const host_files *a, const host_files *b)
{
    return a->total >= 0 && a->total == b->total && !memcmp(a->all, b->all, sizeof a->all);
}

/* Every file named: the entries can be compared one by one. */
static int all_named(const host_files *f)
{
    return f->total >= 0 && f->n == f->total;
}

/* How many entries of a are not in b by name (gone), and how many are
 * there with other contents (updated). */
static void names_missing(const host_files *a, const host_files *b, int *gone, int *updated)
{
    *gone = *updated = 0;
    for (int i = 0; i < a->n; i++) {
        int j = 0;
        while (j < b->n && strcmp(a->name[i], b->name[j]))
            j++;
        if (j == b->n)
            ++*gone;
        else if (a->sum[i] != b->sum[j])
            ++*updated;
    }
}

int host_files_news(const host_files *now, const host_files *was)
{
    if (!all_named(now) || !all_named(was))
        return !host_files_same(now, was);
    int added, updated;
    names_missing(now, was, &added, &updated);
    return added + updated > 0;
}

void host_files_change_text(const host_files *now, const host_files *was, const char *one,
                            const char *many, char *out, size_t len)
{
    out[0] = '\0';
    if (host_files_same(now, was))
        return;
    if (!all_named(now) || !all_named(was)) {
        char before[40] = "unknown before";
        if (was->total >= 0)
            snprintf(before, sizeof before, "%d before", was->total);
        if (now->total >= 0)
            snprintf(out, len, "changed (%d %s, %s)", now->total, now->total == 1 ? one : many,
                     before);
        else
            snprintf(out, len, "changed (cannot be read now, %s)", before);
        return;
    }
    int added, removed, updated, same_updated;
    names_missing(now, was, &added, &updated);
    names_missing(was, now, &removed, &same_updated);
    if (added)
        snprintf(out, len, "+%d %s", added, added == 1 ? one : many);
    if (removed) {
        size_t l = strlen(out);
        snprintf(out + l, len - l, "%s-%d %s", l ? ", " : "", removed, removed == 1 ? one : many);
    }
    if (updated) {
        size_t l = strlen(out);
        snprintf(out + l, len - l, "%s%d %s updated", l ? ", " : "", updated,
                 updated == 1 ? one : many);
    }
}

void host_reload_files_seen(host *h)
{
    sipc_security *ps;
    char err[600];
    h->pair_fp[0] = '\0';
    if (host_probe_security(&h->cfg, &ps, err, sizeof err) == 0) {
        snprintf(h->pair_fp, sizeof h->pair_fp, "%s", sipc_security_fingerprint(ps));
        sipc_security_release(ps);
    }
    /* a folder that cannot be read is unknown (total -1): the next reload
     * takes its files as changed, and the start's own load says why */
    host_files_read(h->cfg.home, "trust", &h->trust, err, sizeof err);
    host_files_read(h->cfg.home, "crl", &h->crl, err, sizeof err);
    host_rotation_read(h->cfg.home, &h->rotation, err, sizeof err);
}
