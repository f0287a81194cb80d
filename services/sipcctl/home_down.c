/* home_down.c - why nothing answers at this home's own node: whether a
 * sipcd holds the home's lock, and when one does, whether it is still
 * starting or listens elsewhere (see sipcctl.h). */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ipc/node/home_lock_read.h"
#include "services/common/rfc3339.h"
#include "services/common/shown_text.h"
#include "sipcctl.h"

/* A sipcd listens within seconds of taking its home's lock (its database
 * opened, its pair loaded); one that holds it longer is not starting. */
#define START_TAKES_MS 60000

/* The port the sipcd that started at started_ms logged for service (its
 * "Port: N" or "TLS Port: N" start line, in logs/<Service>Service_DAY.log,
 * the file host.c names); 0 when its log does not say (not readable, not
 * written yet). The lines of that start are in the oldest file written
 * since, the one of the day it started. */
static int logged_port(const char *home, const char *service, int64_t started_ms, char *file,
                       size_t flen)
{
    char dir[1100], prefix[40];
    snprintf(dir, sizeof dir, "%s/logs", home);
    snprintf(prefix, sizeof prefix, "%sService_", service);
    prefix[0] = (char)toupper((unsigned char)prefix[0]);
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    char best[256] = "", path[1400];
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        size_t n = strlen(e->d_name);
        if (strncmp(e->d_name, prefix, strlen(prefix)) != 0 || n < 5 || n >= sizeof best ||
            strcmp(e->d_name + n - 4, ".log") != 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &st) != 0 ||
            (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000 < started_ms)
            continue;
        /* DAY is YYYYMMDD: the names sort as the days do */
        if (!best[0] || strcmp(e->d_name, best) < 0)
            snprintf(best, sizeof best, "%s", e->d_name);
    }
    closedir(d);
    if (!best[0])
        return 0;
    snprintf(path, sizeof path, "%s/%s", dir, best);
    FILE *f = fopen(path, "re");
    if (!f)
        return 0;
    char line[1024];
    int port = 0;
    while (!port && fgets(line, sizeof line, f)) {
        /* "2026-12-07T11:35:50.479+00:00 Service.Start INFO TLS Port: 23002" */
        char *sp = strchr(line, ' '), *at = strstr(line, " Service.Start INFO ");
        int64_t ms;
        if (!sp || at != sp)
            continue;
        *sp = '\0';
        at += strlen(" Service.Start INFO ");
        if (!strncmp(at, "TLS ", 4))
            at += 4;
        int p, used = 0;
        if (sscanf(at, "Port: %d%n", &p, &used) == 1 && (at[used] == '\n' || !at[used]) &&
            sipc_rfc3339_ms(line, &ms, NULL, 0) == 0 && ms >= started_ms)
            port = p;
    }
    fclose(f);
    if (port)
        snprintf(file, flen, "%s", path);
    return port;
}

/* For a sipcd pid that holds the home's lock yet does not listen at
 * cl->target: still starting, or running at another port or address than
 * sipc.conf names now (edited since it started). */
static void holder_text(const ctl_client *cl, long pid, const char *lockf, char *out, size_t len)
{
    const char *home = cl->cfg.home;
    int64_t started_ms = 0;
    int64_t now = sipc_rfc3339_now_ms();
    if (sipc__home_lock_named(lockf, &started_ms) != pid)
        started_ms = 0;
    char log[1500] = "", since[32] = "";
    int port = started_ms ? logged_port(home, cl->service, started_ms, log, sizeof log) : 0;
    int want = sipc_config_port(&cl->cfg, cl->service);
    if (started_ms)
        sipc_rfc3339_format(started_ms, 0, since, sizeof since);
    if (port && port != want)
        snprintf(out, len,
                 "nothing listens at %s, this home's node, yet sipcd pid %ld holds this home's "
                 "lock (%s): it started at %s and listens on port %d (its log, %s), not on the "
                 "port %s/sipc.conf names now ([%s] port %d): an edited port takes effect at the "
                 "node's next restart (`systemctl restart sipcd`); until then it is reached at "
                 "port %d",
                 cl->target, pid, lockf, since, port, log, home, cl->service, want, port);
    else if (port)
        snprintf(out, len,
                 "nothing listens at %s, this home's node, yet sipcd pid %ld holds this home's "
                 "lock (%s): it started at %s and listens on port %d (its log, %s), the port "
                 "%s/sipc.conf names, so at another address: an edited [node] address takes "
                 "effect at the node's next restart (`systemctl restart sipcd`)",
                 cl->target, pid, lockf, since, port, log, home);
    else if (started_ms && now - started_ms > START_TAKES_MS)
        snprintf(out, len,
                 "nothing listens at %s, this home's node, yet sipcd pid %ld holds this home's "
                 "lock (%s): it started at %s, longer ago than a start takes, so it listens "
                 "elsewhere: at the [node] address and ports %s/sipc.conf had when it started "
                 "(an edit of them takes effect at the node's next restart, `systemctl restart "
                 "sipcd`; its log, %s/logs/, names the ports it listens on)",
                 cl->target, pid, lockf, since, home, home);
    else
        snprintf(out, len,
                 "nothing listens at %s, this home's node, yet sipcd pid %ld holds this home's "
                 "lock (%s): it may be starting (try again in a few seconds), or it listens "
                 "elsewhere (compare [node] address and the ports in %s/sipc.conf with its log, "
                 "%s/logs/)",
                 cl->target, pid, lockf, home, home);
}

void ctl_home_node_down(const ctl_client *cl, char *out, size_t len)
{
    /* sipcd writes its pid into the lock file once it holds the home's
     * lock, and removes the file when it stops cleanly: the lock is read
     * (/proc/locks), never taken here, so a sipcd starting now is not held
     * up; a pid the file names decides nothing, a killed one's included */
    const char *home = cl->cfg.home;
    /* the command to start it is pasted: the home as one shell word */
    char word[4 * sizeof cl->cfg.home + 4];
    cli_shell_word(home, word, sizeof word);
    char why[900], lockf[1200];
    long holder = sipc__home_lock_holder(home, why, sizeof why);
    snprintf(lockf, sizeof lockf, "%s/%s", home, SIPC_HOME_LOCK_FILE);
    long pid = sipc__home_lock_named(lockf, NULL);
    if (holder < 0)
        snprintf(out, len,
                 "nothing listens at %s, this home's node; whether a sipcd runs from %s is not "
                 "known here: %s (run this as the node's account): start it if it is down "
                 "(`systemctl start sipcd`), and read %s/logs/ (or `journalctl -u sipcd`)",
                 cl->target, home, why, home);
    else if (holder)
        holder_text(cl, holder, lockf, out, len);
    else if (pid)
        snprintf(out, len,
                 "nothing listens at %s, this home's node: no sipcd runs from %s (its lock, "
                 "state/sipcd.lock, names pid %ld, which is not running: it was killed or "
                 "crashed): start it (`systemctl start sipcd`, or `sipcd --home %s`) and read "
                 "%s/logs/ (or `journalctl -u sipcd`) for why it stopped",
                 cl->target, home, pid, word, home);
    else
        snprintf(out, len,
                 "nothing listens at %s, this home's node: no sipcd runs from %s (its lock, "
                 "state/sipcd.lock, is %s): start it (`systemctl start sipcd`, or `sipcd --home "
                 "%s`); %s/logs/ (or `journalctl -u sipcd`) says why it stopped",
                 cl->target, home,
                 access(lockf, F_OK) == 0 ? "free" : "not there: it stopped cleanly or never started",
                 word, home);
}
