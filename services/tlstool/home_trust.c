/* home_trust.c - this node's home as the commands read it: sipc.conf, the
 * trust the transport would load, the imported pair. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "certs/pem.h"
#include "certs/tool/store.h"
#include "services/tlstool/tlstool.h"

int load_config(const opts *o, sipc_config *cfg)
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

const char *revocation_name(sipc_revocation r)
{
    return r == SIPC_REVOCATION_OFF ? "off" : r == SIPC_REVOCATION_HARD ? "hard" : "soft";
}

int file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

int dir_files(const char *dir, dir_file_fn *fn, void *arg)
{
    char path[1400], err[600];
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int count = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        uint8_t *b;
        size_t n;
        if (sipc_secret_file_read(path, &b, &n, MAX_FILE, err, sizeof err) != 0)
            continue;
        fn(path, de->d_name, b, n, arg);
        free(b);
        count++;
    }
    closedir(d);
    return count;
}

static void add_roots(const char *path, const char *name, const uint8_t *b, size_t n, void *arg)
{
    sipc_trust *t = arg;
    char err[600];
    sipc_der certs[SIPC_KP_MAX_CHAIN];
    int nc = 0;
    sipc_pem_certs((const char *)b, n, certs, SIPC_KP_MAX_CHAIN, &nc, NULL, 0);
    for (int k = 0; k < nc; k++) {
        sipc_trust_add_root(t, certs[k].data, certs[k].len, err, sizeof err);
        sipc_der_free(&certs[k]);
    }
}

static void add_crl(const char *path, const char *name, const uint8_t *b, size_t n, void *arg)
{
    sipc_trust *t = arg;
    char label[300], err[600];
    snprintf(label, sizeof label, "crl/%s", name);
    sipc_trust_add_crl_named(t, b, n, label, err, sizeof err);
}

/* Adds security/trust/ *.pem roots and security/crl/ * CRLs to t. */
static void add_store(const opts *o, sipc_trust *t)
{
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/security/trust", o->home);
    dir_files(dir, add_roots, t);
    snprintf(dir, sizeof dir, "%s/security/crl", o->home);
    dir_files(dir, add_crl, t);
}

/* Import checks a new pair with own set, before it replaces node.crt. */
int build_trust(const opts *o, const sipc_config *cfg, const sipc_keypair *own, sipc_trust **out,
                int *have_pair)
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

int load_trust(const opts *o, const sipc_config *cfg, sipc_trust **out, int *have_pair)
{
    return build_trust(o, cfg, NULL, out, have_pair);
}

int load_pair(const opts *o, sipc_keypair *kp, int quiet)
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

int verify_own(const opts *o, const sipc_config *cfg, sipc_keypair *kp, sipc_vfy_result *res)
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
