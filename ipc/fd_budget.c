/* fd_budget.c - the process's open-file limit shared by the connections of
 * every context. Descriptors are the process's, and a process may run
 * several contexts (sipcd one per service, each with its own server): a
 * limit per server or per context would let them add up past the open-file
 * limit, and a flood on one or two ports would then leave nothing for the
 * others, nor for the files the process writes. So one count for the
 * process, under a lock (contexts may run on loops of their own threads). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "ipc/internal.h"

static pthread_mutex_t budget_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t budget_dialed;   /* descriptors of channels' connections */
static uint32_t budget_accepted; /* of servers' connections, all servers */
static sipc_link budget_servers = {&budget_servers, &budget_servers};
static uint32_t budget_nservers; /* in budget_servers */
/* A descriptor kept for the moment accept fails for want of one (below). */
static int budget_spare = -1;

/* Under the lock: the spare taken back if it was given up and a server
 * may need it; whether it is held. */
static int spare_back_locked(void)
{
    if (budget_spare < 0 && !sipc_list_empty(&budget_servers))
        budget_spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
    return budget_spare >= 0;
}

void sipc__fd_limits_get(sipc__fd_limits *l)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
        rl.rlim_cur > UINT32_MAX) {
        l->limit = 0;
        l->reserve = 0;
        l->cap = UINT32_MAX;
        l->slice = 0;
        l->opening = UINT32_MAX;
        l->servers = 0;
        return;
    }
    l->limit = (uint32_t)rl.rlim_cur;
    /* Everything else the process needs stays out of the connections'
     * reach: the data service's SQLite files (the database, its -wal and
     * -shm, one set per reader thread), state/ and log files, the listening
     * sockets, libuv's own (epoll, eventfd, signals) and a library's files
     * opened by a program. 256 covers those of a node; an eighth of a larger
     * limit grows with it, since a node given more descriptors is a busier
     * one. A limit under twice that leaves the connections half of it. */
    l->reserve = l->limit / 8 > 256 ? l->limit / 8 : 256;
    if (l->limit < 2 * l->reserve)
        l->reserve = l->limit / 2;
    l->cap = l->limit - l->reserve;
    /* a quarter of the reserve for servers that must stay reachable when
     * the others are full (an operator's): three quarters stay for files */
    l->slice = l->reserve / 4;
    /* A server at the share makes room only among its own connections
     * still in their handshake, and a server that has none refuses: so no
     * server's may fill the share. Each gets a part of it, and one part is
     * left to the established and outgoing connections, so that a flood on
     * one port (or on all but one) leaves every other port room for its
     * peers, whatever the limit. */
    pthread_mutex_lock(&budget_lock);
    l->servers = budget_nservers;
    pthread_mutex_unlock(&budget_lock);
    l->opening = l->cap / (l->servers + 1);
    if (l->opening == 0)
        l->opening = 1;
}

void sipc__fd_budget_add_server(sipc_server *srv)
{
    pthread_mutex_lock(&budget_lock);
    sipc_list_insert_before(&budget_servers, &srv->budget_link);
    budget_nservers++;
    (void)spare_back_locked();
    pthread_mutex_unlock(&budget_lock);
}

void sipc__fd_budget_remove_server(sipc_server *srv)
{
    pthread_mutex_lock(&budget_lock);
    sipc_list_remove(&srv->budget_link);
    budget_nservers--;
    if (sipc_list_empty(&budget_servers) && budget_spare >= 0) {
        close(budget_spare);
        budget_spare = -1;
    }
    pthread_mutex_unlock(&budget_lock);
}

int sipc__fd_budget_take(sipc_server *srv, const sipc__fd_limits *l)
{
    int ok;
    pthread_mutex_lock(&budget_lock);
    uint64_t open = (uint64_t)budget_accepted + budget_dialed;
    ok = !srv || !l || open < l->cap || (srv->reserved && open < (uint64_t)l->cap + l->slice);
    if (ok && srv) {
        budget_accepted++;
        srv->fds++;
    } else if (ok) {
        budget_dialed++;
    }
    pthread_mutex_unlock(&budget_lock);
    return ok;
}

void sipc__fd_budget_put(sipc_server *srv)
{
    pthread_mutex_lock(&budget_lock);
    if (srv) {
        budget_accepted--;
        srv->fds--;
    } else {
        budget_dialed--;
    }
    /* a descriptor is free again: the spare given up comes back first */
    (void)spare_back_locked();
    pthread_mutex_unlock(&budget_lock);
}

int sipc__fd_budget_spare_back(void)
{
    pthread_mutex_lock(&budget_lock);
    int held = spare_back_locked();
    pthread_mutex_unlock(&budget_lock);
    return held;
}

/* libuv answers an accept that fails for want of a descriptor by closing a
 * descriptor of its own, accepting and closing what waits, and opening it
 * again; when another thread (the pool's SQLite) took that descriptor in
 * between, it calls back with EMFILE and accepts again at once, in a loop
 * that ends only when an accept succeeds. Giving up this spare lets the
 * next one succeed (the server then refuses it and closes it at once, and
 * takes the spare back once its loop has closed what waits). */
void sipc__fd_budget_free_spare(void)
{
    pthread_mutex_lock(&budget_lock);
    if (budget_spare >= 0) {
        close(budget_spare);
        budget_spare = -1;
    }
    pthread_mutex_unlock(&budget_lock);
}

void sipc__fd_usage(char *out, size_t len)
{
    sipc__fd_limits l;
    sipc__fd_limits_get(&l);
    size_t n = 0;
    pthread_mutex_lock(&budget_lock);
    if (l.limit)
        n += (size_t)snprintf(out, len, "open-file limit %u; ", l.limit);
    else
        n += (size_t)snprintf(out, len, "no open-file limit; ");
    n += (size_t)snprintf(out + (n < len ? n : len - 1), n < len ? len - n : 1,
                          "%u connections open", budget_accepted + budget_dialed);
    const char *sep = ": ";
    for (const sipc_link *k = budget_servers.next; k != &budget_servers; k = k->next) {
        const sipc_server *s = sipc_container_of(k, sipc_server, budget_link);
        if (!s->fds)
            continue;
        n += (size_t)snprintf(out + (n < len ? n : len - 1), n < len ? len - n : 1, "%s%s %u",
                              sep, s->name, s->fds);
        sep = ", ";
    }
    if (budget_dialed)
        (void)snprintf(out + (n < len ? n : len - 1), n < len ? len - n : 1, "%soutgoing %u",
                       sep, budget_dialed);
    pthread_mutex_unlock(&budget_lock);
}

int sipc_fd_explain(int err, char *out, size_t len)
{
    err = err < 0 ? -err : err; /* libuv's codes are negative errnos */
    if ((err != EMFILE && err != ENFILE) || !out || !len)
        return 0;
    char usage[600];
    sipc__fd_usage(usage, sizeof usage);
    snprintf(out, len,
             err == EMFILE ? "the process has run out of file descriptors (%s)"
                           : "the system has run out of file descriptors (fs.file-max; this "
                             "process: %s)",
             usage);
    return 1;
}
