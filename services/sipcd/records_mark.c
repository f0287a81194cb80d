/* records_mark.c - see records_mark.h. */
#include "records_mark.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file_replace.h"
#include "data_service.h"
#include "host.h"
#include "peers.h"
#include "rfc3339.h"

#define MARK_NAME "records-mark"

/* The identity of HOME/data/records.db (the data link followed). */
static int db_identity(const host *h, struct stat *st)
{
    char path[800];
    snprintf(path, sizeof path, "%s/data/records.db", h->cfg.home);
    return stat(path, st);
}

void records_mark_save(host *h)
{
    if (!h->data)
        return;
    int64_t newest = sipc_data_newest(h->data);
    struct stat st;
    if (newest == h->mark.saved || db_identity(h, &st) != 0)
        return;
    char dir[700], path[800], when[32], line[200], err[800];
    int dfd;
    int r = host_state_dir(h->cfg.home, dir, sizeof dir, &dfd, err, sizeof err);
    if (r == 0) {
        snprintf(path, sizeof path, "%s/%s", dir, MARK_NAME);
        sipc_rfc3339_format(sipc_rfc3339_now_ms(), 0, when, sizeof when);
        int n = snprintf(line, sizeof line, "dev %llu ino %llu newest %lld at %s\n",
                         (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
                         (long long)newest, when);
        r = sipc__file_replace_at(dfd, path, MARK_NAME, line, (size_t)n, 0600, (uid_t)-1,
                                  (gid_t)-1, err, sizeof err);
        close(dfd);
    }
    if (r == 0) {
        h->mark.saved = newest;
        h->mark.last_error[0] = '\0';
    } else if (strcmp(err, h->mark.last_error)) {
        snprintf(h->mark.last_error, sizeof h->mark.last_error, "%s", err);
        sipc_logf(h->svc[HOST_DATA].log, SIPC_LOG_WARN, "Data.Storage",
                  "Cannot save the trace of committed records (a lost records.db-wal could go "
                  "unnoticed): %s",
                  err);
    }
}

void records_mark_start(host *h)
{
    h->mark.saved = -1;
    char path[800], buf[200], when[64] = "";
    snprintf(path, sizeof path, "%s/state/%s", h->cfg.home, MARK_NAME);
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    if (fd >= 0)
        close(fd);
    unsigned long long dev, ino;
    long long was;
    struct stat st;
    if (n > 0 && (buf[n] = '\0', sscanf(buf, "dev %llu ino %llu newest %lld at %63s", &dev, &ino,
                                        &was, when) == 4) &&
        db_identity(h, &st) == 0 && st.st_dev == dev && st.st_ino == ino) {
        int64_t now = sipc_data_newest(h->data);
        if (now < was)
            sipc_logf(h->svc[HOST_DATA].log, SIPC_LOG_WARN, "Data.Storage",
                      "records.db holds fewer records than were committed: its newest record "
                      "is row %lld, but rows up to %lld were committed by %s (state/%s): up to "
                      "%lld acknowledged records are gone. records.db-wal was missing or damaged "
                      "after a crash (or the newest records were deleted just before it): "
                      "send them again if their producer still has them (docs/services.md, "
                      "\"Durability and threads\")",
                      (long long)now, was, when, MARK_NAME, was - (long long)now);
    }
    records_mark_save(h);
}
