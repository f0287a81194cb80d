/* data_dir.c - the database's directory and files at start: made and
 * checked (owners, modes, links), the database's names claimed, a new
 * records.db made; and a -wal and -shm set aside (a leftover one at start,
 * the open database's when it stops). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <linux/magic.h>
#include <sqlite3.h>

#include "data_service_impl.h"
#include "shown_text.h"

/* mkdir -p with mode 0700 for the directories it creates. */
int data_make_dirs(const char *dir, char *err, size_t errlen)
{
    char *p = strdup(dir);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return SIPC_ENOMEM;
    }
    int rc = 0;
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char c = *s;
        *s = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST) {
            /* the errno: a directory that could not be made, where the
             * other problems of the directory are SIPC_ECONFIG */
            rc = -errno;
            snprintf(err, errlen, "%s: cannot create directory: %s", p, strerror(errno));
            break;
        }
        *s = c;
        if (c == '\0')
            break;
    }
    free(p);
    return rc;
}

/* The uid files show for an owner this machine cannot map (NFS root_squash,
 * NFSv4 id mapping, rootless containers): usually 65534. */
static uid_t overflow_uid(void)
{
    unsigned long v = 65534;
    FILE *fp = fopen("/proc/sys/fs/overflowuid", "re");
    if (fp) {
        if (fscanf(fp, "%lu", &v) != 1)
            v = 65534;
        fclose(fp);
    }
    return (uid_t)v;
}

/* An owner the data service trusts: its own account, root, or the overflow
 * uid where id mapping shows this account's files so (only where other
 * accounts cannot add files: overflow_ok). */
static int trusted_owner(uid_t uid, int overflow_ok)
{
    return uid == geteuid() || uid == 0 || (overflow_ok && uid == overflow_uid());
}

/* Whether the overflow uid owning the directory fd (stat st) can stand for
 * this account: ids are mapped there (NFS, CIFS, FUSE; a user namespace
 * that does not map every id), or this account may write it although only
 * its owner may. On a local disk without mapping it is the real `nobody`,
 * an account daemons run as. */
static int ids_mapped(int fd, const struct stat *st)
{
    struct statfs sf;
    if (fstatfs(fd, &sf) == 0 && (sf.f_type == NFS_SUPER_MAGIC || sf.f_type == SMB2_SUPER_MAGIC ||
                                  sf.f_type == CIFS_SUPER_MAGIC || sf.f_type == FUSE_SUPER_MAGIC))
        return 1;
    FILE *fp = fopen("/proc/self/uid_map", "re");
    if (fp) {
        unsigned long in, out, count;
        int n = fscanf(fp, "%lu %lu %lu", &in, &out, &count);
        int identity = n == 3 && in == 0 && out == 0 && count == 4294967295ul &&
                       fscanf(fp, "%lu", &in) != 1;
        fclose(fp);
        if (n == 3 && !identity)
            return 1;
    }
    /* root may write anything: its access says nothing */
    return geteuid() != 0 && !(st->st_mode & 022) && faccessat(fd, ".", W_OK, AT_EACCESS) == 0;
}


/* The names the database uses. SQLite deletes -wal and -shm at a clean
 * close and replays a -wal it finds at the next open, and a hot -journal
 * before that: one left by another account would be played into the
 * database. */
const char *const data_db_files[DB_FILES_N] = {"records.db", "records.db-wal", "records.db-shm",
                                               "records.db-journal"};

/* The database's files (data_db_files), checked where they exist (SQLite makes
 * the others): not links, regular, owned by a trusted account and writable
 * by no other (the overflow uid only where overflow_ok). */
static int check_db_files(int fd, const char *dir, int overflow_ok, char *err, size_t errlen)
{
    const char *const *files = data_db_files;
    struct stat st;
    for (size_t i = 0; i < DB_FILES_N; i++) {
        if (fstatat(fd, files[i], &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue; /* none yet: SQLite makes it */
        if (S_ISLNK(st.st_mode)) {
            char to[512];
            ssize_t n = readlinkat(fd, files[i], to, sizeof to - 1);
            to[n > 0 ? n : 0] = '\0';
            snprintf(err, errlen,
                     "%s/%s is a symbolic link%s%s%s, which the data service does not follow: "
                     "put the file itself there (to keep the database on another disk, link "
                     "the data directory instead and move records.db, records.db-wal and "
                     "records.db-shm into the directory it points to)",
                     dir, files[i], to[0] ? " (to " : "", to, to[0] ? ")" : "");
            return SIPC_ECONFIG;
        }
        if (!S_ISREG(st.st_mode)) {
            snprintf(err, errlen, "%s/%s is not a regular file", dir, files[i]);
            return SIPC_ECONFIG;
        }
        /* the commands below are pasted: the file's path as one shell word */
        char path[PATH_MAX], word[4 * PATH_MAX + 4];
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        if (!trusted_owner(st.st_uid, overflow_ok)) {
            snprintf(err, errlen,
                     "%s belongs to uid %u, not to this account (uid %u) nor root: another "
                     "account may have put it there, and SQLite would read it as the "
                     "database's own. If it is the database's (copied by another account), "
                     "run `chown %u %s` as root; if not, remove it",
                     path, (unsigned)st.st_uid, (unsigned)geteuid(), (unsigned)geteuid(),
                     cli_shell_word(path, word, sizeof word));
            return SIPC_ECONFIG;
        }
        if (st.st_mode & 022) {
            snprintf(err, errlen,
                     "%s can be written by other accounts (mode %04o), which could change "
                     "the database: run `chmod go-w %s`",
                     path, (unsigned)(st.st_mode & 07777), cli_shell_word(path, word, sizeof word));
            return SIPC_ECONFIG;
        }
    }
    return 0;
}

/* In a directory other accounts may write (sticky), the names the database
 * will use are taken now, while they are checked to be free or ours: after
 * that, the sticky bit keeps them ours, and no file can be slipped in
 * between this check and SQLite's open. SQLite reads an empty -wal as no
 * log and an empty -journal as no journal. */
static int claim_db_files(int fd, const char *dir, char *err, size_t errlen)
{
    const char *const *files = data_db_files;
    for (size_t i = 0; i < DB_FILES_N; i++) {
        int f = openat(fd, files[i], O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (f >= 0)
            close(f);
        else if (errno != EEXIST) {
            snprintf(err, errlen, "%s/%s: cannot create: %s", dir, files[i], strerror(errno));
            return SIPC_ECONFIG;
        }
    }
    return 0;
}

/* An empty records.db (a new database) in a sticky directory: SQLite would
 * delete the -wal claimed for it at its open (an empty database has no
 * log) and create it again at the first write, open to whoever made the
 * name meanwhile. So the database is made by SQLite in a private 0700
 * directory beside it, in WAL mode, and renamed over the claimed empty
 * name: SQLite then opens the claimed -wal as this database's log. */
static int init_db_file(int fd, const char *real, const char *dir, char *err, size_t errlen)
{
    struct stat st;
    if (fstatat(fd, "records.db", &st, AT_SYMLINK_NOFOLLOW) != 0 || st.st_size > 0)
        return 0;
    char tmp[PATH_MAX], path[PATH_MAX + 32], side[PATH_MAX + 48];
    if (snprintf(tmp, sizeof tmp, "%s/.records.db-new-XXXXXX", real) >= (int)sizeof tmp ||
        !mkdtemp(tmp)) {
        snprintf(err, errlen, "%s: cannot make a directory to create the database in: %s", dir,
                 strerror(errno));
        return SIPC_ECONFIG;
    }
    snprintf(path, sizeof path, "%s/records.db", tmp);
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        snprintf(err, errlen, "%s/records.db: cannot create: %s", dir,
                 db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    if (rc == SQLITE_OK && (stat(path, &st) != 0 || st.st_size == 0)) {
        snprintf(err, errlen, "%s/records.db: SQLite made an empty database", dir);
        rc = SQLITE_ERROR;
    }
    if (rc == SQLITE_OK && renameat(AT_FDCWD, path, fd, "records.db") != 0) {
        snprintf(err, errlen, "%s/records.db: cannot put the new database in place: %s", dir,
                 strerror(errno));
        rc = SQLITE_ERROR;
    }
    for (size_t i = 0; i < DB_FILES_N; i++) {
        snprintf(side, sizeof side, "%s/%s", tmp, data_db_files[i]);
        unlink(side);
    }
    rmdir(tmp);
    return rc == SQLITE_OK ? 0 : SIPC_ECONFIG;
}

static int set_aside_at(const char *db_path, const char *tag, char *wal_out, char *shm_out);

static void start_set_aside(int fd, const char *real, int others_write, db_start *start)
{
    struct stat st, ws, ss;
    int none = fstatat(fd, "records.db", &st, AT_SYMLINK_NOFOLLOW) != 0;
    if (none ? errno != ENOENT : !S_ISREG(st.st_mode) || st.st_size > 0)
        return;
    int wal = fstatat(fd, "records.db-wal", &ws, AT_SYMLINK_NOFOLLOW) == 0;
    int shm = fstatat(fd, "records.db-shm", &ss, AT_SYMLINK_NOFOLLOW) == 0;
    /* an empty -wal holds nothing (a stop's checkpoint leaves one beside a
     * records.db removed meanwhile; in a sticky directory it may be the
     * name claimed for this database, claim_db_files): it is kept, and
     * neither it nor its -shm is said to hold committed records */
    if (wal && ws.st_size == 0)
        return;
    if (others_write && !wal)
        return;
    if (!wal && !shm)
        return;
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/records.db", real);
    start->tried = 1;
    start->wal_kept =
        set_aside_at(path, "set-aside", start->set_aside[0], start->set_aside[1]);
}

/* The reason nothing is made while a missing or empty records.db has a
 * -wal beside it (holding committed records) that is still there. */
void data_leftover_wal_reason(const char *db_path, const char *why, char *err, size_t errlen)
{
    /* cut short in a small err: the reason comes first */
    int n = snprintf(err, errlen,
             "%.500s is missing or empty, but %.500s-wal is there (its log, holding committed "
             "records)%s%.300s: no new database is made over it (SQLite would discard it); "
             "put its records.db back, or move the -wal away (with the -shm), and the data "
             "service opens then",
             db_path, db_path, why && why[0] ? ", and " : "", why ? why : "");
    if (n < 0 && errlen)
        err[0] = '\0';
}

/* Any thread: records.db at path is missing or empty and a -wal with
 * content is beside it. */
int data_leftover_wal(const char *path)
{
    char wal[PATH_MAX + 8];
    struct stat st, ws;
    snprintf(wal, sizeof wal, "%s-wal", path);
    if (lstat(wal, &ws) != 0 || ws.st_size == 0)
        return 0;
    if (lstat(path, &st) != 0)
        return errno == ENOENT;
    return S_ISREG(st.st_mode) && st.st_size == 0;
}

/* The directory may be a symbolic link (the database on another disk is an
 * operator's choice). It is resolved once, here: every connection, the
 * readers opened later included, opens the database by that resolved path
 * with SQLITE_OPEN_NOFOLLOW, so a link re-pointed or planted afterwards (in
 * the path, or as records.db, -wal, -shm) is refused, never followed, and
 * every reader opens the directory checked here. That directory must not be
 * writable by other accounts, unless sticky, and its owner must be this
 * account, root or the overflow uid where ids are mapped (on NFS with
 * root_squash, with NFSv4 id mapping and in rootless containers this
 * account's directory shows so): any other owner could put files of its
 * own in place of the database's.
 * *resolved: malloc'd. */
int data_check_db_dir(const char *dir, char **resolved, db_start *start, char *err,
                      size_t errlen)
{
    *resolved = realpath(dir, NULL);
    if (!*resolved) {
        snprintf(err, errlen, "%s: %s", dir,
                 errno == ENOTDIR ? "not a directory" : strerror(errno));
        return SIPC_ECONFIG;
    }
    int fd = open(*resolved, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", dir,
                 errno == ENOTDIR ? "not a directory" : strerror(errno));
        free(*resolved);
        *resolved = NULL;
        return SIPC_ECONFIG;
    }
    struct stat st;
    int rc = SIPC_ECONFIG;
    /* the commands below are pasted: the directory as one shell word */
    char word[4 * PATH_MAX + 4];
    cli_shell_word(*resolved, word, sizeof word);
    if (fstat(fd, &st) != 0)
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
    else if ((st.st_mode & 022) && !(st.st_mode & S_ISVTX))
        snprintf(err, errlen,
                 "%s can be written by other accounts (mode %04o), which could put files of "
                 "their own in place of the database's: run `chmod go-w %s` as its owner "
                 "(uid %u), or `chmod +t %s` if other accounts must keep writing there",
                 dir, (unsigned)(st.st_mode & 07777), word, (unsigned)st.st_uid, word);
    else if (!trusted_owner(st.st_uid, st.st_uid == overflow_uid() && ids_mapped(fd, &st)))
        snprintf(err, errlen,
                 "%s belongs to uid %u, another account%s, which could put files of its own in "
                 "place of the database's: run `chown %u %s` as root (or move the data "
                 "directory to one this account owns)",
                 dir, (unsigned)st.st_uid,
                 st.st_uid == overflow_uid()
                     ? " (the overflow uid, here not standing for this account: no id "
                       "mapping on this filesystem)"
                     : "",
                 (unsigned)geteuid(), word);
    else {
        int others_write = (st.st_mode & 022) != 0;
        int overflow_ok = !others_write && ids_mapped(fd, &st);
        rc = check_db_files(fd, dir, overflow_ok, err, errlen);
        if (rc == 0 && start)
            start_set_aside(fd, *resolved, others_write, start);
        if (rc == 0 && others_write && !(start && start->wal_kept) &&
            (rc = claim_db_files(fd, dir, err, errlen)) == 0 &&
            (rc = check_db_files(fd, dir, 0, err, errlen)) == 0) /* one made meanwhile */
            rc = init_db_file(fd, *resolved, dir, err, errlen);
    }
    close(fd);
    if (rc != 0) {
        free(*resolved);
        *resolved = NULL;
    }
    return rc;
}

/* Any thread: records.db-wal and records.db-shm beside db_path renamed to
 * NAME.TAG-TIME (a new name, never over a file), their new names in out
 * ("" for none there; the reason in it when one cannot be). Returns
 * nonzero when the -wal is there and could not be set aside. */
static int set_aside_at(const char *db_path, const char *tag, char *wal_out, char *shm_out)
{
    static const char *const sfx[2] = {"-wal", "-shm"};
    /* two pointers, not a char[2][1100] parameter: GCC 12 at -O1 with the
     * sanitizers took the rows for one (-Wstringop-overflow) */
    char *out[2] = {wal_out, shm_out};
    int wal_failed = 0;
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    for (int k = 0; k < 2; k++) {
        char from[1000], to[1100];
        struct stat st;
        out[k][0] = '\0';
        snprintf(from, sizeof from, "%s%s", db_path, sfx[k]);
        /* an empty -wal holds no record: kept (SQLite replays nothing) */
        if (lstat(from, &st) != 0 || (k == 0 && st.st_size == 0))
            continue;
        int r = -1;
        for (int i = 0; i < 100 && r != 0; i++) {
            if (i == 0)
                snprintf(to, sizeof to, "%.999s.%.20s-%.20s", from, tag, stamp);
            else
                snprintf(to, sizeof to, "%.999s.%.20s-%.20s-%d", from, tag, stamp, i);
            /* never over a file: a name taken is skipped */
            r = renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE);
            if (r != 0 && (errno == EINVAL || errno == ENOSYS)) {
                r = link(from, to); /* a file system without it */
                if (r == 0)
                    unlink(from);
            }
            if (r != 0 && errno != EEXIST)
                break;
        }
        if (r != 0) {
            snprintf(out[k], SET_ASIDE_LEN, "%.900s could not be set aside (%.100s)", from,
                     strerror(errno));
            wal_failed |= k == 0;
            continue;
        }
        snprintf(out[k], SET_ASIDE_LEN, "%.1099s", to);
    }
    return wal_failed;
}

/* Any thread: set_aside_at for the open database, into d->set_aside.
 * own: only when that -wal is the one the writer had open (oldwal), as
 * another records.db put in place may have come with its own. */
void data_set_aside_logs(sipc_data *d, const char *tag, int own)
{
    d->set_aside[0][0] = d->set_aside[1][0] = '\0';
    if (own) {
        char wal[PATH_MAX];
        struct stat ws;
        snprintf(wal, sizeof wal, "%s-wal", d->db_path);
        if (!d->oldwal.known || lstat(wal, &ws) != 0 ||
            (unsigned long long)ws.st_dev != d->oldwal.dev ||
            (unsigned long long)ws.st_ino != d->oldwal.ino)
            return;
    }
    set_aside_at(d->db_path, tag, d->set_aside[0], d->set_aside[1]);
}
