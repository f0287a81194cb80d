/* metrics_http.c - see metrics_http.h. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "metrics_http.h"
#include "ipc/addr.h"
#include "sipc/errno.h"

/* A scraper needs one connection; a few more for humans with curl. The
 * listener is plaintext and unauthenticated: a cap per source host keeps
 * one host holding connections from taking every slot, which would blind
 * the scrapers (it takes METRICS_MAX_CONNECTIONS / METRICS_PER_HOST hosts
 * to fill them). A host is an IPv4 address or an IPv6 /64, as for sipc's
 * own listeners (sipc__host_key): one IPv6 host may take a new address of
 * its /64 for every connection. */
#define METRICS_MAX_CONNECTIONS 64
#define METRICS_PER_HOST 4
/* Idle time allowed once a request came, and before the first one: a
 * scraper sends its request line as it connects, so a connection silent
 * for longer holds a slot for nothing. */
#define METRICS_TIMEOUT_S 5
#define METRICS_FIRST_REQUEST_S 2
/* libmicrohttpd's timeouts count idle time only, which a request sent a
 * byte at a time never leaves: a request's headers must be in within this
 * of the connection's start or of its previous answer
 * (sipc_metrics_http_sweep). */
#define METRICS_REQUEST_DEADLINE_MS 5000

/* A source host and how many connections it holds. */
typedef struct {
    char key[64];
    unsigned n;
} host_count;

/* A connection, from its start to its close. */
typedef struct {
    int used;
    int fd;
    int answering;     /* its answer is queued; no deadline now (a request's
                          headers, or a body sent with a GET, must come whole
                          within it) */
    int cut;           /* shut down by the sweep, not yet closed */
    uint64_t since_ms; /* its start, or its previous answer's end */
    host_count *hc;
} conn_slot;

struct sipc_metrics_http {
    struct MHD_Daemon *d;
    int port;
    pthread_mutex_t text_lock; /* the text (taken before lock, never after) */
    char *text;
    size_t len;
    pthread_mutex_t lock; /* the slots and the counts */
    conn_slot conns[METRICS_MAX_CONNECTIONS];
    uint64_t refused, overdue;
    /* Only libmicrohttpd's one thread touches these (the accept policy and
     * the connection notices), so they need no lock. */
    host_count hosts[METRICS_MAX_CONNECTIONS];
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void host_key_of(const struct sockaddr *sa, char *key, size_t len)
{
    char ip[INET6_ADDRSTRLEN] = "";
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, ip, sizeof ip);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, ip, sizeof ip);
    sipc__host_key(ip, 1, key, len);
}

/* The host's entry; with add, a free one taken for it when it has none. */
static host_count *host_find(sipc_metrics_http *h, const char *key, int add)
{
    host_count *free_slot = NULL;
    for (size_t i = 0; i < METRICS_MAX_CONNECTIONS; i++) {
        if (h->hosts[i].n && !strcmp(h->hosts[i].key, key))
            return &h->hosts[i];
        if (!h->hosts[i].n && !free_slot)
            free_slot = &h->hosts[i];
    }
    if (!add || !free_slot)
        return NULL;
    snprintf(free_slot->key, sizeof free_slot->key, "%s", key);
    return free_slot;
}

static enum MHD_Result on_accept(void *cls, const struct sockaddr *sa, socklen_t salen)
{
    (void)salen;
    sipc_metrics_http *h = cls;
    char key[64];
    host_key_of(sa, key, sizeof key);
    const host_count *hc = host_find(h, key, 0);
    if (!hc || hc->n < METRICS_PER_HOST)
        return MHD_YES;
    pthread_mutex_lock(&h->lock);
    h->refused++;
    pthread_mutex_unlock(&h->lock);
    return MHD_NO;
}

/* Counts a connection under its host from its start to its close, and
 * keeps its slot for the sweep; the start comes right after on_accept, on
 * the same thread. libmicrohttpd says a connection is closed before it
 * closes its socket, so the sweep never shuts a descriptor down that was
 * closed (and perhaps reused). */
static void on_connection(void *cls, struct MHD_Connection *c, void **ctx,
                          enum MHD_ConnectionNotificationCode toe)
{
    sipc_metrics_http *h = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        const union MHD_ConnectionInfo *fi =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        char key[64];
        host_key_of(ci->client_addr, key, sizeof key);
        host_count *hc = host_find(h, key, 1);
        if (hc)
            hc->n++;
        conn_slot *slot = NULL;
        pthread_mutex_lock(&h->lock);
        for (size_t i = 0; i < METRICS_MAX_CONNECTIONS && !slot; i++)
            if (!h->conns[i].used)
                slot = &h->conns[i];
        if (slot)
            *slot = (conn_slot){.used = 1, .fd = fi ? fi->connect_fd : -1, .since_ms = now_ms(),
                                .hc = hc};
        pthread_mutex_unlock(&h->lock);
        *ctx = slot;
        return;
    }
    conn_slot *slot = *ctx;
    if (!slot)
        return;
    pthread_mutex_lock(&h->lock);
    if (slot->hc)
        slot->hc->n--;
    slot->used = 0;
    pthread_mutex_unlock(&h->lock);
    *ctx = NULL;
}

/* The slot of c's connection, NULL when it has none. */
static conn_slot *slot_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *i =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return i ? i->socket_context : NULL;
}

static void set_answering(sipc_metrics_http *h, struct MHD_Connection *c, int answering)
{
    conn_slot *slot = slot_of(c);
    if (!slot)
        return;
    pthread_mutex_lock(&h->lock);
    slot->answering = answering;
    slot->since_ms = now_ms();
    pthread_mutex_unlock(&h->lock);
}

/* A request answered: the next one on the connection has its deadline. */
static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)con_cls;
    (void)toe;
    set_answering(cls, c, 0);
}

/* Queues the answer; from then on the connection has no deadline, only the
 * idle timeout (it is the client that reads it now). */
static enum MHD_Result answer(sipc_metrics_http *h, struct MHD_Connection *c, unsigned status,
                              const char *type, const char *body, size_t len)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body,
                                                             MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    if (ret == MHD_YES)
        set_answering(h, c, 1);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    (void)version;
    (void)upload;
    sipc_metrics_http *h = cls;
    /* Refused methods are answered at once, so a request body is never read. */
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return answer(h, c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", "only GET /metrics\n", 18);
    /* The first call for a request only announces it. */
    if (*con_cls == NULL) {
        *con_cls = h;
        MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, (unsigned)METRICS_TIMEOUT_S);
        return MHD_YES;
    }
    if (*upload_size != 0) {
        *upload_size = 0; /* a GET with a body: ignore the body */
        return MHD_YES;
    }
    if (strcmp(url, "/metrics") != 0)
        return answer(h, c, MHD_HTTP_NOT_FOUND, "text/plain", "not found: try /metrics\n", 24);
    pthread_mutex_lock(&h->text_lock);
    enum MHD_Result ret = answer(h, c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
                                 h->text ? h->text : "", h->text ? h->len : 0);
    pthread_mutex_unlock(&h->text_lock);
    return ret;
}

int sipc_metrics_http_start(sipc_metrics_http **out, const char *host, int port, char *err,
                            size_t errlen)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;
    if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
    } else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        flags |= MHD_USE_IPv6;
    } else {
        snprintf(err, errlen, "[metrics] address: '%s' is not a numeric IPv4 or IPv6 address",
                 host);
        return SIPC_ECONFIG;
    }
    sipc_metrics_http *h = calloc(1, sizeof *h);
    if (!h)
        return SIPC_ENOMEM;
    pthread_mutex_init(&h->text_lock, NULL);
    pthread_mutex_init(&h->lock, NULL);
    h->d = MHD_start_daemon(flags, (uint16_t)port, on_accept, h, on_request, h,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)METRICS_MAX_CONNECTIONS,
                            MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)METRICS_FIRST_REQUEST_S,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768, MHD_OPTION_END);
    if (!h->d) {
        snprintf(err, errlen, "cannot serve /metrics on %s:%d (address in use or not local?)",
                 host, port);
        pthread_mutex_destroy(&h->text_lock);
        pthread_mutex_destroy(&h->lock);
        free(h);
        return SIPC_ECONFIG;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    h->port = info ? info->port : port;
    *out = h;
    return 0;
}

int sipc_metrics_http_port(const sipc_metrics_http *h)
{
    return h->port;
}

int sipc_metrics_http_publish(sipc_metrics_http *h, const char *text, size_t len)
{
    char *copy = malloc(len + 1);
    if (!copy)
        return SIPC_ENOMEM;
    memcpy(copy, text, len);
    copy[len] = '\0';
    pthread_mutex_lock(&h->text_lock);
    char *old = h->text;
    h->text = copy;
    h->len = len;
    pthread_mutex_unlock(&h->text_lock);
    free(old);
    return 0;
}

void sipc_metrics_http_sweep(sipc_metrics_http *h, sipc_metrics_http_counts *c)
{
    pthread_mutex_lock(&h->lock);
    /* read under the lock: a start noted after it would be later */
    uint64_t now = now_ms();
    for (size_t i = 0; i < METRICS_MAX_CONNECTIONS; i++) {
        conn_slot *slot = &h->conns[i];
        if (!slot->used || slot->answering || slot->cut || slot->fd < 0 ||
            now - slot->since_ms < METRICS_REQUEST_DEADLINE_MS)
            continue;
        /* libmicrohttpd reads the end and closes the connection itself */
        shutdown(slot->fd, SHUT_RDWR);
        slot->cut = 1;
        h->overdue++;
    }
    c->refused = h->refused;
    c->overdue = h->overdue;
    pthread_mutex_unlock(&h->lock);
    c->max_connections = METRICS_MAX_CONNECTIONS;
    c->per_host = METRICS_PER_HOST;
    c->deadline_ms = METRICS_REQUEST_DEADLINE_MS;
}

void sipc_metrics_http_held_text(char *out, size_t outlen, const char *address,
                                 const sipc_metrics_http_counts *since)
{
    snprintf(out, outlen,
             "http://%s/metrics: %llu connection(s) refused because their host held %u already, "
             "%llu closed for not sending a whole request within %g s (since the last such "
             "line): a host is holding the endpoint's connections (%u at most, %u per host, an "
             "IPv6 /64 counting as one), and scrapes from elsewhere may fail while it does",
             address, (unsigned long long)since->refused, since->per_host,
             (unsigned long long)since->overdue, since->deadline_ms / 1000.0,
             since->max_connections, since->per_host);
}

void sipc_metrics_http_stop(sipc_metrics_http *h)
{
    if (!h)
        return;
    MHD_stop_daemon(h->d);
    pthread_mutex_destroy(&h->text_lock);
    pthread_mutex_destroy(&h->lock);
    free(h->text);
    free(h);
}
