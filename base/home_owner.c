/* home_owner.c - see home_owner.h. */
#include "base/home_owner.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "base/error_text.h"
#include "base/shown_text.h"
#include "sipc/errno.h"

/* home's owner, or (uid_t)-1 when it cannot be looked at */
static uid_t owner_of(const char *home)
{
    struct stat st;
    return home && stat(home, &st) == 0 ? st.st_uid : (uid_t)-1;
}

int sipc__owner_trusted(uid_t uid, const char *home)
{
    if (uid == geteuid() || uid == 0)
        return 1;
    return geteuid() == 0 && uid == owner_of(home);
}

void sipc__owner_fix(const char *home, const char *path, int link, char *err, size_t errlen)
{
    uid_t owner = owner_of(home);
    const char *h = link ? "-h " : "";
    char word[4400]; /* the path as a word to paste */
    sipc__shell_word(path, word, sizeof word);
    if (geteuid() == 0 && owner != (uid_t)-1 && owner != 0)
        sipc__adderr(err, errlen, ": run `chown %s%u %s` (uid %u owns %s, and its node runs as it)",
                     h, (unsigned)owner, word, (unsigned)owner, home);
    else
        sipc__adderr(err, errlen,
                     ": run `chown %s%u %s` (uid %u is the account this program runs as)", h,
                     (unsigned)geteuid(), word, (unsigned)geteuid());
}

/* A file system mounted read-only passes the write test whatever its mode
 * bits: the root of a Kubernetes Secret (tmpfs, 1777) or ConfigMap (0777)
 * volume, which the kubelet mounts read-only, cannot be changed through the
 * mount by anyone, and `chmod` there fails. What such a mount shows can still
 * change where its source is writable (a bind mount of a folder others may
 * write): only root can mount or remount, so that is root's choice, trusted
 * as a root-owned file is; the kubelet keeps its sources in a root-only
 * folder. The owner test still applies to what a read-only mount holds. */
static int read_only_fs(int fd)
{
    struct statvfs sv;
    return fstatvfs(fd, &sv) == 0 && (sv.f_flag & ST_RDONLY);
}

int sipc__owner_guard(const char *home, int fd, const struct stat *st, const char *where,
                      const char *on, int mode_free, const char *harm, const char *tail,
                      char *err, size_t errlen)
{
    if (!sipc__owner_trusted(st->st_uid, home)) {
        sipc__seterr(err, errlen, "%s%s belongs to another account (uid %u), which could %s",
                     where, on, (unsigned)st->st_uid, harm);
        sipc__owner_fix(home, where, S_ISLNK(st->st_mode), err, errlen);
        return SIPC_ECONFIG;
    }
    if (mode_free || !(st->st_mode & 022) || read_only_fs(fd))
        return 0;
    char word[4400]; /* the path as a word to paste */
    sipc__seterr(err, errlen,
                 "%s%s can be changed by other users (mode %04o), who could %s: run `chmod go-w "
                 "%s`%s",
                 where, on, (unsigned)(st->st_mode & 07777), harm,
                 sipc__shell_word(where, word, sizeof word), tail);
    return SIPC_ECONFIG;
}

/* path (shown so: on, as in sipc__owner_guard) looked at as what it leads
 * to; a folder may be sticky when sticky_ok. 0 when it is fine or not
 * there. */
static int guard_path(const char *home, const char *path, const char *on, int sticky_ok,
                      const char *harm, char *err, size_t errlen)
{
    int fd = open(path, O_PATH | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return 0; /* none: its reader says what is wrong, if anything */
    int r = 0;
    if (fstat(fd, &st) == 0)
        r = sipc__owner_guard(home, fd, &st, path, on,
                              sticky_ok && S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX), harm, "",
                              err, errlen);
    close(fd);
    return r;
}

/* One more finding of sipc__home_guard (r its result so far) into err. */
static int home_finding(int r, const char *one, char *err, size_t errlen)
{
    if (r == 0)
        sipc__seterr(err, errlen, "%s", one);
    else
        sipc__adderr(err, errlen, "; and %s", one);
    return SIPC_ECONFIG;
}

int sipc__home_guard(const char *home, char *err, size_t errlen)
{
    static const char harm[] = "turn TLS off or choose whom this node trusts (its [tls] section)";
    char conf[PATH_MAX + 16], to[PATH_MAX], on[PATH_MAX + 64], one[3 * PATH_MAX + 1000];
    int r = 0;
    if (guard_path(home, home, "", 0,
                   "put a sipc.conf of their own in its place, and so turn TLS off or choose "
                   "whom this node trusts",
                   one, sizeof one) != 0)
        r = home_finding(r, one, err, errlen);
    snprintf(conf, sizeof conf, "%s/sipc.conf", home);
    if (guard_path(home, conf, "", 0, harm, one, sizeof one) != 0)
        r = home_finding(r, one, err, errlen);
    struct stat ls;
    /* a link (to a file a configuration tool keeps elsewhere): the folder
     * of what it leads to could put another file in its place */
    if (lstat(conf, &ls) == 0 && S_ISLNK(ls.st_mode) && realpath(conf, to)) {
        char *slash = strrchr(to, '/');
        if (slash == to)
            slash[1] = '\0';
        else if (slash)
            *slash = '\0';
        snprintf(on, sizeof on, ", which %s leads to,", conf);
        if (guard_path(home, to, on, 1, harm, one, sizeof one) != 0)
            r = home_finding(r, one, err, errlen);
    }
    return r;
}
