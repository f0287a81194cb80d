/* trust_home.c - the trust configuration of a node from its home directory:
 * $home/security/node.crt as the own pair, trust/ *.pem as extra roots and
 * crl/ * as CRLs (see sipc_trust_load_home in trust.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error_text.h"
#include "base/home_owner.h"
#include "base/shown_text.h"
#include "base/str_copy.h"
#include "certs/pem.h"
#include "certs/secret_file.h"
#include "certs/trust.h"
#include "certs/trust_impl.h"
#include "sipc/errno.h"

/* trust/ and crl/ are read through symbolic links (a mounted Kubernetes
 * Secret or ConfigMap links each file; a shared directory of CA roots).
 * Their data is public but decides whom the node accepts, so everything
 * the path to a file passes through is checked, not only what it ends at:
 * owned as sipc__owner_trusted says (this account's, root's, or for root
 * the home owner's), and not writable by another account (who could add a
 * root or take a revocation away, or point a link elsewhere); a folder
 * mounted read-only is taken whatever its mode bits (sipc__owner_guard). */

/* What the checked walk met: the file or folder asked for (shown: its
 * name in the home), a folder on the way to it, or a link. */
typedef enum { TRUST_FINAL, TRUST_ON_THE_WAY, TRUST_LINK } trust_what;

/* st (of fd, found at where) accepted as trust/ or crl/ data, or
 * SIPC_ETLSCONFIG with err saying what to do. A folder passed through may
 * be sticky (others may add names there, not replace this account's or
 * root's); trust/ and crl/ themselves may not (an added name is a root). */
static int check_trusted(const char *home, int fd, const struct stat *st, trust_what what,
                         const char *where, const char *shown, char *err, size_t errlen)
{
    char on[1400] = "";
    if (what != TRUST_FINAL)
        snprintf(on, sizeof on, ", which %s leads through,", shown);
    int mode_free = what == TRUST_LINK ||
                    (what == TRUST_ON_THE_WAY && S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX));
    return sipc__owner_guard(home, fd, st, where, on, mode_free, "change whom this node trusts",
                             " (tlstool writes 0700 folders and 0600 files; a folder mounted "
                             "read-only is accepted as it is)",
                             err, errlen) == 0
               ? 0
               : SIPC_ETLSCONFIG;
}

/* Opens name (relative to the folder at, which is named at_shown) as what
 * it leads to, resolving each symbolic link here rather than in the kernel,
 * on descriptors: every folder passed through, each link and what is
 * reached are checked (check_trusted), so no other account can choose what
 * is read, now or by a swap while it is read. want_dir: a folder, in *fd
 * for reading; else a regular file, in *fd and *st (never a FIFO or device:
 * sipc_secret_open_at). 0; 1 when nothing is there (a missing name or a
 * link to one); SIPC_ETLSCONFIG with err naming shown. */
static int open_checked(const char *home, int at, const char *name, const char *at_shown,
                        const char *shown, int want_dir, int *out, struct stat *st, char *err,
                        size_t errlen)
{
    char rest[2 * PATH_MAX], where[2 * PATH_MAX], here[2 * PATH_MAX + NAME_MAX + 2];
    int links = 0, r = SIPC_ETLSCONFIG;
    *out = -1;
    snprintf(rest, sizeof rest, "%s", name);
    snprintf(where, sizeof where, "%s", at_shown);
    int cur = openat(at, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (cur < 0) {
        sipc__seterr(err, errlen, "cannot read %s: %s", at_shown, strerror(errno));
        return SIPC_ETLSCONFIG;
    }
    for (;;) {
        const char *p = rest;
        if (*p == '/') {
            close(cur);
            cur = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
            where[0] = '\0';
            struct stat rs;
            if (cur < 0 || fstat(cur, &rs) != 0) {
                sipc__seterr(err, errlen, "cannot read /: %s", strerror(errno));
                break;
            }
            if (check_trusted(home, cur, &rs, TRUST_ON_THE_WAY, "/", shown, err, errlen) != 0)
                break;
            while (*p == '/')
                p++;
        }
        size_t cl = strcspn(p, "/");
        char comp[NAME_MAX + 1];
        if (cl > NAME_MAX) {
            sipc__seterr(err, errlen, "cannot read %s: %s", shown, strerror(ENAMETOOLONG));
            break;
        }
        memcpy(comp, p, cl);
        comp[cl] = '\0';
        p += cl;
        while (*p == '/')
            p++;
        int last = *p == '\0';
        memmove(rest, p, strlen(p) + 1);
        if (cl == 0 || strcmp(comp, ".") == 0) {
            if (!last)
                continue;
            snprintf(comp, sizeof comp, "."); /* the folder reached itself */
        }
        if (strcmp(comp, "..") == 0) {
            char *s = strrchr(where, '/');
            if (s && strcmp(s, "/..") != 0)
                *s = '\0';
            else
                sipc_str_copy(where + strlen(where), sizeof where - strlen(where), "/..");
            snprintf(here, sizeof here, "%s", where[0] ? where : "/");
        } else if (strcmp(comp, ".") == 0) {
            snprintf(here, sizeof here, "%s", where[0] ? where : "/");
        } else {
            snprintf(here, sizeof here, "%s/%s", where, comp);
        }
        int fd = openat(cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        struct stat s;
        if (fd < 0 || fstat(fd, &s) != 0) {
            if (errno == ENOENT) {
                r = 1;
            } else {
                sipc__seterr(err, errlen, "cannot read %s: %s", shown, strerror(errno));
            }
            if (fd >= 0)
                close(fd);
            break;
        }
        if (S_ISLNK(s.st_mode)) {
            char to[PATH_MAX];
            ssize_t n = readlinkat(fd, "", to, sizeof to - 1);
            int bad = check_trusted(home, fd, &s, TRUST_LINK, here, shown, err, errlen);
            close(fd);
            if (bad)
                break;
            if (n <= 0 || ++links > 40) {
                sipc__seterr(err, errlen, "cannot read %s: %s", shown,
                             strerror(n <= 0 ? errno : ELOOP));
                break;
            }
            to[n] = '\0';
            char next[2 * PATH_MAX];
            if ((size_t)snprintf(next, sizeof next, "%s%s%s", to, rest[0] ? "/" : "", rest) >=
                sizeof next) {
                sipc__seterr(err, errlen, "cannot read %s: %s", shown, strerror(ENAMETOOLONG));
                break;
            }
            memcpy(rest, next, sizeof rest);
            continue;
        }
        if (S_ISDIR(s.st_mode) && !(last && want_dir)) {
            if (last) {
                close(fd);
                sipc__seterr(err, errlen, "%s is not a regular file (a directory)", shown);
                break;
            }
            int bad = check_trusted(home, fd, &s, TRUST_ON_THE_WAY, here, shown, err, errlen);
            close(cur);
            cur = fd;
            if (bad)
                break;
            if (strcmp(comp, "..") && strcmp(comp, "."))
                sipc_str_copy(where, sizeof where, here);
            continue;
        }
        if (!last || (want_dir && !S_ISDIR(s.st_mode))) {
            close(fd);
            sipc__seterr(err, errlen, "%s: %s is not a directory", shown, here);
            break;
        }
        if (want_dir) {
            if (check_trusted(home, fd, &s, TRUST_FINAL, shown, shown, err, errlen) == 0) {
                *out = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (*out < 0)
                    sipc__seterr(err, errlen, "%s: %s", shown, strerror(errno));
                else
                    r = 0;
            }
            close(fd);
            break;
        }
        close(fd);
        /* the folder it is in is checked: the name cannot change meanwhile */
        if (sipc_secret_open_at(cur, comp, shown, 0, out, st, err, errlen) != 0)
            break;
        if (check_trusted(home, *out, st, TRUST_FINAL, shown, shown, err, errlen) != 0) {
            close(*out);
            *out = -1;
            break;
        }
        r = 0;
        break;
    }
    close(cur);
    return r;
}

const char *const sipc_trust_root_names[] = {".pem", NULL};
const char *const sipc_trust_crl_names[] = {".crl", ".pem", ".der", NULL};

static int cmpstr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted entries of the folder fd (closed here); *names malloc'd. */
static int list_dir(int fd, char ***names)
{
    *names = NULL;
    DIR *d = fdopendir(fd);
    if (!d) {
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

bool sipc_trust_name_loaded(const char *name, const char *const *exts)
{
    if (name[0] == '.')
        return false;
    size_t nl = strlen(name);
    for (; *exts; exts++) {
        size_t el = strlen(*exts);
        if (nl > el && strcmp(name + nl - el, *exts) == 0)
            return true;
    }
    return false;
}

int sipc_trust_home_files(const char *home, const char *sub, const char *const *exts,
                          sipc_trust_file_fn *fn, void *arg, char *err, size_t errlen)
{
    char sec[1100], dir[1200], path[1500];
    snprintf(sec, sizeof sec, "%s/security", home);
    snprintf(dir, sizeof dir, "%s/%s", sec, sub);
    /* security/ itself is the home's, checked with the key it holds */
    int sfd = open(sec, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (sfd < 0) {
        if (errno == ENOENT)
            return 0;
        sipc__seterr(err, errlen, "%s: %s", sec, strerror(errno));
        return SIPC_ETLSCONFIG;
    }
    int dfd;
    struct stat st;
    int r = open_checked(home, sfd, sub, sec, dir, 1, &dfd, &st, err, errlen);
    if (r != 0) {
        close(sfd);
        return r == 1 ? 0 : SIPC_ETLSCONFIG;
    }
    /* the entries read from the folder checked, through a descriptor kept */
    int lfd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    char **names;
    int n = lfd < 0 ? -1 : list_dir(lfd, &names);
    if (n < 0) {
        sipc__seterr(err, errlen, "%s: %s", dir, strerror(errno));
        close(dfd);
        close(sfd);
        return SIPC_ETLSCONFIG;
    }
    int count = 0;
    r = 0;
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        int known = sipc_trust_name_loaded(names[i], exts);
        if (r == 0 && !known) {
            r = fn(path, names[i], NULL, 0, arg, err, errlen);
        } else if (r == 0) {
            int ffd;
            uint8_t *buf;
            size_t len;
            r = open_checked(home, dfd, names[i], dir, path, 0, &ffd, &st, err, errlen);
            if (r == 1) { /* gone meanwhile, or a link to nothing */
                sipc__seterr(err, errlen, "cannot read %s: %s", path, strerror(ENOENT));
                r = SIPC_ETLSCONFIG;
            } else if (r == 0) {
                r = sipc_secret_fd_read(ffd, path, &buf, &len, SIPC_TRUST_FILE_MAX, err,
                                        errlen) != 0
                        ? SIPC_ETLSCONFIG
                        : 0;
                close(ffd);
                if (r == 0) {
                    r = fn(path, names[i], buf, len, arg, err, errlen);
                    free(buf);
                    count++;
                }
            }
        }
        free(names[i]);
    }
    free(names);
    close(dfd);
    close(sfd);
    return r != 0 ? SIPC_ETLSCONFIG : count;
}

typedef struct skipped_names {
    char *note;
    size_t len;
    int n;
} skipped_names;

static int note_skipped(const char *path, const char *name, const uint8_t *data, size_t len,
                        void *arg, char *err, size_t errlen)
{
    skipped_names *s = arg;
    (void)name;
    (void)len;
    (void)err;
    (void)errlen;
    if (!data)
        sipc__adderr(s->note, s->len, "%s%s", s->n++ ? ", " : "", path);
    return 0;
}

int sipc_trust_home_skipped(const char *home, char *note, size_t notelen)
{
    char err[16];
    skipped_names s = {note, notelen, 0};
    note[0] = '\0';
    sipc_trust_home_files(home, "trust", sipc_trust_root_names, note_skipped, &s, err, sizeof err);
    sipc_trust_home_files(home, "crl", sipc_trust_crl_names, note_skipped, &s, err, sizeof err);
    if (s.n)
        sipc__adderr(note, notelen,
                     " %s not loaded: only trust/*.pem and crl/*.crl, *.pem, *.der are (a "
                     "Secret's ca.crt: map it to ca.pem with items: [{key: ca.crt, path: "
                     "ca.pem}])",
                     s.n == 1 ? "is" : "are");
    return s.n;
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

/* security/NAME, a small record of tlstool's ("key value" lines), into
 * *text (free it; NULL when there is none). Only a regular file is opened,
 * looked at first: a FIFO put there would block every reader (tlstool, the
 * node's load) for good. 0; -EFBIG for a file larger than any record;
 * else -errno, err naming the file. */
static int record_read(const char *home, const char *name, char **text, char *err,
                       size_t errlen)
{
    char path[1200];
    struct stat st;
    uint8_t *b;
    size_t n;
    snprintf(path, sizeof path, "%s/security/%s", home, name);
    *text = NULL;
    int r = sipc_secret_regular_read(path, 1, &st, &b, &n, 4096, err, errlen);
    if (r == -ENOENT)
        return 0;
    if (r == 0)
        *text = (char *)b;
    return r;
}

/* Whether security/node.p12 holds the very bytes of staged/node.p12. */
static int p12_is_staged(const char *home)
{
    char path[1200], why[300];
    struct stat st;
    uint8_t *cur = NULL, *staged = NULL;
    size_t clen = 0, slen = 0;
    snprintf(path, sizeof path, "%s/security/node.p12", home);
    int same = sipc_secret_regular_read(path, 1, &st, &cur, &clen, 1u << 20, why, sizeof why) == 0;
    snprintf(path, sizeof path, "%s/security/staged/node.p12", home);
    same = same &&
           sipc_secret_regular_read(path, 1, &st, &staged, &slen, 1u << 20, why, sizeof why) == 0 &&
           clen == slen && memcmp(cur, staged, clen) == 0;
    sipc_secure_free(cur, clen);
    sipc_secure_free(staged, slen);
    return same;
}

/* A committed rotation whose pair is not in place (sipc_rotation's
 * commit_stopped) read as the staged one it still is. The certificates
 * alone are read: the keys play no part. */
static void commit_stopped(const char *home, sipc_rotation *rot)
{
    char path[1200], cur[65], staged[65], why[300];
    if (rot->state != SIPC_ROTATION_COMMITTED || !rot->previous[0])
        return;
    snprintf(path, sizeof path, "%s/security/node.crt", home);
    if (sipc_cert_file_fingerprint(path, cur, why, sizeof why) != 0 || strcmp(cur, rot->previous))
        return;
    snprintf(path, sizeof path, "%s/security/staged/node.crt", home);
    if (sipc_cert_file_fingerprint(path, staged, why, sizeof why) != 0 || !strcmp(staged, cur))
        return;
    rot->state = SIPC_ROTATION_STAGED;
    rot->previous[0] = '\0';
    rot->commit_stopped = 1;
    rot->commit_half = p12_is_staged(home);
}

int sipc_rotation_read(const char *home, sipc_rotation *rot, char *err, size_t errlen)
{
    char path[1200], *text, *save = NULL;
    memset(rot, 0, sizeof *rot);
    snprintf(path, sizeof path, "%s/security/rotation", home);
    int r = record_read(home, "rotation", &text, err, errlen);
    if (r != 0 && r != -EFBIG) {
        if (r == -EINVAL)
            sipc__adderr(err, errlen, ": only tlstool's own file of the rotation's state belongs "
                                      "there; remove what is there (`tlstool rotate status` then "
                                      "says where the rotation stands)");
        return SIPC_ETLSCONFIG;
    }
    if (!text && r == 0)
        return 0;
    int bad = r != 0, have_state = 0;
    for (char *line = text ? strtok_r(text, "\n", &save) : NULL; !bad && line;
         line = strtok_r(NULL, "\n", &save)) {
        char key[32], val[80];
        if (line[0] == '#')
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
    free(text);
    if (bad || !have_state) {
        sipc__seterr(err, errlen,
                     "%s is not a rotation state this version understands (see `tlstool rotate "
                     "status`)",
                     path);
        memset(rot, 0, sizeof *rot);
        return SIPC_ETLSCONFIG;
    }
    commit_stopped(home, rot);
    return 0;
}

const char *sipc_previous_origin_name(sipc_previous_origin how)
{
    switch (how) {
    case SIPC_PREVIOUS_ROTATION: return "rotation";
    case SIPC_PREVIOUS_IMPORT: return "import";
    case SIPC_PREVIOUS_FORCED: return "forced-import";
    default: return "unknown";
    }
}

sipc_previous_origin sipc_previous_origin_read(const char *home, const char *fp)
{
    char err[16], pair[80] = "", *text, *save = NULL;
    sipc_previous_origin how = SIPC_PREVIOUS_UNKNOWN;
    if (record_read(home, "previous.origin", &text, err, sizeof err) != 0 || !text)
        return SIPC_PREVIOUS_UNKNOWN;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char key[32], val[80];
        if (line[0] == '#' || sscanf(line, "%31s %79s", key, val) != 2)
            continue;
        if (!strcmp(key, "pair"))
            sipc_str_copy(pair, sizeof pair, val);
        for (int k = SIPC_PREVIOUS_ROTATION; k <= SIPC_PREVIOUS_FORCED; k++)
            if (!strcmp(key, "origin") &&
                !strcmp(val, sipc_previous_origin_name((sipc_previous_origin)k)))
                how = (sipc_previous_origin)k;
    }
    free(text);
    /* a record of another pair says nothing of this one */
    return fp && fp[0] && !strcmp(pair, fp) ? how : SIPC_PREVIOUS_UNKNOWN;
}

int sipc_trust_rotation_rolled_back(const sipc_trust *t)
{
    return t && t->rotation_role[0] && t->rotation_rolled_back;
}

/* The pair in security/sub/node.crt, trusted as role; a missing file is
 * nothing to add. want_fp: only when its certificate has this fingerprint. */
static int add_rotation_pair(sipc_trust *t, const char *home, const char *sub, const char *role,
                             const char *want_fp, char *err, size_t errlen)
{
    char path[1200], why[300];
    snprintf(path, sizeof path, "%s/security/%s/node.crt", home, sub);
    /* only whether it is there and readable: the key is read below, wiped */
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : (sipc__seterr(err, errlen, "%s: %s", path, strerror(errno)),
                                      SIPC_ETLSCONFIG);
    close(fd);
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

/* security/previous/node.crt when the trust does not hold it (no
 * committed rotation names it): named in the refusal of a peer presenting
 * it. Only words depend on it, so a file that cannot be read leaves them
 * as they were rather than stop the node from loading its trust. */
static void set_former_pair(sipc_trust *t, const char *home)
{
    char path[1200], err[300];
    snprintf(path, sizeof path, "%s/security/previous/node.crt", home);
    if (access(path, F_OK) != 0)
        return;
    sipc_keypair kp;
    memset(&kp, 0, sizeof kp);
    if (sipc_keypair_load_pem(&kp, path, NULL, err, sizeof err) != 0)
        return;
    sipc_trust_set_former(t, &kp, sipc_previous_origin_read(home, kp.fingerprint), err,
                          sizeof err);
    sipc_keypair_free(&kp);
}

int sipc_trust_add_root_file(sipc_trust *t, const char *path, const uint8_t *buf, size_t len,
                             char *err, size_t errlen)
{
    char why[300];
    sipc_der certs[SIPC_TRUST_FILE_ROOTS];
    int nc = 0, r = 0;
    int pr = sipc_pem_certs((const char *)buf, len, certs, SIPC_TRUST_FILE_ROOTS, &nc, why,
                            sizeof why);
    if (pr == SIPC_ETOOBIG) {
        sipc__seterr(err, errlen, "%s: a bundle of roots that %s: split it into several files",
                     path, why);
        return SIPC_ETLSCONFIG;
    }
    if (pr != 0) {
        sipc__seterr(err, errlen, "%s: %s", path, why);
        return SIPC_ETLSCONFIG;
    }
    if (nc == 0) {
        sipc__seterr(err, errlen, "%s: no PEM certificate in it", path);
        r = SIPC_ETLSCONFIG;
    }
    /* past a refused root the others are still added: a caller that only
     * shows the trust (tlstool without a pair) keeps what can be kept */
    for (int k = 0; k < nc; k++) {
        if (sipc_trust_add_root(t, certs[k].data, certs[k].len, why, sizeof why) != 0 && r == 0) {
            sipc__seterr(err, errlen, "%s: %s", path, why);
            r = SIPC_ETLSCONFIG;
        }
        sipc_der_free(&certs[k]);
    }
    return r;
}

/* sipc_trust_add_home_files' reading: the trust filled, and who is told of
 * a file sipcd refuses (NULL: such a file stops the walk). */
typedef struct home_files {
    sipc_trust *t;
    sipc_trust_refused_fn *refused;
    void *arg;
    const char *crl_out; /* a crl/ file left out, NULL for none */
} home_files;

/* A file refused (err says why): the walk's error, or told and left out. */
static int refused_file(const home_files *hf, char *err, size_t errlen)
{
    if (!hf->refused)
        return SIPC_ETLSCONFIG;
    hf->refused(hf->arg, errlen ? err : "");
    if (errlen)
        err[0] = '\0';
    return 0;
}

/* sipc_trust_home_files' callbacks: the roots of a trust/ file, a crl/
 * file; other names are not loaded */
static int add_root_file(const char *path, const char *name, const uint8_t *buf, size_t len,
                         void *arg, char *err, size_t errlen)
{
    home_files *hf = arg;
    (void)name;
    if (buf && sipc_trust_add_root_file(hf->t, path, buf, len, err, errlen) != 0)
        return refused_file(hf, err, errlen);
    return 0;
}

static int add_crl_file(const char *path, const char *name, const uint8_t *buf, size_t len,
                        void *arg, char *err, size_t errlen)
{
    home_files *hf = arg;
    if (!buf || (hf->crl_out && !strcmp(name, hf->crl_out)))
        return 0;
    char label[300], why[600];
    snprintf(label, sizeof label, "crl/%s", name);
    if (sipc_trust_add_crl_named(hf->t, buf, len, label, why, sizeof why) != 0) {
        sipc__seterr(err, errlen, "%s: %s", path, why);
        return refused_file(hf, err, errlen);
    }
    return 0;
}

static int add_home_files(sipc_trust *t, const char *home, sipc_trust_refused_fn *refused,
                          void *arg, const char *crl_out, char *err, size_t errlen)
{
    home_files hf = {t, refused, arg, crl_out};
    if (sipc_trust_home_files(home, "trust", sipc_trust_root_names, add_root_file, &hf, err,
                              errlen) < 0 ||
        sipc_trust_home_files(home, "crl", sipc_trust_crl_names, add_crl_file, &hf, err,
                              errlen) < 0)
        return SIPC_ETLSCONFIG;
    return 0;
}

int sipc_trust_add_home_files(sipc_trust *t, const char *home, sipc_trust_refused_fn *refused,
                              void *arg, char *err, size_t errlen)
{
    return add_home_files(t, home, refused, arg, NULL, err, errlen);
}

int sipc_trust_load_home(sipc_trust **out, const char *home, const sipc_trust_policy *policy,
                         char *err, size_t errlen)
{
    return sipc_trust_load_home_without_crl(out, home, policy, NULL, err, errlen);
}

int sipc_trust_load_home_without_crl(sipc_trust **out, const char *home,
                                     const sipc_trust_policy *policy, const char *crl_out,
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
    t->rotation_rolled_back = rot.state == SIPC_ROTATION_ROLLED_BACK;
    if (r == 0 && rot.state == SIPC_ROTATION_COMMITTED && rot.previous[0])
        r = add_rotation_pair(t, home, "previous", "previous pair", rot.previous, err, errlen);
    else if (r == 0)
        set_former_pair(t, home);
    if (r != 0) {
        sipc_trust_free(t);
        return r;
    }
    if (add_home_files(t, home, NULL, NULL, crl_out, err, errlen) != 0) {
        sipc_trust_free(t);
        return SIPC_ETLSCONFIG;
    }
    *out = t;
    return 0;
}
