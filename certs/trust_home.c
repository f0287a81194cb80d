/* trust_home.c - the trust configuration of a node from its home directory:
 * $home/security/node.crt as the own pair, trust/ *.pem as extra roots and
 * crl/ * as CRLs (see sipc_trust_load_home in trust.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error_text.h"
#include "base/home_owner.h"
#include "base/str_copy.h"
#include "certs/pem.h"
#include "certs/secret_file.h"
#include "certs/trust.h"
#include "sipc/errno.h"

/* trust/ and crl/ are read through symbolic links (a mounted Kubernetes
 * Secret or ConfigMap links each file; a shared directory of CA roots),
 * and what a link leads to is checked as the key is, for data that is
 * public but decides whom the node accepts: owned as sipc__owner_trusted
 * says, and not writable by another account (who could add a root or take a
 * revocation away). */
static int check_trusted(const struct stat *st, const char *home, const char *path, char *err,
                         size_t errlen)
{
    if (!sipc__owner_trusted(st->st_uid, home)) {
        sipc__seterr(err, errlen,
                     "%s belongs to another account (uid %u), which could change whom this node "
                     "trusts",
                     path, (unsigned)st->st_uid);
        sipc__owner_fix(home, path, err, errlen);
        return SIPC_ETLSCONFIG;
    }
    if (st->st_mode & 022) {
        sipc__seterr(err, errlen,
                     "%s can be changed by other users (mode %04o), who could change whom this "
                     "node trusts: run `chmod go-w %s` (tlstool writes 0700 folders and 0600 "
                     "files)",
                     path, (unsigned)(st->st_mode & 07777), path);
        return SIPC_ETLSCONFIG;
    }
    return 0;
}

/* path (a link there followed) into *out if it is a regular file that
 * check_trusted accepts, checked on the descriptor it was read from */
static int read_file(const char *home, const char *path, uint8_t **out, size_t *len, char *err,
                     size_t errlen)
{
    struct stat st;
    if (sipc_secret_regular_read(path, 1, &st, out, len, 16u << 20, err, errlen) != 0)
        return SIPC_ETLSCONFIG;
    if (check_trusted(&st, home, path, err, errlen) != 0) {
        free(*out);
        return SIPC_ETLSCONFIG;
    }
    return 0;
}

static int cmpstr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted entries of dir (a link there followed, what it leads to checked);
 * *names malloc'd. Missing dir = 0 files; -1 with err. */
static int list_dir(const char *home, const char *dir, char ***names, char *err, size_t errlen)
{
    *names = NULL;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        sipc__seterr(err, errlen, "%s: %s", dir, strerror(errno));
        return -1;
    }
    struct stat st;
    DIR *d = NULL;
    int r = fstat(fd, &st) == 0 ? check_trusted(&st, home, dir, err, errlen) : -1;
    if (r == 0 && !(d = fdopendir(fd)))
        r = -1;
    if (r == -1)
        sipc__seterr(err, errlen, "%s: %s", dir, strerror(errno));
    if (r != 0) {
        close(fd);
        return -1;
    }
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

const char *sipc_rotation_state_name(sipc_rotation_state s)
{
    switch (s) {
    case SIPC_ROTATION_STAGED: return "staged";
    case SIPC_ROTATION_COMMITTED: return "committed";
    case SIPC_ROTATION_ROLLED_BACK: return "rolled-back";
    default: return "none";
    }
}

int sipc_rotation_read(const char *home, sipc_rotation *rot, char *err, size_t errlen)
{
    char path[1200];
    memset(rot, 0, sizeof *rot);
    snprintf(path, sizeof path, "%s/security/rotation", home);
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT)
            return 0;
        sipc__seterr(err, errlen, "%s: %s", path, strerror(errno));
        return SIPC_ETLSCONFIG;
    }
    char line[256];
    int bad = 0, have_state = 0;
    while (!bad && fgets(line, sizeof line, f)) {
        char key[32], val[80];
        if (line[0] == '#' || line[0] == '\n')
            continue;
        if (sscanf(line, "%31s %79s", key, val) != 2) {
            bad = 1;
        } else if (!strcmp(key, "state")) {
            have_state = 1;
            if (!strcmp(val, "staged"))
                rot->state = SIPC_ROTATION_STAGED;
            else if (!strcmp(val, "committed"))
                rot->state = SIPC_ROTATION_COMMITTED;
            else if (!strcmp(val, "rolled-back"))
                rot->state = SIPC_ROTATION_ROLLED_BACK;
            else
                bad = 1;
        } else if (!strcmp(key, "previous") && strlen(val) == 64) {
            sipc_str_copy(rot->previous, sizeof rot->previous, val);
        } else {
            bad = 1; /* a file this version does not understand: say so rather than guess */
        }
    }
    fclose(f);
    if (bad || !have_state) {
        sipc__seterr(err, errlen,
                     "%s is not a rotation state this version understands (see `tlstool rotate "
                     "status`)",
                     path);
        memset(rot, 0, sizeof *rot);
        return SIPC_ETLSCONFIG;
    }
    return 0;
}

/* The pair in security/sub/node.crt, trusted as role; a missing file is
 * nothing to add. want_fp: only when its certificate has this fingerprint. */
static int add_rotation_pair(sipc_trust *t, const char *home, const char *sub, const char *role,
                             const char *want_fp, char *err, size_t errlen)
{
    char path[1200], why[300];
    snprintf(path, sizeof path, "%s/security/%s/node.crt", home, sub);
    FILE *f = fopen(path, "r");
    if (!f)
        return errno == ENOENT ? 0 : (sipc__seterr(err, errlen, "%s: %s", path, strerror(errno)),
                                      SIPC_ETLSCONFIG);
    fclose(f);
    sipc_keypair kp;
    memset(&kp, 0, sizeof kp);
    int r = sipc_keypair_load_pem(&kp, path, NULL, err, errlen);
    if (r != 0)
        return r;
    if (!want_fp || strcmp(kp.fingerprint, want_fp) == 0) {
        r = sipc_trust_add_rotation(t, &kp, role, why, sizeof why);
        if (r != 0) {
            sipc__seterr(err, errlen, "%s: %s", path, why);
            r = SIPC_ETLSCONFIG;
        }
    }
    sipc_keypair_free(&kp);
    return r;
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
    /* A rotation: the pair this node moves to is trusted from the moment it
     * is staged, and the one it left until the rotation is finished, so
     * that each link verifies whichever of the two its peer presents. A
     * staged/ without a rotation state (a crash, a copy by hand) is no
     * rotation: not trusted (`tlstool rotate status` names it). */
    sipc_rotation rot;
    r = sipc_rotation_read(home, &rot, err, errlen);
    if (r == 0 && rot.state != SIPC_ROTATION_NONE)
        r = add_rotation_pair(t, home, "staged", "staged pair", NULL, err, errlen);
    if (r == 0 && rot.state == SIPC_ROTATION_COMMITTED && rot.previous[0])
        r = add_rotation_pair(t, home, "previous", "previous pair", rot.previous, err, errlen);
    if (r != 0) {
        sipc_trust_free(t);
        return r;
    }
    char dir[1100];
    char **names;
    snprintf(dir, sizeof dir, "%s/security/trust", home);
    int n = list_dir(home, dir, &names, err, errlen);
    if (n < 0) {
        sipc_trust_free(t);
        return SIPC_ETLSCONFIG;
    }
    for (int i = 0; i < n; i++) {
        size_t nl = strlen(names[i]);
        if (r == 0 && nl > 4 && strcmp(names[i] + nl - 4, ".pem") == 0) {
            uint8_t *buf;
            size_t len;
            snprintf(path, sizeof path, "%s/%s", dir, names[i]);
            if (read_file(home, path, &buf, &len, err, errlen) != 0) {
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
    n = list_dir(home, dir, &names, err, errlen);
    if (n < 0) {
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
            if (read_file(home, path, &buf, &len, err, errlen) != 0) {
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

