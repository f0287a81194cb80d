/* port_holder.c - see port_holder.h. */
#include "port_holder.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sipc/node.h"

#define TCP_LISTEN 0x0A
/* The walk over every process's descriptors stops after this long: on a
 * host with a million descriptors it would hold the start for seconds. */
#define WALK_BUDGET_MS 200

/* The inode of a socket listening at port on an address a bind to want
 * conflicts with: want itself, a wildcard covering it, or, when want is a
 * wildcard, any address it covers; from one of /proc/net/tcp (v6 0) or
 * tcp6 (v6 1); 0 when none. Its owner's uid into *uid. The kernel prints
 * each 32-bit word of the address in host order. */
static unsigned long listening_inode(const char *file, int v6, const unsigned char *want,
                                     int want_v6, int port, unsigned *uid)
{
    static const unsigned char zero[16], mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    /* [::] also binds IPv4 (unless v6only), so it meets every listener */
    int want_any = !memcmp(want, zero, want_v6 ? 16 : 4);
    FILE *f = fopen(file, "re");
    if (!f)
        return 0;
    char line[512];
    unsigned long found = 0;
    if (!fgets(line, sizeof line, f)) { /* the header */
        fclose(f);
        return 0;
    }
    while (!found && fgets(line, sizeof line, f)) {
        char addr[40];
        unsigned lport, state, owner;
        unsigned long inode;
        if (sscanf(line, " %*d: %39[0-9A-Fa-f]:%x %*s %x %*s %*s %*s %u %*s %lu", addr, &lport,
                   &state, &owner, &inode) != 5 ||
            state != TCP_LISTEN || (int)lport != port)
            continue;
        unsigned char a[16] = {0};
        int words = v6 ? 4 : 1;
        if (strlen(addr) != (size_t)words * 8)
            continue;
        for (int w = 0; w < words; w++) {
            char hex[9];
            memcpy(hex, addr + 8 * w, 8);
            hex[8] = '\0';
            uint32_t v = (uint32_t)strtoul(hex, NULL, 16);
            memcpy(a + 4 * w, &v, 4);
        }
        int match;
        if (want_any && want_v6)
            match = 1;
        else if (!v6)
            match = !want_v6 && (want_any || !memcmp(a, want, 4) || !memcmp(a, zero, 4));
        else if (!memcmp(a, zero, 16)) /* [::] also takes IPv4 unless v6only */
            match = 1;
        else if (want_v6)
            match = !memcmp(a, want, 16);
        else
            match = !memcmp(a, mapped, 12) && (want_any || !memcmp(a + 12, want, 4));
        if (match) {
            found = inode;
            *uid = owner;
        }
    }
    fclose(f);
    return found;
}

/* /proc/PID/what's first len - 1 bytes into buf, NUL-terminated; their
 * count, or -1 when it cannot be read. */
static ssize_t read_proc(pid_t pid, const char *what, char *buf, size_t len)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/%s", (long)pid, what);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, len - 1);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    return n;
}

/* SIPC_HOME from pid's environment (readable for its own account and
 * root), into out; 0 when it cannot be read, 1 when read (out "" if unset). */
static int env_home(pid_t pid, char *out, size_t len)
{
    char buf[65536];
    out[0] = '\0';
    ssize_t n = read_proc(pid, "environ", buf, sizeof buf);
    if (n < 0)
        return 0;
    for (char *p = buf; p < buf + n; p += strlen(p) + 1)
        if (!strncmp(p, "SIPC_HOME=", 10) && p[10])
            snprintf(out, len, "%s", p + 10);
    return 1;
}

/* A sipcd's home: its --home (or -H) argument, else $SIPC_HOME from its
 * environment (the systemd unit gives it so), else the default home when
 * that environment was readable; "" when not known. */
static void sipcd_home(pid_t pid, char *out, size_t len)
{
    char path[64], buf[4096];
    out[0] = '\0';
    ssize_t n = read_proc(pid, "cmdline", buf, sizeof buf);
    if (n <= 0)
        return;
    for (char *p = buf; p < buf + n; p += strlen(p) + 1) {
        char *next = p + strlen(p) + 1;
        if (!strncmp(p, "--home=", 7))
            snprintf(out, len, "%s", p + 7);
        else if ((!strcmp(p, "--home") || !strcmp(p, "-H")) && next < buf + n)
            snprintf(out, len, "%s", next);
    }
    if (!out[0] && env_home(pid, out, len) && !out[0])
        snprintf(out, len, "%s", SIPC_DEFAULT_HOME);
    /* a relative home is the sipcd's, from its working directory */
    char cwd[PATH_MAX];
    ssize_t c;
    snprintf(path, sizeof path, "/proc/%ld/cwd", (long)pid);
    if (out[0] && out[0] != '/' && (c = readlink(path, cwd, sizeof cwd - 1)) > 0) {
        cwd[c] = '\0';
        char rel[PATH_MAX];
        snprintf(rel, sizeof rel, "%s", out);
        if (snprintf(out, len, "%s/%s", cwd, rel) >= (int)len)
            out[0] = '\0';
    }
}

/* A sipcd of this account whose descriptors this process cannot read: it
 * makes itself non-dumpable, which gives its /proc/PID/fd to root. */
static int unreadable_own_sipcd(pid_t pid)
{
    char buf[1024];
    if (read_proc(pid, "comm", buf, sizeof buf) <= 0 || strcmp(buf, "sipcd\n") != 0 ||
        read_proc(pid, "status", buf, sizeof buf) <= 0)
        return 0;
    const char *u = strstr(buf, "\nUid:");
    unsigned real, eff;
    return u && sscanf(u, "\nUid: %u %u", &real, &eff) == 2 && eff == (unsigned)geteuid();
}

/* Whether the sipcd of home would listen on address at port: its sipc.conf
 * (readable to its own account) names that port for a service on an
 * address a bind to address conflicts with, or for its metrics endpoint. A
 * guess about a process whose descriptors cannot be read is made only when
 * this holds. */
static int home_listens_at(const char *home, const char *address, int port)
{
    sipc_config cfg;
    char err[300];
    if (!home[0] || sipc_config_load_or_defaults(&cfg, home, err, sizeof err) != 0)
        return 0;
    if (sipc_same_host(cfg.address, address) || sipc_address_is_wildcard(cfg.address) ||
        sipc_address_is_wildcard(address)) {
        static const char *const services[] = {"data", "search", "management", "pipeline"};
        for (size_t i = 0; i < sizeof services / sizeof services[0]; i++)
            if (sipc_config_port(&cfg, services[i]) == port)
                return 1;
    }
    char host[160];
    int mport;
    return cfg.metrics_address[0] &&
           sipc_parse_address(cfg.metrics_address, 0, host, sizeof host, &mport) == 0 &&
           mport == port &&
           (sipc_same_host(host, address) || sipc_address_is_wildcard(host) ||
            sipc_address_is_wildcard(address));
}

static unsigned long holder_inode(const char *tcp, const char *tcp6, const char *address,
                                  int port, unsigned *uid)
{
    unsigned char want[16] = {0};
    int want_v6 = 0;
    if (inet_pton(AF_INET, address, want) != 1) {
        if (inet_pton(AF_INET6, address, want) != 1)
            return 0;
        want_v6 = 1;
    }
    unsigned long inode = listening_inode(tcp, 0, want, want_v6, port, uid);
    return inode ? inode : listening_inode(tcp6, 1, want, want_v6, port, uid);
}

unsigned long port_holder_inode(const char *tcp, const char *tcp6, const char *address, int port)
{
    unsigned uid;
    return holder_inode(tcp, tcp6, address, port, &uid);
}

static uint64_t monotonic_ms(void *arg)
{
    (void)arg;
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

void port_holder_walk(const char *proc_root, unsigned long inode, uint64_t (*clock_ms)(void *),
                      void *clock_arg, port_holder *out)
{
    pid_t own_sipcd = 0; /* the one unreadable sipcd of this account, -1: several */
    char target[64];
    int tlen = snprintf(target, sizeof target, "socket:[%lu]", inode);
    DIR *proc = opendir(proc_root);
    if (!proc)
        return;
    uint64_t t0 = clock_ms(clock_arg);
    struct dirent *de;
    /* the clock is read for every descriptor too: one process may hold a
     * million of them */
    while (!out->pid && !out->gave_up_ms && (de = readdir(proc))) {
        if (clock_ms(clock_arg) - t0 > WALK_BUDGET_MS) {
            out->gave_up_ms = WALK_BUDGET_MS;
            break;
        }
        char *end;
        long pid = strtol(de->d_name, &end, 10);
        if (*end || pid <= 0 || pid == (long)getpid())
            continue;
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%ld/fd", proc_root, pid);
        DIR *fds = opendir(path); /* another account's: EACCES, unless root */
        if (!fds) {
            if (out->same_account && own_sipcd >= 0 && unreadable_own_sipcd((pid_t)pid))
                own_sipcd = own_sipcd ? -1 : (pid_t)pid;
            continue;
        }
        struct dirent *fe;
        while ((fe = readdir(fds))) {
            char link[PATH_MAX + 300], got[64];
            if (fe->d_name[0] == '.')
                continue;
            if (clock_ms(clock_arg) - t0 > WALK_BUDGET_MS) {
                out->gave_up_ms = WALK_BUDGET_MS;
                break;
            }
            snprintf(link, sizeof link, "%s/%s", path, fe->d_name);
            ssize_t n = readlink(link, got, sizeof got - 1);
            if (n == tlen && !memcmp(got, target, (size_t)tlen)) {
                out->pid = (pid_t)pid;
                break;
            }
        }
        closedir(fds);
    }
    closedir(proc);
    if (!out->pid && !out->gave_up_ms && own_sipcd > 0) {
        out->pid = own_sipcd;
        out->inferred = 1;
    }
}

int port_holder_find(const char *address, int port, port_holder *out)
{
    memset(out, 0, sizeof *out);
    unsigned owner = 0;
    unsigned long inode = holder_inode("/proc/net/tcp", "/proc/net/tcp6", address, port, &owner);
    if (!inode)
        return -1;
    out->same_account = owner == (unsigned)geteuid();
    port_holder_walk("/proc", inode, monotonic_ms, NULL, out);
    if (!out->pid)
        return 0;
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/comm", (long)out->pid);
    FILE *f = fopen(path, "re");
    if (f) {
        if (fgets(out->comm, sizeof out->comm, f))
            out->comm[strcspn(out->comm, "\n")] = '\0';
        fclose(f);
    }
    snprintf(path, sizeof path, "/proc/%ld/exe", (long)out->pid);
    ssize_t n = readlink(path, out->exe, sizeof out->exe - 1);
    out->exe[n > 0 ? n : 0] = '\0';
    /* sipcd's command line holds no secret: its home says whose it is */
    if (!strcmp(out->comm, "sipcd"))
        sipcd_home(out->pid, out->home, sizeof out->home);
    if (out->inferred && !home_listens_at(out->home, address, port)) {
        /* nothing ties that sipcd to this port: another non-dumpable
         * process of this account may hold it */
        int gave_up = out->gave_up_ms, same = out->same_account;
        memset(out, 0, sizeof *out);
        out->gave_up_ms = gave_up;
        out->same_account = same;
        return 0;
    }
    return 1;
}
