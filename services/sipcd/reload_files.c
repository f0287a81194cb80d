/* reload_files.c - the files of a node's security/ folder that a reload
 * compares with what the node runs (trust/, crl/, the rotation's staged/
 * and its state), each by name and a checksum of its contents, and the
 * pair's fingerprint as the node is about to load them: what lets a reload
 * say "trust: +1 root" or "nothing changed". */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "certs/secret_file.h"
#include "certs/trust.h"
#include "host.h"

/* FNV-1a of a regular file path (followed): tells whether it changed,
 * nothing more. staged/node.crt holds a private key: every file is read as
 * one that may (sipc_secret_regular_read, wiped after), never through stdio,
 * whose buffer glibc frees unwiped. Up to the loader's limit: a larger
 * trust/ or crl/ file the loader takes would otherwise never count as
 * changed. 0, or -1 when it cannot be read (left out, as if not there):
 * harmless, since every reload loads the files whatever this found, and
 * the load refuses such a file (one over the limit too) as a start does. */
static int checksum(const char *path, uint64_t *sum)
{
    struct stat st;
    uint8_t *b;
    size_t n;
    if (sipc_secret_regular_read(path, 1, &st, &b, &n, SIPC_TRUST_FILE_MAX, NULL, 0) != 0)
        return -1;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 1099511628211ull;
    }
    sipc_secure_free(b, n);
    *sum = h;
    return 0;
}

void host_files_read(const char *home, const char *sub, host_files *out)
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
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && out->n < HOST_MAX_FILES) {
        if (e->d_name[0] == '.' || strlen(e->d_name) >= sizeof out->name[0] ||
            (exts && !sipc_trust_name_loaded(e->d_name, exts)))
            continue;
        char path[1000];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (checksum(path, &out->sum[out->n]) != 0)
            continue;
        snprintf(out->name[out->n++], sizeof out->name[0], "%s", e->d_name);
    }
    closedir(d);
}

/* A rotation in progress trusts the staged pair and, once committed, the
 * previous one: their files are part of the trust a reload applies. */
void host_rotation_read(const char *home, host_files *out)
{
    host_files_read(home, "staged", out);
    char path[700];
    snprintf(path, sizeof path, "%s/security/rotation", home);
    if (out->n < HOST_MAX_FILES && checksum(path, &out->sum[out->n]) == 0)
        snprintf(out->name[out->n++], sizeof out->name[0], "%s", "rotation");
}

/* How many entries of a are not in b (same name and contents). */
int host_files_missing(const host_files *a, const host_files *b)
{
    int n = 0;
    for (int i = 0; i < a->n; i++) {
        int found = 0;
        for (int j = 0; j < b->n && !found; j++)
            found = !strcmp(a->name[i], b->name[j]) && a->sum[i] == b->sum[j];
        n += !found;
    }
    return n;
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
    host_files_read(h->cfg.home, "trust", &h->trust);
    host_files_read(h->cfg.home, "crl", &h->crl);
    host_rotation_read(h->cfg.home, &h->rotation);
}
