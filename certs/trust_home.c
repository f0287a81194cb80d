/* trust_home.c - the trust configuration of a node from its home directory:
 * $home/security/node.crt as the own pair, trust/ *.pem as extra roots and
 * crl/ * as CRLs (see sipc_trust_load_home in trust.h). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error_text.h"
#include "certs/pem.h"
#include "certs/trust.h"
#include "sipc/errno.h"

static int read_file(const char *path, uint8_t **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t cap = 4096, n = 0;
    uint8_t *b = malloc(cap);
    while (b) {
        size_t r = fread(b + n, 1, cap - n, f);
        n += r;
        if (n < cap)
            break;
        if (cap > (16u << 20)) {
            free(b);
            b = NULL;
            break;
        }
        uint8_t *nb = realloc(b, cap * 2);
        if (!nb) {
            free(b);
            b = NULL;
            break;
        }
        b = nb;
        cap *= 2;
    }
    int bad = ferror(f);
    fclose(f);
    if (!b || bad) {
        free(b);
        return -1;
    }
    *out = b;
    *len = n;
    return 0;
}

static int cmpstr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted regular files of dir; *names malloc'd. Missing dir = 0 files. */
static int list_dir(const char *dir, char ***names)
{
    *names = NULL;
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : -1;
    int n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            char **nn = realloc(*names, (size_t)cap * sizeof *nn);
            if (!nn)
                break;
            *names = nn;
        }
        (*names)[n] = strdup(de->d_name);
        if ((*names)[n])
            n++;
    }
    closedir(d);
    if (n)
        qsort(*names, (size_t)n, sizeof(char *), cmpstr);
    return n;
}

int sipc_trust_load_home(sipc_trust **out, const char *home, const sipc_trust_policy *policy,
                         char *err, size_t errlen)
{
    char path[1200];
    sipc_keypair kp;
    memset(&kp, 0, sizeof kp);
    *out = NULL;
    snprintf(path, sizeof path, "%s/security/node.crt", home);
    int r = sipc_keypair_load_pem(&kp, path, NULL, err, errlen);
    if (r != 0)
        return r;
    sipc_trust *t;
    r = sipc_trust_new(&t, policy);
    if (r != 0) {
        sipc_keypair_free(&kp);
        return r;
    }
    char why[300];
    r = sipc_trust_set_own(t, &kp, why, sizeof why);
    sipc_keypair_free(&kp);
    if (r != 0) {
        sipc__seterr(err, errlen, "%s: %s", path, why);
        sipc_trust_free(t);
        return SIPC_ETLSCONFIG;
    }
    char dir[1100];
    char **names;
    snprintf(dir, sizeof dir, "%s/security/trust", home);
    int n = list_dir(dir, &names);
    if (n < 0) {
        sipc__seterr(err, errlen, "%s: %s", dir, strerror(errno));
        sipc_trust_free(t);
        return SIPC_ETLSCONFIG;
    }
    for (int i = 0; i < n; i++) {
        size_t nl = strlen(names[i]);
        if (r == 0 && nl > 4 && strcmp(names[i] + nl - 4, ".pem") == 0) {
            uint8_t *buf;
            size_t len;
            snprintf(path, sizeof path, "%s/%s", dir, names[i]);
            if (read_file(path, &buf, &len) != 0) {
                sipc__seterr(err, errlen, "%s: %s", path, strerror(errno));
                r = SIPC_ETLSCONFIG;
            } else {
                sipc_der certs[SIPC_KP_MAX_CHAIN];
                int nc = 0;
                if (sipc_pem_certs((const char *)buf, len, certs, SIPC_KP_MAX_CHAIN, &nc, why,
                                   sizeof why) != 0) {
                    sipc__seterr(err, errlen, "%s: %s", path, why);
                    r = SIPC_ETLSCONFIG;
                } else if (nc == 0) {
                    sipc__seterr(err, errlen, "%s: no PEM certificate in it", path);
                    r = SIPC_ETLSCONFIG;
                }
                for (int k = 0; k < nc; k++) {
                    if (r == 0 && sipc_trust_add_root(t, certs[k].data, certs[k].len, why,
                                                      sizeof why) != 0) {
                        sipc__seterr(err, errlen, "%s: %s", path, why);
                        r = SIPC_ETLSCONFIG;
                    }
                    sipc_der_free(&certs[k]);
                }
                free(buf);
            }
        }
        free(names[i]);
    }
    free(names);
    if (r != 0) {
        sipc_trust_free(t);
        return r;
    }
    snprintf(dir, sizeof dir, "%s/security/crl", home);
    n = list_dir(dir, &names);
    if (n < 0) {
        sipc__seterr(err, errlen, "%s: %s", dir, strerror(errno));
        sipc_trust_free(t);
        return SIPC_ETLSCONFIG;
    }
    for (int i = 0; i < n; i++) {
        size_t nl = strlen(names[i]);
        int ours = nl > 4 && (strcmp(names[i] + nl - 4, ".crl") == 0 ||
                              strcmp(names[i] + nl - 4, ".pem") == 0 ||
                              strcmp(names[i] + nl - 4, ".der") == 0);
        if (r == 0 && ours) {
            uint8_t *buf;
            size_t len;
            snprintf(path, sizeof path, "%s/%s", dir, names[i]);
            char label[160];
            snprintf(label, sizeof label, "crl/%s", names[i]);
            if (read_file(path, &buf, &len) != 0) {
                sipc__seterr(err, errlen, "%s: %s", path, strerror(errno));
                r = SIPC_ETLSCONFIG;
            } else {
                if (sipc_trust_add_crl_named(t, buf, len, label, why, sizeof why) != 0) {
                    sipc__seterr(err, errlen, "%s: %s", path, why);
                    r = SIPC_ETLSCONFIG;
                }
                free(buf);
            }
        }
        free(names[i]);
    }
    free(names);
    if (r != 0) {
        sipc_trust_free(t);
        return r;
    }
    *out = t;
    return 0;
}

