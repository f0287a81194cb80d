/* peers.c - see peers.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "peers.h"
#include "base/file_replace.h"
#include "base/error_text.h"
#include "base/private_dir.h"
#include "ipc/addr.h"
#include "services/common/client_id.h"
#include "json_text.h"
#include "rfc3339.h"
#include "sipc/sipc.h"

/* The file is small; anything bigger is not ours. */
#define PEERS_FILE_MAX (4u << 20)

const char *const host_svc_names[HOST_NSERVICES] = {
    [HOST_DATA] = "data",
    [HOST_SEARCH] = "search",
    [HOST_MANAGEMENT] = "management",
    [HOST_PIPELINE] = "pipeline",
};

unsigned host_svc_bit(const char *service)
{
    for (unsigned i = 0; service && i < HOST_NSERVICES; i++)
        if (!strcmp(service, host_svc_names[i]))
            return 1u << i;
    return 0;
}

unsigned host_guard_scope(const sipc_config *cfg, unsigned running)
{
    unsigned svc = 0;
    for (unsigned i = 0; i < HOST_NSERVICES; i++)
        if (sipc_config_service_mode(cfg, host_svc_names[i]) == SIPC_TLS_STRICT)
            svc |= 1u << i;
    return svc & ~running;
}

/* The services a plaintext connection to service counts for: a name not
 * known here (a history from elsewhere) counts for every one, as before
 * the guard looked at services. */
static unsigned plain_bits(const char *service)
{
    unsigned bit = host_svc_bit(service);
    return bit ? bit : HOST_SVC_ALL;
}

int host_peers_load(host_peers *ps, const char *home, char *err, size_t errlen)
{
    ps->n = 0;
    ps->dirty = 0;
    ps->last_error[0] = '\0';
    err[0] = '\0';
    snprintf(ps->path, sizeof ps->path, "%s/state/peers", home);
    /* never through a link: a node or tlstool run as root would read (and
     * quote in its error) whatever file it names */
    int fd = open(ps->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "cannot read %s: %s (the peer history starts empty)", ps->path,
                 strerror(errno));
        return SIPC_EFORMAT;
    }
    json_error_t je;
    json_t *j = json_loadfd(fd, 0, &je);
    close(fd);
    if (!j) {
        snprintf(err, errlen, "%s: %s (the peer history starts empty)", ps->path, je.text);
        return SIPC_EFORMAT;
    }
    json_t *list = json_object_get(j, "peers");
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        if (ps->n == HOST_PEERS_MAX)
            break;
        const char *a = json_string_value(json_object_get(v, "address"));
        const char *node = json_string_value(json_object_get(v, "node"));
        const char *svc = json_string_value(json_object_get(v, "service"));
        json_t *tls = json_object_get(v, "tls"), *seen = json_object_get(v, "last_seen_unix");
        if (!a || !node || !json_is_boolean(tls) || !json_is_integer(seen))
            continue;
        host_peer *p = &ps->p[ps->n++];
        sipc__host_key(a, 0, p->address, sizeof p->address); /* older files: ::ffff:a.b.c.d */
        snprintf(p->node, sizeof p->node, "%s", node);
        snprintf(p->service, sizeof p->service, "%s", svc ? svc : "?");
        p->tls = json_is_true(tls);
        p->last_seen = json_integer_value(seen);
        p->cut_off = json_is_true(json_object_get(v, "cut_off"));
        json_t *plain = json_object_get(v, "plaintext_services");
        p->plain = 0;
        if (json_is_array(plain)) {
            size_t k;
            json_t *sv;
            json_array_foreach(plain, k, sv)
            p->plain |= plain_bits(json_string_value(sv));
        }
        if (p->cut_off) /* cut off as a whole: nothing of it holds anything up */
            p->plain = 0;
        else if (!p->tls && !p->plain) /* a history written before: its last connection's */
            p->plain = plain_bits(p->service);
        json_t *at = json_object_get(v, "cut_off_unix");
        /* a history written before the time was kept: as its last connection */
        p->cut_at = p->cut_off ? json_is_integer(at) ? json_integer_value(at) : p->last_seen : 0;
    }
    json_decref(j);
    return 0;
}

/* tlstool's connections are no peers that going strict would cut off, and
 * must not hold up the operator's next step: the test connections of
 * `tlstool check` (services/tlstool/probe.c names them so) only ask
 * sys.info, before TLS is enabled anywhere; its reload requests go to the
 * node of the home it runs from, and speak TLS as soon as that home does
 * (the one that turns TLS on from off asks in plaintext). node is a hello
 * id: a node whose id is "tlstool" is still a node. (A history written
 * before holds tlstool as "tlstool" at most for one guard window.) */
static int is_tlstool(const char *node)
{
    char tool[16];
    return strcmp(node, "tlstool-check") == 0 ||
           (sipc_cli_client_tool(node, tool, sizeof tool) && strcmp(tool, "tlstool") == 0);
}

/* An entry and the source host it counts under (sipc__host_key). */
typedef struct keyed_peer {
    host_peer *p;
    char key[64];
} keyed_peer;

/* Entries sorted by source host, the least recently seen of each first. */
static int by_host(const void *a, const void *b)
{
    const keyed_peer *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : x->p->last_seen < y->p->last_seen ? -1 : x->p->last_seen > y->p->last_seen;
}

/* The slot for a peer not in the history yet, from address ip. The node id
 * is the peer's own unchecked word: one host naming itself anew on every
 * connection must churn only its own entries, never push out another
 * host's. So a source host (an IPv6 /64 is one: such a host may take a new
 * address of it for every connection) holding HOST_PEERS_PER_ADDRESS
 * already gives up its least recently seen; a full history takes from the
 * host holding the most (its least recently seen), so flushing a peer out
 * takes about as many source hosts as the history has entries. */
static host_peer *make_room(host_peers *ps, const char *ip)
{
    static keyed_peer sorted[HOST_PEERS_MAX];
    char key[64];
    sipc__host_key(ip, 1, key, sizeof key);
    host_peer *own = NULL;
    int mine = 0;
    for (int i = 0; i < ps->n; i++) {
        sorted[i].p = &ps->p[i];
        sipc__host_key(ps->p[i].address, 1, sorted[i].key, sizeof sorted[i].key);
        if (!strcmp(sorted[i].key, key)) {
            mine++;
            if (!own || ps->p[i].last_seen < own->last_seen)
                own = &ps->p[i];
        }
    }
    if (mine >= HOST_PEERS_PER_ADDRESS)
        return own;
    if (ps->n < HOST_PEERS_MAX)
        return &ps->p[ps->n++];
    qsort(sorted, (size_t)ps->n, sizeof sorted[0], by_host);
    host_peer *victim = NULL;
    int most = 0;
    for (int i = 0, run; i < ps->n; i += run) {
        for (run = 1; i + run < ps->n && !strcmp(sorted[i].key, sorted[i + run].key); run++)
            ;
        /* ties: the address whose oldest entry is the oldest */
        if (run > most || (run == most && sorted[i].p->last_seen < victim->last_seen)) {
            most = run;
            victim = sorted[i].p;
        }
    }
    return victim;
}

int host_peers_seen(host_peers *ps, const char *address, const char *node, int tls,
                    const char *service, int64_t now)
{
    if (is_tlstool(node))
        return 0;
    /* every session of one tool, user and home on a machine is one peer
     * (their ids name the process): the history stays small, and a TLS
     * session from another home, which may hold the pair this one lacks,
     * does not clear it */
    char peer[64];
    int cli = sipc_cli_client_peer(node, peer, sizeof peer);
    if (cli)
        node = peer;
    char ip[64];
    sipc__host_key(address, 0, ip, sizeof ip); /* ::ffff:a.b.c.d as a.b.c.d */
    host_peer *p = NULL;
    for (int i = 0; i < ps->n && !p; i++)
        if (!strcmp(ps->p[i].address, ip) && !strcmp(ps->p[i].node, node))
            p = &ps->p[i];
    /* a node's TLS connection clears the plaintext record of its own service
     * only, as its plaintext link to another may still be up (an older
     * build's pipeline); a command-line client's sessions are short, and
     * one over TLS shows its home dials TLS from now on, to every service */
    unsigned before = p && !p->cut_off ? p->plain : 0;
    unsigned plain = tls ? cli ? 0 : before & ~plain_bits(service) : before | plain_bits(service);
    /* a service newly spoken to in plaintext is news: its guard acts on it */
    int news = (plain & ~before) != 0;
    if (!p)
        p = make_room(ps, ip);
    /* the file records seconds: a peer seen again within the same second
     * over the same transport does not make the history dirty */
    if (!strcmp(p->address, ip) && !strcmp(p->node, node) && p->tls == !plain &&
        p->last_seen == now && !strcmp(p->service, service) && !p->cut_off && p->plain == plain)
        return 0;
    snprintf(p->address, sizeof p->address, "%s", ip);
    snprintf(p->node, sizeof p->node, "%s", node);
    snprintf(p->service, sizeof p->service, "%s", service);
    p->tls = !plain; /* TLS on every service it spoke to since */
    p->plain = plain;
    p->last_seen = now;
    p->cut_off = 0;
    p->cut_at = 0;
    ps->dirty = 1;
    return news;
}

/* What to do about HOME/state (path), refused by sipc__private_dir. */
static void host_state_dir_advice(sipc_dir_problem why, const char *path, char *err,
                                  size_t errlen)
{
    sipc__dir_advice(why, path,
                     "the node's state stays in this home, private to its account; remove the "
                     "link (sipcd makes a new state/ when it starts), or move the directory it "
                     "points to in its place",
                     "give it to the account that runs sipcd",
                     ", and run sipcd and tlstool as the home's owner", err, errlen);
}

/* ["data", "pipeline"] for the HOST_SVC_* bits of plain. */
static json_t *plain_json(unsigned plain)
{
    json_t *a = json_array();
    for (unsigned k = 0; k < HOST_NSERVICES; k++)
        if (plain & (1u << k))
            json_array_append_new(a, json_string(host_svc_names[k]));
    return a;
}

int host_peers_save(host_peers *ps, char *err, size_t errlen)
{
    err[0] = '\0';
    if (!ps->dirty || !ps->path[0])
        return 0;
    char dir[700];
    snprintf(dir, sizeof dir, "%s", ps->path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    /* the history names who talks to this node: for its owner only (state/,
     * which host_state_dir made at the start) */
    sipc_dir_problem why;
    int dfd;
    if (sipc__private_dir_open(dir, (uid_t)-1, (gid_t)-1, &dfd, &why, err, errlen) != 0) {
        host_state_dir_advice(why, dir, err, errlen);
        return SIPC_ECONFIG;
    }
    json_t *list = json_array();
    for (int i = 0; i < ps->n; i++) {
        const host_peer *p = &ps->p[i];
        char when[32];
        sipc_rfc3339_format((int64_t)p->last_seen * 1000, 0, when, sizeof when);
        json_t *e = json_pack("{s:s, s:o, s:s, s:b, s:s, s:I}", "address", p->address, "node",
                              sipc_json_text(p->node), "service", p->service, "tls", p->tls,
                              "last_seen", when, "last_seen_unix", (json_int_t)p->last_seen);
        if (e && p->plain)
            json_object_set_new(e, "plaintext_services", plain_json(p->plain));
        if (e && p->cut_off) {
            json_object_set_new(e, "cut_off", json_true());
            json_object_set_new(e, "cut_off_unix", json_integer((json_int_t)p->cut_at));
        }
        json_array_append_new(list, e);
    }
    json_t *j = json_pack("{s:i, s:o}", "schema", 1, "peers", list);
    char *text = j ? json_dumps(j, JSON_INDENT(1)) : NULL;
    json_decref(j);
    if (!text) {
        close(dfd);
        snprintf(err, errlen, "out of memory writing %s", ps->path);
        return SIPC_ENOMEM;
    }
    size_t n = strlen(text);
    char *whole = malloc(n + 1);
    int r = SIPC_ENOMEM;
    if (whole) {
        memcpy(whole, text, n);
        whole[n] = '\n';
        /* in the state/ just checked, by its descriptor: never through a
         * link put there since; the name written is the one err reports */
        r = sipc__file_replace_at(dfd, ps->path, strrchr(ps->path, '/') + 1, whole, n + 1, 0600,
                                  (uid_t)-1, (gid_t)-1, err, errlen);
    } else {
        snprintf(err, errlen, "out of memory writing %s", ps->path);
    }
    free(whole);
    free(text);
    close(dfd);
    if (r != 0)
        return r;
    ps->dirty = 0;
    return 0;
}

int host_peer_is(const host_peer *p, const char *address, const char *node)
{
    char ip[64], peer[64];
    sipc__host_key(address, 0, ip, sizeof ip);
    if (sipc_cli_client_peer(node, peer, sizeof peer))
        node = peer;
    return !strcmp(p->address, ip) && !strcmp(p->node, node);
}

/* What the guard counts: see host_peers_plaintext. */
static int holds_up(const host_peer *p, int window_s, const char *self, unsigned services,
                    int64_t now)
{
    if (!(p->plain & services))
        return 0;
    /* (a history written before probes were left out may still hold one) */
    return !p->tls && !p->cut_off && now - p->last_seen <= window_s && strcmp(p->node, self) &&
           !is_tlstool(p->node);
}

static int by_recent(const void *a, const void *b)
{
    int64_t x = ((const host_peer *)a)->last_seen, y = ((const host_peer *)b)->last_seen;
    return x > y ? -1 : x < y;
}

int host_peers_plaintext(const host_peers *ps, int window_s, const char *self, int64_t now,
                         host_peer *out, int max)
{
    return host_peers_plaintext_in(ps, window_s, self, HOST_SVC_ALL, now, out, max);
}

int host_peers_plaintext_in(const host_peers *ps, int window_s, const char *self,
                            unsigned services, int64_t now, host_peer *out, int max)
{
    if (window_s <= 0)
        return 0;
    static host_peer all[HOST_PEERS_MAX];
    int n = 0;
    for (int i = 0; i < ps->n; i++)
        if (holds_up(&ps->p[i], window_s, self, services, now)) {
            all[n] = ps->p[i];
            all[n++].plain &= services; /* what holds these listeners up */
        }
    qsort(all, (size_t)n, sizeof all[0], by_recent);
    /* the newest of each address first: the few a message names are as
     * many hosts, not one host's made-up names hiding the others */
    int k = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < n && k < max; i++) {
            int first = 1;
            for (int j = 0; j < i && first; j++)
                first = strcmp(all[j].address, all[i].address) != 0;
            if (first == !pass)
                out[k++] = all[i];
        }
    return n;
}

int host_peers_cut_off(host_peers *ps, int window_s, const char *self, int64_t now)
{
    return host_peers_cut_off_in(ps, window_s, self, HOST_SVC_ALL, now);
}

int host_peers_cut_off_in(host_peers *ps, int window_s, const char *self, unsigned services,
                          int64_t now)
{
    if (window_s <= 0)
        return 0;
    int n = 0;
    for (int i = 0; i < ps->n; i++)
        if (holds_up(&ps->p[i], window_s, self, services, now)) {
            /* only the listeners that went strict: a plaintext link to
             * another one still holds back the reload that makes it strict */
            ps->p[i].plain &= ~services;
            if (!ps->p[i].plain) {
                ps->p[i].cut_off = 1;
                ps->p[i].cut_at = now;
            }
            n++;
        }
    if (n)
        ps->dirty = 1;
    return n;
}

void host_peers_text(const host_peer *list, int n, int total, int64_t now, char *out,
                     size_t len)
{
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        size_t l = strlen(out);
        int64_t ago = now - list[i].last_seen;
        /* a service it still speaks plaintext to: its last connection may
         * have gone to one a force cut it off from, or over TLS */
        const char *svc = list[i].service;
        unsigned bit = host_svc_bit(svc);
        for (int k = 0; bit && !(list[i].plain & bit) && k < HOST_NSERVICES; k++)
            if (list[i].plain & (1u << k))
                svc = host_svc_names[k], bit = 1u << k;
        snprintf(out + l, len - l, "%s%s (node %s) %lld s ago on the %s service", i ? ", " : "",
                 list[i].address, list[i].node, (long long)(ago < 0 ? 0 : ago), svc);
    }
    if (total > n) {
        size_t l = strlen(out);
        snprintf(out + l, len - l, " and %d more (`sipcctl status --json`, \"guard\")",
                 total - n);
    }
}

static json_t *peer_json(const host_peer *p, int64_t now)
{
    char when[32];
    sipc_rfc3339_format((int64_t)p->last_seen * 1000, 0, when, sizeof when);
    json_t *j = json_pack("{s:s, s:o, s:s, s:s, s:I}", "address", p->address, "node",
                          sipc_json_text(p->node), "service", p->service, "last_seen", when,
                          "seconds_ago", (json_int_t)(now - p->last_seen));
    /* which listeners it holds back: its last connection's service may be
     * one a force cut it off from */
    if (j && p->plain)
        json_object_set_new(j, "plaintext_services", plain_json(p->plain));
    return j;
}

json_t *host_peers_guard_json(const host_peers *ps, int window_s, const char *self, int64_t now)
{
    static host_peer list[HOST_PEERS_MAX];
    int n = host_peers_plaintext(ps, window_s, self, now, list, HOST_PEERS_MAX);
    json_t *arr = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(arr, peer_json(&list[i], now));
    /* the acknowledged ones stay marked until they connect again: the
     * operator sees whom a force cut off, for a week after it (or while the
     * window still holds them, as long as the mark matters) */
    n = 0;
    for (int i = 0; i < ps->n; i++) {
        const host_peer *p = &ps->p[i];
        if (p->cut_off &&
            (now - p->cut_at <= HOST_CUT_OFF_LISTED_S || now - p->last_seen <= window_s))
            list[n++] = *p;
    }
    qsort(list, (size_t)n, sizeof list[0], by_recent);
    json_t *cut = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(cut, peer_json(&list[i], now));
    return json_pack("{s:i, s:o, s:o}", "window_s", window_s, "plaintext_peers", arr,
                     "cut_off_peers", cut);
}

static void force_strict_path(const char *home, char *path, size_t len)
{
    snprintf(path, len, "%s/state/force-strict", home);
}

/* HOME/state opened without following a link, for a removal in it: -1
 * when it is missing or not a directory of its own (nothing to remove
 * there, nothing removed through a link) */
static int state_fd(const char *home)
{
    char path[700];
    int fd;
    snprintf(path, sizeof path, "%s/state", home);
    return sipc__dir_open(AT_FDCWD, path, path, &fd, NULL, NULL, 0) == 0 ? fd : -1;
}

int host_state_remove(const char *home, const char *name, char *err, size_t errlen)
{
    int fd = state_fd(home);
    if (fd < 0)
        return 0;
    int r = unlinkat(fd, name, 0) == 0;
    if (r) {
        /* a removed override that comes back after a power loss would
         * force a later start strict */
        char path[700];
        snprintf(path, sizeof path, "%s/state/%s", home, name);
        if (sipc__dir_sync(fd, path, "removed", err, errlen) != 0)
            r = SIPC_ECONFIG;
    }
    close(fd);
    return r;
}

int host_force_strict_take(const char *home)
{
    int fd = state_fd(home);
    if (fd < 0)
        return 0;
    /* only a file counts: anything else there (a link) goes all the same */
    struct stat st;
    int file = fstatat(fd, "force-strict", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
    int r = unlinkat(fd, "force-strict", 0) == 0 && file;
    /* taken once: best effort that it stays taken after a power loss (the
     * start or reload goes on either way) */
    (void)sipc__dir_sync(fd, "force-strict", "removed", NULL, 0);
    close(fd);
    return r;
}

int host_state_dir(const char *home, char *path, size_t len, int *fd, int *unfit, char *err,
                   size_t errlen)
{
    snprintf(path, len, "%s/state", home);
    /* made by root in a home another account owns (root's tlstool): the
     * home's sipcd, running as that account, must still write state/ */
    uid_t uid = (uid_t)-1;
    gid_t gid = (gid_t)-1;
    struct stat hs;
    if (geteuid() == 0 && stat(home, &hs) == 0 && hs.st_uid != 0) {
        uid = hs.st_uid;
        gid = hs.st_gid;
    }
    sipc_dir_problem why;
    int dfd;
    int r = sipc__private_dir_open(path, uid, gid, &dfd, &why, err, errlen);
    if (unfit)
        *unfit = r != 0 && why != SIPC_DIR_FAILED;
    if (r != 0)
        host_state_dir_advice(why, path, err, errlen);
    else if (fd)
        *fd = dfd;
    else
        close(dfd);
    return r;
}

int host_state_dir_check(const char *home, const char *name, char *err, size_t errlen)
{
    char path[700];
    snprintf(path, sizeof path, "%s/state", home);
    sipc_dir_problem why;
    int r = sipc__private_dir_check(path, &why, err, errlen);
    if (r != 0) {
        host_state_dir_advice(why, path, err, errlen);
        return r;
    }
    int fd = state_fd(home);
    if (fd >= 0) {
        snprintf(path, sizeof path, "%s/state/%s", home, name);
        r = sipc__file_not_link(fd, name, path, err, errlen);
        close(fd);
    }
    return r;
}

int host_force_strict_write(const char *home, char *path, size_t len, char *err, size_t errlen)
{
    int dfd;
    if (host_state_dir(home, path, len, &dfd, NULL, err, errlen) != 0)
        return SIPC_ECONFIG;
    force_strict_path(home, path, len);
    char when[32], line[80];
    sipc_rfc3339_format((int64_t)time(NULL) * 1000, 0, when, sizeof when);
    snprintf(line, sizeof line, "written by `tlstool --force` at %s\n", when);
    int r = sipc__file_replace_at(dfd, path, "force-strict", line, strlen(line), 0600,
                                  (uid_t)-1, (gid_t)-1, err, errlen);
    close(dfd);
    return r;
}

int host_force_strict_pending(const char *home, char *path, size_t len, int64_t *since)
{
    force_strict_path(home, path, len);
    struct stat st;
    if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    if (since)
        *since = (int64_t)st.st_mtime;
    return 1;
}

int host_force_strict_drop(const char *home, char *path, size_t len, char *err, size_t errlen)
{
    force_strict_path(home, path, len);
    return host_state_remove(home, "force-strict", err, errlen);
}
