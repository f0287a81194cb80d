/* store.c - see store.h. */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/error-crypt.h>

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "certs/tool/store.h"
#include "sipc/errno.h"
#include "base/error_text.h"
#include "base/file_replace.h"
#include "base/private_dir.h"
#include "base/shown_text.h"

char *sipc_store_path(char *out, size_t outlen, const char *home, const char *sub,
                      const char *name)
{
    if (sub && name)
        snprintf(out, outlen, "%s/security/%s/%s", home, sub, name);
    else if (sub || name)
        snprintf(out, outlen, "%s/security/%s", home, sub ? sub : name);
    else
        snprintf(out, outlen, "%s/security", home);
    return out;
}

/* What to do about security/ or a folder of it (path) that was refused. */
static void dir_advice(sipc_dir_problem why, const char *path, char *err, size_t errlen)
{
    sipc__dir_advice(why, path,
                     "what it holds must stay in this home, private to its account; replace the "
                     "link by a directory (remove it, then move the directory it points to in its "
                     "place, or run the command again to make a new one)",
                     "run tlstool as the account that owns it, or give it to this one", "", err,
                     errlen);
}

/* security/ and its folders: never through a link (a root tlstool would
 * write the key, and set 0700, wherever it points) */
static int mkdir_0700(const char *path, char *err, size_t errlen)
{
    sipc_dir_problem why;
    int r = sipc__private_dir(path, (uid_t)-1, (gid_t)-1, &why, err, errlen);
    if (r != 0)
        dir_advice(why, path, err, errlen);
    return r;
}

/* security/ in *sfd and, when sub is not NULL, security/sub in *dfd, opened
 * without following a link, for removals by unlinkat: 0; 1 when one is
 * missing (nothing to remove there; nothing left open); SIPC_ECONFIG. */
static int open_store_dir(const char *home, const char *sub, int *sfd, int *dfd, char *err,
                          size_t errlen)
{
    char path[1200];
    sipc_dir_problem why;
    int r = sipc__dir_open(AT_FDCWD, sipc_store_path(path, sizeof path, home, NULL, NULL),
                           path, sfd, &why, err, errlen);
    if (r == 0 && sub) {
        r = sipc__dir_open(*sfd, sub, sipc_store_path(path, sizeof path, home, sub, NULL), dfd,
                           &why, err, errlen);
        if (r != 0)
            close(*sfd);
    }
    if (r < 0)
        dir_advice(why, path, err, errlen);
    return r;
}

/* The PID of a name tlstool's own writer gave its temporary files before
 * it used base's (NAME.tmp.<pid>), or 0: such a file may be left from a
 * write killed before an upgrade. */
static long old_tmp_pid(const char *name)
{
    const char *t = NULL;
    for (const char *p = strstr(name, ".tmp."); p; p = strstr(p + 1, ".tmp."))
        t = p;
    if (!t || t == name)
        return 0;
    long pid = 0;
    const char *d = t + 5;
    if (!*d || strlen(d) > 10)
        return 0;
    for (; *d; d++) {
        if (*d < '0' || *d > '9')
            return 0;
        pid = pid * 10 + (*d - '0');
    }
    return pid > 0 && pid <= INT_MAX ? pid : 0;
}

/* Whether process pid still runs (one we may not signal runs too). */
static int pid_alive(long pid)
{
    return kill((pid_t)pid, 0) == 0 || errno != ESRCH;
}

/* What is known of another account's file of base's pattern, entry in
 * dfd (st: lstat'd): a write holds its lock (1: in progress), or
 * *seen says what is known. Root can open it; where that fails (NFS
 * squashing root) its age is all there is. */
static int other_tmp(int dfd, const char *entry, const struct stat *st, sipc_store_tmp_seen *seen)
{
    int fd = openat(dfd, entry, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    struct stat fst;
    int r = -1;
    if (fd >= 0 && fstat(fd, &fst) == 0 && fst.st_dev == st->st_dev && fst.st_ino == st->st_ino) {
        /* shared and at once: a writer that holds it exclusively is heard */
        if (flock(fd, LOCK_SH | LOCK_NB) == 0)
            r = 0;
        else if (errno == EWOULDBLOCK)
            r = 1;
    }
    if (fd >= 0)
        close(fd); /* the shared lock goes with it */
    if (r == 1)
        return 1;
    if (r == 0) {
        *seen = SIPC_STORE_TMP_OVER;
        return 0;
    }
    *seen = time(NULL) - st->st_mtime < SIPC__FILE_REPLACE_STALE ? SIPC_STORE_TMP_UNKNOWN
                                                                 : SIPC_STORE_TMP_UNKNOWN_OLD;
    return 0;
}

static int sweep_dir(int dfd, const char *dir, sipc_store_tmp_fn fn, void *arg)
{
    int dup_fd = dup(dfd);
    DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
    if (!d) {
        if (dup_fd >= 0)
            close(dup_fd);
        return 0;
    }
    int removed = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        /* base's ".NAME.XXXXXX.tmp" (a write in progress holds its lock),
         * or an older tlstool's NAME.tmp.PID (its process still runs) */
        long pid = old_tmp_pid(e->d_name);
        int ours = sipc__file_tmp_name(e->d_name);
        if ((!pid && !ours) || (pid && pid_alive(pid)))
            continue; /* not ours, or still being written */
        char path[1500], why[200] = "";
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        sipc_store_tmp_seen seen = SIPC_STORE_TMP_OVER;
        /* never through a link: only a file this user wrote is removed */
        if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue; /* gone meanwhile */
        if (S_ISLNK(st.st_mode)) {
            snprintf(why, sizeof why, "a symbolic link, not a file tlstool writes");
            seen = SIPC_STORE_TMP_NOT_FILE;
        } else if (!S_ISREG(st.st_mode)) {
            snprintf(why, sizeof why, "not a regular file");
            seen = SIPC_STORE_TMP_NOT_FILE;
        } else if (st.st_uid != geteuid()) {
            /* base's file of another account: its lock tells whether it
             * is being written, where it can be looked at */
            if (!pid && other_tmp(dfd, e->d_name, &st, &seen) == 1)
                continue; /* a write in progress */
            snprintf(why, sizeof why, "owned by uid %ld, not by this user", (long)st.st_uid);
        } else if (pid) {
            if (unlinkat(dfd, e->d_name, 0) != 0)
                snprintf(why, sizeof why, "%s", strerror(errno));
        } else {
            int r = sipc__file_tmp_remove(dfd, e->d_name);
            if (r == 1)
                continue; /* a write in progress (or gone meanwhile) */
            if (r < 0)
                snprintf(why, sizeof why, "%s", strerror(-r));
        }
        if (!why[0])
            removed++;
        if (fn)
            fn(arg, path, pid, !why[0], seen, why);
    }
    closedir(d);
    return removed;
}

int sipc_store_sweep_tmp(const char *home, sipc_store_tmp_fn fn, void *arg)
{
    char sec[1200];
    sipc_store_path(sec, sizeof sec, home, NULL, NULL);
    int sfd = open(sec, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sfd < 0)
        return 0;
    int removed = sweep_dir(sfd, sec, fn, arg);
    static const char *subs[] = {"previous", "staged", "trust", "crl"};
    for (int i = 0; i < 4; i++) {
        int dfd = openat(sfd, subs[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dfd < 0)
            continue;
        char dir[1300];
        snprintf(dir, sizeof dir, "%s/%s", sec, subs[i]);
        removed += sweep_dir(dfd, dir, fn, arg);
        close(dfd);
    }
    close(sfd);
    return removed;
}

int sipc_store_init(const char *home, char *err, size_t errlen)
{
    char p[1200];
    struct stat st;
    if (stat(home, &st) != 0) {
        if (mkdir(home, 0755) != 0 && errno != EEXIST) {
            sipc__seterr(err, errlen, "cannot create the sipc home %s: %s", home, strerror(errno));
            return SIPC_ECONFIG;
        }
    }
    static const char *subs[] = {NULL, "previous", "trust", "crl"};
    /* all looked at before any is made or narrowed: a refusal changes nothing */
    for (int i = 0; i < 4; i++) {
        int fd;
        sipc_dir_problem why;
        sipc_store_path(p, sizeof p, home, subs[i], NULL);
        int r = sipc__dir_open(AT_FDCWD, p, p, &fd, &why, err, errlen);
        if (r == 0)
            close(fd);
        if (r < 0) {
            dir_advice(why, p, err, errlen);
            return r;
        }
    }
    for (int i = 0; i < 4; i++) {
        int r = mkdir_0700(sipc_store_path(p, sizeof p, home, subs[i], NULL), err, errlen);
        if (r != 0)
            return r;
    }
    /* a write killed before its rename left a copy of what it wrote (a
     * private key, for node.crt); what cannot go, `tlstool status` names */
    (void)sipc_store_sweep_tmp(home, NULL, NULL);
    return 0;
}

/* The files of security/ are written in a directory already opened
 * (open_store_dir): a folder swapped for a link after the check is not
 * followed. */

/* sipc_store_write of dfd/name: base's writer, 0600 */
static int store_write_at(int dfd, const char *shown, const char *name, const void *data,
                          size_t len, char *err, size_t errlen)
{
    char path[1400];
    snprintf(path, sizeof path, "%s/%s", shown, name);
    return sipc__file_replace_at(dfd, path, name, data, len, 0600, (uid_t)-1, (gid_t)-1, err,
                                 errlen);
}

int sipc_store_write(const char *path, const void *data, size_t len, char *err, size_t errlen)
{
    return sipc__file_replace(path, data, len, 0600, (uid_t)-1, (gid_t)-1, err, errlen);
}

/* tlstool writes no link: one under a file's name in security/ is neither
 * written through nor silently replaced */
static int refuse_link(int at, const char *name, const char *path, char *err, size_t errlen)
{
    if (sipc__name_not_link(at, name, path, NULL, err, errlen) == 0)
        return 0;
    sipc__adderr(err, errlen, ": nothing was written; tlstool keeps only files of its own "
                              "there: remove the link (or move the file it points to in its "
                              "place) and run the command again");
    return SIPC_ECONFIG;
}

int sipc_store_put(const char *home, const char *sub, const char *name, const void *data,
                   size_t len, char *err, size_t errlen)
{
    char dir[1200], path[1400];
    int sfd, dfd;
    sipc_store_path(dir, sizeof dir, home, sub, NULL);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int r = open_store_dir(home, sub, &sfd, &dfd, err, errlen);
    if (r == 1) {
        sipc__seterr(err, errlen, "cannot write %s: %s is missing (`tlstool import` makes it)",
                     path, dir);
        return SIPC_ECONFIG;
    }
    if (r != 0)
        return r;
    int at = sub ? dfd : sfd;
    r = refuse_link(at, name, path, err, errlen);
    if (r == 0)
        r = store_write_at(at, dir, name, data, len, err, errlen);
    if (sub)
        close(dfd);
    close(sfd);
    return r;
}

static int pem_append(char **buf, size_t *len, size_t *cap, const uint8_t *der, size_t dlen,
                      int type)
{
    int need = wc_DerToPem(der, (word32)dlen, NULL, 0, type);
    if (need <= 0)
        return SIPC_EFORMAT;
    if (*len + (size_t)need + 1 > *cap) {
        size_t nc = (*len + (size_t)need + 1) * 2;
        char *nb = malloc(nc);
        if (!nb)
            return SIPC_ENOMEM;
        if (*buf)
            memcpy(nb, *buf, *len);
        sipc_secure_free(*buf, *cap);
        *buf = nb;
        *cap = nc;
    }
    int r = wc_DerToPem(der, (word32)dlen, (byte *)*buf + *len, (word32)need, type);
    if (r <= 0)
        return SIPC_EFORMAT;
    *len += (size_t)r;
    (*buf)[*len] = '\0';
    return 0;
}

/* An EC key as PKCS#8 ("PRIVATE KEY"), whose AlgorithmIdentifier names the
 * curve: the SEC1 form a PKCS#12 file yields carries no curve, and OpenSSL
 * cannot read an EC key without one. */
static int ec_key_pem(char **buf, size_t *len, size_t *cap, const sipc_keypair *kp)
{
    word32 idx = 0;
    if (wc_GetPkcs8TraditionalOffset((byte *)kp->key.data, &idx, (word32)kp->key.len) < 0)
        idx = 0;
    ecc_key k;
    if (wc_ecc_init(&k) != 0)
        return SIPC_ENOMEM;
    int r = SIPC_EFORMAT;
    word32 n = 0;
    uint8_t *p8 = NULL;
    if (wc_EccPrivateKeyDecode(kp->key.data, &idx, &k, (word32)kp->key.len) == 0 &&
        wc_EccKeyToPKCS8(&k, NULL, &n) == LENGTH_ONLY_E) {
        p8 = malloc(n);
        if (!p8)
            r = SIPC_ENOMEM;
        else if (wc_EccKeyToPKCS8(&k, p8, &n) > 0)
            r = pem_append(buf, len, cap, p8, n, PKCS8_PRIVATEKEY_TYPE);
    }
    wc_ecc_free(&k);
    if (p8)
        sipc_secure_free(p8, n);
    return r;
}

int sipc_keypair_to_pem(const sipc_keypair *kp, char **out, size_t *outlen)
{
    assert(kp && out && outlen && kp->ncerts >= 0 && kp->ncerts <= SIPC_KP_MAX_CHAIN);
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int r = 0;
    *out = NULL;
    *outlen = 0;
    if (kp->ncerts == 0 && !kp->key.data)
        return SIPC_EINVAL;
    for (int i = 0; i < kp->ncerts; i++)
        if ((r = pem_append(&buf, &len, &cap, kp->certs[i].data, kp->certs[i].len, CERT_TYPE)) != 0)
            goto fail;
    if (kp->key.data && kp->key_type == SIPC_KEY_ECC) {
        if ((r = ec_key_pem(&buf, &len, &cap, kp)) != 0)
            goto fail;
    } else if (kp->key.data) {
        /* RSA in the traditional form, "RSA PRIVATE KEY" */
        word32 idx = 0;
        const uint8_t *k = kp->key.data;
        size_t kl = kp->key.len;
        if (wc_GetPkcs8TraditionalOffset((byte *)k, &idx, (word32)kl) >= 0) {
            k += idx;
            kl -= idx;
        }
        if ((r = pem_append(&buf, &len, &cap, k, kl, PRIVATEKEY_TYPE)) != 0)
            goto fail;
    }
    *out = buf;
    *outlen = len;
    return 0;
fail:
    sipc_secure_free(buf, cap);
    return r;
}

/* from/name into memory (*b, *n; free with sipc_secure_free): 0, 1 (no
 * such file) or SIPC_ECONFIG. */
static int read_at(int from, const char *from_shown, const char *name, uint8_t **b, size_t *n,
                   char *err, size_t errlen)
{
    char shown[1300];
    snprintf(shown, sizeof shown, "%s/%s", from_shown, name);
    *b = NULL;
    *n = 0;
    /* not through a link: tlstool writes no link, and one left there by
     * the home's owner would copy what it points to into previous/ */
    int fd;
    struct stat st;
    int r = sipc_secret_open_at(from, name, shown, 0, &fd, &st, err, errlen);
    if (r == -ENOENT)
        return 1;
    if (r == -EINVAL)
        sipc__adderr(err, errlen, ": move it away (the pair it replaces is kept in previous/ "
                                  "only from a file there)");
    if (r != 0)
        return SIPC_ECONFIG;
    r = sipc_secret_fd_read(fd, shown, b, n, 1u << 20, err, errlen);
    close(fd);
    return r != 0 ? SIPC_ECONFIG : 0;
}

/* The replaced pair (written beforehand as *crt, *p12: p12 NULL when the
 * replaced pair had no node.p12) put in previous/, node.crt last as in
 * security/: 0 or SIPC_ECONFIG with err saying what previous/ holds now. */
static int put_previous(int pfd, const char *prev, sipc__file_tmp *crt, sipc__file_tmp *p12,
                        char *err, size_t errlen)
{
    char c_path[1300], p_path[1300];
    snprintf(c_path, sizeof c_path, "%s/node.crt", prev);
    snprintf(p_path, sizeof p_path, "%s/node.p12", prev);
    int r = 0;
    if (p12) {
        r = sipc__file_tmp_put(pfd, p12, p_path, "node.p12", err, errlen);
    } else if (unlinkat(pfd, "node.p12", 0) != 0 && errno != ENOENT) {
        /* no old node.p12: none left there from an older pair */
        sipc__seterr(err, errlen, "cannot remove %s: %s", p_path, strerror(errno));
        r = SIPC_ECONFIG;
    }
    if (r != 0) {
        sipc__adderr(err, errlen, "; previous/ still holds the pair it held before");
        return r;
    }
    r = sipc__file_tmp_put(pfd, crt, c_path, "node.crt", err, errlen);
    if (r != 0)
        sipc__adderr(err, errlen, "; previous/ holds the replaced pair's node.p12 beside an "
                                  "older node.crt: they do not go together");
    return r;
}

/* node.crt = pem and node.p12 = p12 (NULL: none, an old one is removed);
 * the pair they replace goes to previous/ once they are in. Nothing is
 * replaced until every new file is written; the old node.p12 is kept
 * under a temporary name until node.crt is in, so that a node.crt that
 * cannot be put in place leaves the old pair as it was. 0; a negative
 * code (nothing was changed); SIPC_STORE_INSTALLED (the new pair is in,
 * what did not follow is in err); SIPC_STORE_PARTIAL (node.p12 is the new
 * pair's, node.crt the old one's, err says what to do). */
static int install(const char *home, const void *pem, size_t plen, const uint8_t *p12,
                   size_t p12len, int *kept_out, char *err, size_t errlen)
{
    if (kept_out)
        *kept_out = 0;
    int r = sipc_store_init(home, err, errlen);
    if (r != 0)
        return r;
    int sfd, pfd;
    char sec[1200], prev[1200], crt_path[1300], p12_path[1300], pc_path[1300], pp_path[1300];
    sipc_store_path(sec, sizeof sec, home, NULL, NULL);
    sipc_store_path(prev, sizeof prev, home, "previous", NULL);
    sipc_store_path(crt_path, sizeof crt_path, home, NULL, "node.crt");
    sipc_store_path(p12_path, sizeof p12_path, home, NULL, "node.p12");
    sipc_store_path(pc_path, sizeof pc_path, home, "previous", "node.crt");
    sipc_store_path(pp_path, sizeof pp_path, home, "previous", "node.p12");
    if ((r = open_store_dir(home, "previous", &sfd, &pfd, err, errlen)) == 1) {
        sipc__seterr(err, errlen, "cannot open %s: %s", prev, strerror(ENOENT));
        return SIPC_ECONFIG;
    }
    if (r != 0)
        return r;
    sipc__file_tmp tcrt = {-1, ""}, tp12 = {-1, ""}, told = {-1, ""}, pcrt = {-1, ""},
                   pp12 = {-1, ""};
    uint8_t *ocrt = NULL, *op12 = NULL;
    size_t oclen = 0, op12len = 0;
    int have_ocrt = 0, have_op12 = 0, keep = 0;
    /* every new file written (base's writer, 0600) before anything is
     * replaced; a link at either name refused first */
    r = refuse_link(sfd, "node.crt", crt_path, err, errlen);
    if (r == 0)
        r = refuse_link(sfd, "node.p12", p12_path, err, errlen);
    if (r == 0)
        r = sipc__file_tmp_write_at(sfd, crt_path, "node.crt", pem, plen, 0600, (uid_t)-1,
                                    (gid_t)-1, &tcrt, err, errlen);
    if (r == 0 && p12)
        r = sipc__file_tmp_write_at(sfd, p12_path, "node.p12", p12, p12len, 0600, (uid_t)-1,
                                    (gid_t)-1, &tp12, err, errlen);
    /* the pair being replaced */
    if (r == 0 && (r = read_at(sfd, sec, "node.crt", &ocrt, &oclen, err, errlen)) >= 0) {
        have_ocrt = r == 0;
        r = 0;
    }
    if (r == 0 && (r = read_at(sfd, sec, "node.p12", &op12, &op12len, err, errlen)) >= 0) {
        have_op12 = r == 0;
        r = 0;
    }
    /* the old node.p12, to put back if node.crt cannot be put in place */
    if (r == 0 && have_op12)
        r = sipc__file_tmp_write_at(sfd, p12_path, "node.p12", op12, op12len, 0600, (uid_t)-1,
                                    (gid_t)-1, &told, err, errlen);
    /* the copy for previous/, put there only once the new pair is in, so
     * that previous/ keeps the pair it holds until then. A node.p12 that
     * is already the new one is a pair half installed by an earlier run:
     * previous/ holds what it replaced, and the current files are no pair */
    keep = have_ocrt && !(p12 && have_op12 && op12len == p12len && !memcmp(op12, p12, p12len));
    if (r == 0 && keep)
        r = sipc__file_tmp_write_at(pfd, pc_path, "node.crt", ocrt, oclen, 0600, (uid_t)-1,
                                    (gid_t)-1, &pcrt, err, errlen);
    if (r == 0 && keep && have_op12)
        r = sipc__file_tmp_write_at(pfd, pp_path, "node.p12", op12, op12len, 0600, (uid_t)-1,
                                    (gid_t)-1, &pp12, err, errlen);
    if (r != 0)
        goto done; /* nothing replaced */
    if (p12) {
        r = sipc__file_tmp_put(sfd, &tp12, p12_path, "node.p12", err, errlen);
    } else if (unlinkat(sfd, "node.p12", 0) != 0 && errno != ENOENT) {
        sipc__seterr(err, errlen, "cannot remove %s: %s", p12_path, strerror(errno));
        r = SIPC_ECONFIG;
    }
    if (r != 0)
        goto done; /* nothing replaced */
    r = sipc__file_tmp_put(sfd, &tcrt, crt_path, "node.crt", err, errlen);
    if (r != 0) {
        /* the old node.p12 back beside the old node.crt */
        char why[1600] = "";
        int back = 0;
        if (have_op12)
            back = sipc__file_tmp_put(sfd, &told, p12_path, "node.p12", why, sizeof why);
        else if (unlinkat(sfd, "node.p12", 0) != 0 && errno != ENOENT) {
            snprintf(why, sizeof why, "cannot remove %s: %s", p12_path, strerror(errno));
            back = SIPC_ECONFIG;
        }
        if (back == 0) {
            (void)fsync(sfd); /* best effort: the old pair is what is there */
            goto done;
        }
        /* the replaced pair is kept in previous/ all the same: its node.p12
         * is nowhere else now */
        char pwhy[1600] = "";
        int kept = !keep ? 1
                         : put_previous(pfd, prev, &pcrt, have_op12 ? &pp12 : NULL, pwhy,
                                        sizeof pwhy) == 0;
        (void)fsync(pfd);
        (void)fsync(sfd);
        sipc__adderr(err, errlen,
                     "; putting the old node.p12 back failed too (%s): %s is now the new pair's "
                     "and %s still the old one's, which do not go together (the node goes on "
                     "with the old pair, node.crt's): run the same command again to finish; "
                     "%s%s%s",
                     why, p12_path, crt_path,
                     !keep ? "previous/ is left as it was"
                     : kept ? "the pair they replace is kept in previous/"
                            : "the pair they replace could not be kept in previous/ (",
                     kept ? "" : pwhy, kept ? "" : ")");
        r = SIPC_STORE_PARTIAL;
        goto done;
    }
    /* the new pair is in: the replaced one goes to previous/ */
    if (keep && put_previous(pfd, prev, &pcrt, have_op12 ? &pp12 : NULL, err, errlen) != 0) {
        char m[900];
        snprintf(m, sizeof m, "%s", err);
        sipc__seterr(err, errlen, "the pair it replaced was not kept in %s: %s", prev, m);
        r = SIPC_STORE_INSTALLED;
    } else if (keep && kept_out) {
        *kept_out = 1;
    }
    if (r == 0 && keep && sipc__dir_sync(pfd, pc_path, "replaced", err, errlen) != 0)
        r = SIPC_STORE_INSTALLED;
    if (r == 0 && sipc__dir_sync(sfd, crt_path, "replaced", err, errlen) != 0)
        r = SIPC_STORE_INSTALLED;
    else if (r != 0)
        (void)fsync(sfd);
done:
    /* what is not in place by now goes */
    sipc__file_tmp_drop(sfd, &tcrt);
    sipc__file_tmp_drop(sfd, &tp12);
    sipc__file_tmp_drop(sfd, &told);
    sipc__file_tmp_drop(pfd, &pcrt);
    sipc__file_tmp_drop(pfd, &pp12);
    sipc_secure_free(ocrt, oclen);
    sipc_secure_free(op12, op12len);
    close(pfd);
    close(sfd);
    return r;
}

/* security/previous.origin: how the pair previous/ holds now came there,
 * named by its fingerprint so that a record outlived by previous/ (a copy
 * by hand, an older tlstool) says nothing. After an install that kept the
 * replaced pair (r: 0 or SIPC_STORE_INSTALLED, whose err stays): r, or
 * SIPC_STORE_INSTALLED with err saying that the record failed. */
static int put_origin(const char *home, sipc_previous_origin how, int r, char *err, size_t errlen)
{
    char path[1200], why[600], text[300];
    sipc_keypair kp;
    memset(&kp, 0, sizeof kp);
    if (r != 0 && r != SIPC_STORE_INSTALLED)
        return r;
    if (sipc_keypair_load_pem(&kp, sipc_store_path(path, sizeof path, home, "previous",
                                                   "node.crt"),
                              NULL, why, sizeof why) == 0) {
        int n = snprintf(text, sizeof text,
                         "# how security/previous/ came to be: the words of a refusal of it\n"
                         "origin %s\npair %s\n",
                         sipc_previous_origin_name(how), kp.fingerprint);
        sipc_keypair_free(&kp);
        if (sipc_store_put(home, NULL, "previous.origin", text, (size_t)n, why, sizeof why) == 0)
            return r;
    }
    if (r == 0)
        sipc__seterr(err, errlen, "how security/previous/ came to be was not recorded: %s", why);
    return SIPC_STORE_INSTALLED;
}

int sipc_store_import(const char *home, const sipc_keypair *kp, const uint8_t *p12, size_t p12len,
                      sipc_previous_origin how, int *kept, char *err, size_t errlen)
{
    if (kept)
        *kept = 0;
    size_t plen;
    char *pem;
    int r = sipc_keypair_to_pem(kp, &pem, &plen);
    if (r != 0) {
        sipc__seterr(err, errlen, "cannot encode the key pair as PEM");
        return r;
    }
    int k = 0;
    r = install(home, pem, plen, p12, p12len, &k, err, errlen);
    sipc_secure_free(pem, plen);
    if (kept)
        *kept = k;
    return k ? put_origin(home, how, r, err, errlen) : r;
}

/* path into memory if it is a regular file (a link there is followed, as
 * sipcd follows it): 0 or -errno. */
static int read_regular(const char *path, uint8_t **b, size_t *n, char *err, size_t errlen)
{
    struct stat st;
    return sipc_secret_regular_read(path, 1, &st, b, n, 1u << 20, err, errlen);
}

/* The pair of security/sub (node.crt, node.p12 if there) into memory; 0,
 * 1 (no node.crt there) or a negative sipc code. */
static int read_pair(const char *home, const char *sub, uint8_t **crt, size_t *clen,
                     uint8_t **p12, size_t *p12len, char *err, size_t errlen)
{
    char path[1200];
    *p12 = NULL;
    *p12len = 0;
    int r = read_regular(sipc_store_path(path, sizeof path, home, sub, "node.crt"), crt, clen,
                         err, errlen);
    if (r == -ENOENT)
        return 1;
    if (r != 0)
        return SIPC_ECONFIG;
    r = read_regular(sipc_store_path(path, sizeof path, home, sub, "node.p12"), p12, p12len, err,
                     errlen);
    if (r == -ENOENT)
        return 0;
    if (r != 0) {
        sipc_secure_free(*crt, *clen);
        return SIPC_ECONFIG;
    }
    return 0;
}

static void free_pair(uint8_t *crt, size_t clen, uint8_t *p12, size_t p12len)
{
    sipc_secure_free(crt, clen);
    sipc_secure_free(p12, p12len);
}

/* node.crt/node.p12 in security/staged (0700), each written atomically. */
static int write_staged(const char *home, const void *pem, size_t plen, const uint8_t *p12,
                        size_t p12len, char *err, size_t errlen)
{
    char path[1200];
    int sfd, dfd;
    int r = sipc_store_init(home, err, errlen);
    if (r == 0)
        r = mkdir_0700(sipc_store_path(path, sizeof path, home, "staged", NULL), err, errlen);
    if (r == 0 && (r = open_store_dir(home, "staged", &sfd, &dfd, err, errlen)) == 1) {
        sipc__seterr(err, errlen, "cannot open %s: %s", path, strerror(ENOENT));
        return SIPC_ECONFIG;
    }
    if (r != 0)
        return r;
    r = store_write_at(dfd, path, "node.crt", pem, plen, err, errlen);
    if (r == 0 && p12)
        r = store_write_at(dfd, path, "node.p12", p12, p12len, err, errlen);
    if (r == 0 && !p12)
        unlinkat(dfd, "node.p12", 0);
    close(dfd);
    close(sfd);
    return r;
}

int sipc_store_write_rotation(const char *home, const char *state, const char *previous_fp,
                              char *err, size_t errlen)
{
    char sec[1200], text[300];
    int r;
    if (!state) {
        r = sipc_store_remove(home, NULL, "rotation", err, errlen);
        return r == 1 ? 0 : r;
    }
    if ((r = mkdir_0700(sipc_store_path(sec, sizeof sec, home, NULL, NULL), err, errlen)) != 0)
        return r;
    int n = snprintf(text, sizeof text,
                     "# a key pair rotation in progress: see `tlstool rotate status`\n"
                     "state %s\n%s%s%s",
                     state, previous_fp && previous_fp[0] ? "previous " : "",
                     previous_fp && previous_fp[0] ? previous_fp : "",
                     previous_fp && previous_fp[0] ? "\n" : "");
    return sipc_store_put(home, NULL, "rotation", text, (size_t)n, err, errlen);
}

int sipc_store_stage(const char *home, const sipc_keypair *kp, const uint8_t *p12, size_t p12len,
                     char *err, size_t errlen)
{
    size_t plen;
    char *pem;
    int r = sipc_keypair_to_pem(kp, &pem, &plen);
    if (r != 0) {
        sipc__seterr(err, errlen, "cannot encode the key pair as PEM");
        return r;
    }
    r = write_staged(home, pem, plen, p12, p12len, err, errlen);
    sipc_secure_free(pem, plen);
    if (r == 0)
        r = sipc_store_write_rotation(home, "staged", NULL, err, errlen);
    return r;
}

int sipc_store_drop_staged(const char *home, char *err, size_t errlen)
{
    char path[1200];
    int sfd, dfd;
    int r = open_store_dir(home, "staged", &sfd, &dfd, err, errlen);
    if (r != 0)
        return r == 1 ? 0 : r;
    static const char *files[] = {"node.crt", "node.p12"};
    for (int i = 0; r == 0 && i < 2; i++) {
        if (unlinkat(dfd, files[i], 0) != 0 && errno != ENOENT) {
            sipc__seterr(err, errlen, "cannot remove %s: %s",
                         sipc_store_path(path, sizeof path, home, "staged", files[i]),
                         strerror(errno));
            r = SIPC_ECONFIG;
        }
    }
    close(dfd);
    if (r == 0 && unlinkat(sfd, "staged", AT_REMOVEDIR) != 0 && errno != ENOENT) {
        sipc__seterr(err, errlen, "cannot remove %s: %s",
                     sipc_store_path(path, sizeof path, home, "staged", NULL), strerror(errno));
        r = SIPC_ECONFIG;
    }
    if (r == 0)
        fsync(sfd);
    close(sfd);
    return r;
}

int sipc_store_remove(const char *home, const char *sub, const char *name, char *err,
                      size_t errlen)
{
    int sfd, dfd;
    int r = open_store_dir(home, sub, &sfd, &dfd, err, errlen);
    if (r != 0)
        return r;
    int at = sub ? dfd : sfd;
    if (unlinkat(at, name, 0) != 0) {
        int e = errno; /* before snprintf, which may change it */
        char path[1200];
        r = e == ENOENT ? 1 : SIPC_ECONFIG;
        if (r < 0)
            sipc__seterr(err, errlen, "cannot remove %s: %s",
                         sipc_store_path(path, sizeof path, home, sub, name), strerror(e));
    } else {
        char path[1200];
        r = sipc__dir_sync(at, sipc_store_path(path, sizeof path, home, sub, name), "removed", err,
                           errlen);
    }
    if (sub)
        close(dfd);
    close(sfd);
    return r;
}

/* The state file as it was before a commit wrote "committed" (was), put
 * back after an install that changed nothing; err (the install's reason)
 * gains what the state file says now. */
static void commit_undo_state(const char *home, const sipc_rotation *was, char *err,
                              size_t errlen)
{
    char why[600];
    const char *name = was->state == SIPC_ROTATION_NONE ? NULL : sipc_rotation_state_name(was->state);
    if (sipc_store_write_rotation(home, name, was->previous, why, sizeof why) == 0) {
        sipc__adderr(err, errlen, " (nothing was changed: the rotation is still %s here)",
                     sipc_rotation_state_name(was->state));
        return;
    }
    sipc__adderr(err, errlen,
                 "; the pair is NOT committed, but the rotation's state file, written first, "
                 "could not be put back as it was (%s): it says committed while security/node.crt "
                 "still holds the pair it was to replace; fix the cause, then run the same "
                 "command again, which commits",
                 why);
}

/* Each step leaves a state in which the trust holds both pairs, so a crash
 * between two of them never leaves a node refusing one of them: the state
 * file first names the pair being replaced (trusted from previous/ once it
 * is there), then the pair is installed, then staged/ goes. An install
 * that changed nothing puts the state file back, so that it never says
 * committed of a pair that is not. */
int sipc_store_commit(const char *home, const char *current_fp, char *err, size_t errlen)
{
    uint8_t *crt, *p12;
    size_t clen, p12len;
    int sfd, dfd;
    sipc_rotation was;
    /* checked before anything is written: the state file is written first */
    int r = sipc_store_init(home, err, errlen);
    if (r == 0 && (r = open_store_dir(home, "staged", &sfd, &dfd, err, errlen)) == 0) {
        close(dfd);
        close(sfd);
    }
    if (r == 0)
        r = sipc_rotation_read(home, &was, err, errlen);
    if (r == 0)
        r = read_pair(home, "staged", &crt, &clen, &p12, &p12len, err, errlen);
    if (r == 1) {
        sipc__seterr(err, errlen, "no staged pair in %s/security/staged", home);
        return SIPC_EINVAL;
    }
    if (r != 0)
        return r;
    int kept = 0;
    r = sipc_store_write_rotation(home, "committed", current_fp, err, errlen);
    if (r == 0) {
        r = install(home, crt, clen, p12, p12len, &kept, err, errlen);
        if (r < 0)
            commit_undo_state(home, &was, err, errlen);
    }
    if (kept)
        r = put_origin(home, SIPC_PREVIOUS_ROTATION, r, err, errlen);
    free_pair(crt, clen, p12, p12len);
    /* installed, with a warning in err: staged/ goes all the same; one
     * left is a warning too, the commit being done */
    if (r == 0 || r == SIPC_STORE_INSTALLED) {
        char why[1400], dir[1200], word[4 * sizeof dir + 4];
        if (sipc_store_drop_staged(home, why, sizeof why) != 0) {
            sipc_store_path(dir, sizeof dir, home, "staged", NULL);
            if (r == 0 && errlen)
                err[0] = '\0';
            sipc__adderr(err, errlen,
                         "%s%s, the staged copy of the pair now installed, is left (%s): "
                         "remove that folder (rm -r %s)",
                         r == SIPC_STORE_INSTALLED ? "; and " : "", dir, why,
                         sipc__shell_word(dir, word, sizeof word));
            r = SIPC_STORE_INSTALLED;
        }
    }
    return r;
}

/* The pair moved to goes back to staged/ (still trusted) before the
 * previous one is installed again. */
int sipc_store_roll_back(const char *home, char *err, size_t errlen)
{
    uint8_t *crt, *p12, *ocrt, *op12;
    size_t clen, p12len, oclen, op12len;
    int r = read_pair(home, "previous", &ocrt, &oclen, &op12, &op12len, err, errlen);
    if (r == 1) {
        sipc__seterr(err, errlen, "no previous pair in %s/security/previous: nothing to go back to",
                     home);
        return SIPC_EINVAL;
    }
    if (r != 0)
        return r;
    r = read_pair(home, NULL, &crt, &clen, &p12, &p12len, err, errlen);
    if (r == 1) {
        sipc__seterr(err, errlen, "no key pair in %s/security/node.crt", home);
        r = SIPC_EINVAL;
    }
    if (r != 0) {
        free_pair(ocrt, oclen, op12, op12len);
        return r;
    }
    int kept = 0;
    r = write_staged(home, crt, clen, p12, p12len, err, errlen);
    free_pair(crt, clen, p12, p12len);
    if (r == 0)
        r = install(home, ocrt, oclen, op12, op12len, &kept, err, errlen);
    if (kept)
        r = put_origin(home, SIPC_PREVIOUS_ROTATION, r, err, errlen);
    free_pair(ocrt, oclen, op12, op12len);
    if (r == 0 || r == SIPC_STORE_INSTALLED) {
        int w = sipc_store_write_rotation(home, "rolled-back", NULL, err, errlen);
        r = w != 0 ? w : r;
    }
    return r;
}
