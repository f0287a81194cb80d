/* home_lock_read.c - see home_lock_read.h. */
#include "home_lock_read.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "sipc/sipc.h"

long sipc__home_lock_named(const char *path, int64_t *written_ms)
{
    if (written_ms)
        *written_ms = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return 0;
    char buf[32];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    struct stat st;
    int got_time = fstat(fd, &st) == 0;
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    char *end;
    errno = 0;
    long pid = strtol(buf, &end, 10);
    if (errno || end == buf || (*end && *end != '\n') || pid <= 0)
        return 0;
    if (written_ms && got_time)
        *written_ms = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
    return pid;
}

/* The fields of /proc/PID/stat after COMM (" STATE PPID ..."), read into
 * line: NULL when the file cannot be read (errno from fopen kept) or COMM's
 * end is not found. */
static const char *proc_stat_fields(long pid, char *line, size_t len)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return NULL;
    size_t n = fread(line, 1, len - 1, f);
    fclose(f);
    line[n] = '\0';
    /* "PID (COMM) STATE ...": COMM may hold ") ", so the last one ends it */
    const char *p = strrchr(line, ')');
    return p && p[1] == ' ' ? p + 1 : (errno = 0, NULL);
}

int sipc__pid_alive(long pid)
{
    char line[512];
    errno = 0;
    const char *p = proc_stat_fields(pid, line, sizeof line);
    if (!p && errno) /* no /proc entry to read: ask the kernel itself */
        return kill((pid_t)pid, 0) == 0 || errno == EPERM;
    if (!p)
        return 1;
    return p[1] != 'Z' && p[1] != 'X';
}

/* Whether pid is a live process whose command is sipcd. */
static int sipcd_alive(long pid)
{
    char path[64], comm[32] = "";
    snprintf(path, sizeof path, "/proc/%ld/comm", pid);
    FILE *c = fopen(path, "re");
    if (!c)
        return 0;
    int is = fgets(comm, sizeof comm, c) && !strcmp(comm, "sipcd\n");
    fclose(c);
    return is && sipc__pid_alive(pid);
}

/* The device /proc/locks names home's lock on: the file system's own
 * (major:minor of its superblock), which is st_dev's except where a file
 * system reports another in stat (a btrfs subvolume): taken from the
 * mount's line in /proc/self/mountinfo, st_dev where that cannot be read. */
static void lock_dev(const char *home, const struct stat *st, unsigned *maj, unsigned *min)
{
    *maj = major(st->st_dev);
    *min = minor(st->st_dev);
    struct statx sx;
    if (statx(AT_FDCWD, home, AT_STATX_SYNC_AS_STAT, STATX_MNT_ID, &sx) != 0 ||
        !(sx.stx_mask & STATX_MNT_ID) || sx.stx_ino != st->st_ino)
        return;
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (!f)
        return;
    /* "ID PARENT MAJ:MIN ROOT MOUNT_POINT ...": a line longer than the
     * buffer (an overlay's layers) is read in parts, only its first parsed */
    char line[1024];
    int at_start = 1;
    while (fgets(line, sizeof line, f)) {
        unsigned long long id;
        unsigned a, b;
        int whole = strchr(line, '\n') != NULL;
        if (at_start && sscanf(line, "%llu %*u %u:%u", &id, &a, &b) == 3 &&
            id == sx.stx_mnt_id) {
            *maj = a;
            *min = b;
            break;
        }
        at_start = whole;
    }
    fclose(f);
}

long sipc__home_lock_holder(const char *home, char *err, size_t errlen)
{
    struct stat st;
    char path[700];
    if (stat(home, &st) != 0) {
        snprintf(err, errlen, "cannot read node home %s: %s", home, strerror(errno));
        return -1;
    }
    if (snprintf(path, sizeof path, "%s/%s", home, SIPC_HOME_LOCK_FILE) >= (int)sizeof path) {
        snprintf(err, errlen, "node home path too long: %.80s...", home);
        return -1;
    }
    long pid = sipc__home_lock_named(path, NULL);
    if (!pid) {
        /* a file that is there but cannot be read says nothing either way */
        if (access(path, F_OK) == 0 && access(path, R_OK) != 0) {
            snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
            return -1;
        }
        return 0;
    }
    FILE *f = fopen("/proc/locks", "re");
    if (!f) {
        snprintf(err, errlen, "cannot read /proc/locks: %s", strerror(errno));
        return -1;
    }
    /* "1: FLOCK  ADVISORY  WRITE PID MAJ:MIN:INODE 0 EOF" (MAJ and MIN in
     * hex); a waiter has "->" as its second field. The whole device: a
     * lock on another file system's inode of the same number is not this
     * home's. */
    unsigned maj, min;
    lock_dev(home, &st, &maj, &min);
    char line[256];
    long found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        char type[16];
        long p;
        unsigned a, b;
        unsigned long long ino;
        if (sscanf(line, "%*s %15s %*s %*s %ld %x:%x:%llu", type, &p, &a, &b, &ino) == 5 &&
            !strcmp(type, "FLOCK") && p == pid && a == maj && b == min &&
            ino == (unsigned long long)st.st_ino)
            found = pid;
    }
    fclose(f);
    /* on a filesystem that refuses flock a sipcd runs without the lock, its
     * pid written all the same; a sipcd killed leaves its pid, which another
     * sipcd may have taken since: a live sipcd of that pid cannot be told
     * either way. A killed one not yet reaped (a zombie) runs nothing. */
    if (!found && sipcd_alive(pid)) {
        snprintf(err, errlen,
                 "%s names pid %ld, a running sipcd that holds no lock on this home (on a "
                 "filesystem without flock, or the pid of a sipcd killed here, taken by another "
                 "since): `sipcctl status` asks the node itself",
                 path, pid);
        found = -1;
    }
    return found;
}

/* The effective uid and the start (Unix ns) of process pid, from /proc:
 * 0, or -1 when either cannot be read. /proc/PID itself is root's for a
 * process that is not dumpable (sipcd), so the uid comes from its status. */
static int process_facts(long pid, uid_t *uid, int64_t *start_ns)
{
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    int got = 0;
    unsigned long e; /* "Uid: REAL EFFECTIVE SAVED FS" */
    while (!got && fgets(line, sizeof line, f))
        got = sscanf(line, "Uid: %*u %lu", &e) == 1;
    fclose(f);
    /* field 22, starttime, in clock ticks since boot: the 20th after COMM */
    const char *p = got ? proc_stat_fields(pid, line, sizeof line) : NULL;
    unsigned long long ticks;
    if (!p || sscanf(p, "%*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s "
                            "%*s %*s %llu", &ticks) != 1)
        return -1;
    struct timespec wall, boot;
    long hz = sysconf(_SC_CLK_TCK);
    if (hz <= 0 || clock_gettime(CLOCK_REALTIME, &wall) != 0 ||
        clock_gettime(CLOCK_BOOTTIME, &boot) != 0)
        return -1;
    int64_t booted = ((int64_t)wall.tv_sec - boot.tv_sec) * 1000000000 + wall.tv_nsec - boot.tv_nsec;
    *uid = (uid_t)e;
    *start_ns = booted + (int64_t)(ticks / (unsigned long long)hz) * 1000000000 +
                (int64_t)(ticks % (unsigned long long)hz) * 1000000000 / hz;
    return 0;
}

/* Whether st, of a file or folder in home's state/, can have been written
 * only by the account that owns home: owned by it and by no other writable. */
static int owner_only(const struct stat *st, uid_t owner)
{
    return st->st_uid == owner && !(st->st_mode & (S_IWGRP | S_IWOTH));
}

int sipc__home_tls_running(const char *home)
{
    char path[700], buf[64], why[900];
    struct stat hs, ds, fs;
    if (snprintf(path, sizeof path, "%s/state", home) >= (int)sizeof path || stat(home, &hs) != 0)
        return -1;
    /* sipcd runs as the home's owner (root's becomes it), who alone can
     * make state/ and write in it */
    int dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0)
        return -1;
    int fd = fstat(dfd, &ds) == 0 && owner_only(&ds, hs.st_uid)
                 ? openat(dfd, strrchr(SIPC_HOME_TLS_FILE, '/') + 1,
                          O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
                 : -1;
    close(dfd);
    if (fd < 0)
        return -1;
    ssize_t n = -1;
    if (fstat(fd, &fs) == 0 && S_ISREG(fs.st_mode) && owner_only(&fs, hs.st_uid))
        n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    long pid;
    char mode[16];
    if (sscanf(buf, "%ld %15s", &pid, mode) != 2 || pid <= 0)
        return -1;
    /* a file a killed run left names another pid than the live holder's,
     * or its own pid now another process's: one of another account (which
     * can take the lock of a home it may read), or one started after the
     * file was written; a tick of the start's and the clock's rounding
     * allowed */
    uid_t uid;
    int64_t started, written = (int64_t)fs.st_mtim.tv_sec * 1000000000 + fs.st_mtim.tv_nsec;
    if (sipc__home_lock_holder(home, why, sizeof why) != pid ||
        process_facts(pid, &uid, &started) != 0 || uid != fs.st_uid ||
        written + 20000000 < started)
        return -1;
    const sipc_tls_mode modes[] = {SIPC_TLS_OFF, SIPC_TLS_PERMISSIVE, SIPC_TLS_STRICT};
    for (int i = 0; i < 3; i++)
        if (!strcmp(mode, sipc_tls_mode_name(modes[i])))
            return (int)modes[i];
    return -1;
}
