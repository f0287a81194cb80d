/* home_lock_read.c - see home_lock_read.h. */
#include "home_lock_read.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

int sipc__pid_alive(long pid)
{
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "re");
    if (!f) /* no /proc entry to read: ask the kernel itself */
        return kill((pid_t)pid, 0) == 0 || errno == EPERM;
    size_t n = fread(line, 1, sizeof line - 1, f);
    fclose(f);
    line[n] = '\0';
    /* "PID (COMM) STATE ...": COMM may hold ") ", so the last one ends it */
    const char *p = strrchr(line, ')');
    if (!p || p[1] != ' ')
        return 1;
    return p[2] != 'Z' && p[2] != 'X';
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
    /* "1: FLOCK  ADVISORY  WRITE PID MAJ:MIN:INODE 0 EOF"; a waiter has "->"
     * as its second field */
    char line[256], ino[32];
    snprintf(ino, sizeof ino, ":%llu", (unsigned long long)st.st_ino);
    size_t il = strlen(ino);
    long found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        char type[16], dev[96];
        long p;
        if (sscanf(line, "%*s %15s %*s %*s %ld %95s", type, &p, dev) != 3)
            continue;
        size_t dl = strlen(dev);
        if (!strcmp(type, "FLOCK") && p == pid && dl >= il && !strcmp(dev + dl - il, ino))
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

int sipc__home_tls_running(const char *home)
{
    char path[700], buf[64], why[900];
    if (snprintf(path, sizeof path, "%s/%s", home, SIPC_HOME_TLS_FILE) >= (int)sizeof path)
        return -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    long pid;
    char mode[16];
    if (sscanf(buf, "%ld %15s", &pid, mode) != 2 || pid <= 0)
        return -1;
    /* a file a killed run left names another pid than the live holder's */
    if (sipc__home_lock_holder(home, why, sizeof why) != pid)
        return -1;
    const sipc_tls_mode modes[] = {SIPC_TLS_OFF, SIPC_TLS_PERMISSIVE, SIPC_TLS_STRICT};
    for (int i = 0; i < 3; i++)
        if (!strcmp(mode, sipc_tls_mode_name(modes[i])))
            return (int)modes[i];
    return -1;
}
