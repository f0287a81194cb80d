/* stream.c - the socket half shared by both stream kinds: connect, accept,
 * first-byte sniffing, writes with try-first/queue-rest, graceful close. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/list.h"
#include "base/str_copy.h"
#include "transport/stream_impl.h"

#define SIPC_READ_BUF (256 * 1024)
#define SIPC_READ_WINDOW_MIN (32 * 1024)

/* One read buffer per thread instead of one per stream: libuv fills it and
 * calls on_read at once, and every byte is consumed or copied (frame decoder,
 * TLS engine) before on_read returns, so an idle connection costs no read
 * buffer at all. On the heap, made on the thread's first read and freed when
 * the thread ends: as thread-local storage it would take its size from
 * every thread of a program linked statically, readers or not. */
static _Thread_local uint8_t *read_buf;
static pthread_key_t read_buf_key;
static pthread_once_t read_buf_once = PTHREAD_ONCE_INIT;

static void read_buf_make_key(void)
{
    (void)pthread_key_create(&read_buf_key, free);
}

static uint8_t *thread_read_buf(void)
{
    if (!read_buf) {
        (void)pthread_once(&read_buf_once, read_buf_make_key);
        read_buf = malloc(SIPC_READ_BUF);
        if (read_buf)
            (void)pthread_setspecific(read_buf_key, read_buf);
    }
    return read_buf;
}

/* A TLS record starts with 0x16 (handshake) or 0x15 (alert) then 0x03. A
 * sipc plaintext frame starts with a length < 0x15000000 (max_frame is at
 * most 256 MiB = 0x10000000), so its first byte is never 0x15 or 0x16. */
static int looks_like_tls(uint8_t b)
{
    return b == 0x16 || b == 0x15;
}

typedef struct wreq {
    uv_write_t req;
    uint8_t *data;
} wreq;

static void on_write(uv_write_t *req, int status)
{
    wreq *w = (wreq *)req;
    sipc_stream *s = req->handle->data;
    free(w->data);
    free(w);
    if (status < 0 && status != UV_ECANCELED)
        sipc_stream_fail(s, status, "write failed");
    else if (s->tcp.write_queue_size == 0 && s->state != SIPC_STREAM_CLOSING && s->ev->drained)
        s->ev->drained(s);
}

/* The last bytes of a closing stream (close_notify, a last error frame) are
 * sent with MSG_MORE: they wait in the kernel for the FIN that shutdown() or
 * close() adds right after, and Linux tacks a FIN onto an unsent tail, so
 * bytes and FIN leave in one segment instead of two (each costs a transmit,
 * a loopback receive and a wake-up). libuv's queue is empty here, so
 * writing to its descriptor keeps the byte order. */
static int try_send_last(sipc_stream *s, const uv_buf_t *b)
{
#ifdef MSG_MORE
    uv_os_fd_t fd;
    if (uv_fileno((uv_handle_t *)&s->tcp, &fd) == 0) {
        ssize_t n;
        do
            n = send(fd, b->base, b->len, MSG_MORE | MSG_DONTWAIT | MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        return n >= 0 ? (int)n : uv_translate_sys_error(errno);
    }
#endif
    return uv_try_write((uv_stream_t *)&s->tcp, b, 1);
}

/* The bytes at the end of len that a corked stream keeps back (see
 * sipc_stream_cork()). The segment size is asked each time: it grows with
 * the peer's window early in a connection. Small writes never ask. */
static size_t short_tail(const sipc_stream *s, size_t len)
{
    if (!s->corked || len < 4096)
        return 0;
    uv_os_fd_t fd;
    int mss = 0;
    socklen_t ml = sizeof mss;
    if (uv_fileno((const uv_handle_t *)&s->tcp, &fd) != 0 ||
        getsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss, &ml) != 0 || mss <= 0)
        return 0;
    size_t seg = (size_t)mss, tail = len % seg;
    return len > seg && tail <= seg / 4 ? tail : 0;
}

/* try: offer the bytes to the socket first (else they go straight to
 * libuv's queue); last: see try_send_last. */
static int flush(sipc_stream *s, int try, int last)
{
    sipc_buf *b = &s->tx;
    s->kept = 0;
    if (b->len == 0)
        return 0;
    size_t off = 0;
    if (try && s->tcp.write_queue_size == 0) {
        size_t keep = last ? 0 : short_tail(s, b->len);
        uv_buf_t ub = uv_buf_init((char *)b->data, (unsigned)(b->len - keep));
        int n = last ? try_send_last(s, &ub) : uv_try_write((uv_stream_t *)&s->tcp, &ub, 1);
        if (n > 0)
            s->tried += (uint64_t)n;
        if (n == (int)ub.len) {
            /* under a quarter segment: the move costs less than a packet */
            memmove(b->data, b->data + n, keep);
            b->len = s->kept = keep;
            return 0;
        }
        if (n > 0)
            off = (size_t)n;
        else if (n != UV_EAGAIN)
            return n;
    }
    /* The rest goes to a write request that takes the buffer over. */
    wreq *w = malloc(sizeof *w);
    if (!w)
        return SIPC_ENOMEM;
    w->data = b->data;
    uv_buf_t ub = uv_buf_init((char *)b->data + off, (unsigned)(b->len - off));
    int r = uv_write(&w->req, (uv_stream_t *)&s->tcp, &ub, 1, on_write);
    if (r != 0) {
        free(w);
        return r;
    }
    s->handed += ub.len;
    b->data = NULL;
    b->len = b->cap = 0;
    return 0;
}

int sipc_stream_flush_tx(sipc_stream *s)
{
    return flush(s, 1, 0);
}

int sipc_stream_queue_tx(sipc_stream *s)
{
    return flush(s, 0, 0);
}

size_t sipc_stream_queued(const sipc_stream *s)
{
    return s->tcp.write_queue_size + s->tx.len;
}

uint64_t sipc_stream_sent(const sipc_stream *s)
{
    /* libuv counts down write_queue_size as the kernel takes its bytes */
    return s->tried + s->handed - s->tcp.write_queue_size;
}

int sipc_stream_acked_bytes(const sipc_stream *s, uint64_t *acked, uint32_t *ago_ms)
{
    uv_os_fd_t fd;
    int r = uv_fileno((const uv_handle_t *)&s->tcp, &fd);
    return r != 0 ? r : sipc__tcp_acked(fd, acked, ago_ms);
}

int sipc_stream_acked_all_at(const sipc_stream *s, uint64_t *at)
{
    uv_os_fd_t fd;
    if (sipc_stream_queued(s) != 0)
        return UV_EAGAIN; /* some bytes are not the kernel's yet */
    int r = uv_fileno((const uv_handle_t *)&s->tcp, &fd);
    return r != 0 ? r : sipc__tcp_acked_all_at(fd, at);
}

void sipc_stream_cork(sipc_stream *s, int on)
{
    s->corked = on;
}

size_t sipc_stream_kept(const sipc_stream *s)
{
    return s->kept;
}

int sipc_stream_push(sipc_stream *s)
{
    if (!s->kept)
        return 0;
    if (s->state != SIPC_STREAM_OPEN)
        return s->state == SIPC_STREAM_CLOSING ? SIPC_ECLOSED : SIPC_ENOTCONN;
    return sipc_stream_flush_tx(s);
}

size_t sipc_stream_early_write(const sipc_stream *s)
{
    return s->ops ? s->ops->early_write : SIZE_MAX;
}

size_t sipc_stream_buffer_bytes(const sipc_stream *s)
{
    return s->tx.cap + s->tcp.write_queue_size + (s->tls ? sipc_tls_buffered(s->tls) : 0);
}

size_t sipc_stream_trimmable(const sipc_stream *s)
{
    return (s->tls ? sipc_tls_trimmable(s->tls) : 0) + (s->tx.len == 0 ? s->tx.cap : 0);
}

size_t sipc_stream_trim(sipc_stream *s)
{
    size_t n = s->tls ? sipc_tls_trim(s->tls) : 0;
    if (s->tx.len != 0 || s->tx.cap == 0)
        return n;
    n += s->tx.cap;
    sipc_buf_free(&s->tx);
    return n;
}

void sipc_stream_fail(sipc_stream *s, int err, const char *detail)
{
    if (s->error_reported || s->state == SIPC_STREAM_CLOSING)
        return;
    s->error_reported = 1;
    s->ev->error(s, err, detail ? detail : "");
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    sipc_stream *s = h->data;
    /* A plaintext stream inside a large frame reads the rest of it straight
     * into its owner's reassembly buffer instead of copying it out of
     * read_buf. (A TLS stream decrypts into it instead.) Only for a large
     * rest: a read that stops at the frame's end leaves what follows to one
     * more read, which costs more than copying a small rest. */
    uint8_t *w;
    size_t n;
    if (s->ops == &sipc_stream_tcp_ops && s->state == SIPC_STREAM_OPEN && s->ev->rx_window &&
        (n = s->ev->rx_window(s, &w)) >= SIPC_READ_WINDOW_MIN) {
        buf->base = (char *)w;
        buf->len = n;
        return;
    }
    /* NULL: libuv reports UV_ENOBUFS to on_read, which fails the stream */
    buf->base = (char *)thread_read_buf();
    buf->len = buf->base ? SIPC_READ_BUF : 0;
}

/* Server side: decide from the first byte which stream this is. */
static int sniff(sipc_stream *s, uint8_t first)
{
    int tls = looks_like_tls(first);
    if (tls && !(s->kinds & SIPC_STREAM_TLS)) {
        /* open as plaintext without starting it, so the owner can answer
         * with one last error frame before it closes */
        s->ops = &sipc_stream_tcp_ops;
        s->state = SIPC_STREAM_OPEN;
        sipc_stream_fail(s, SIPC_ETLSONPLAIN,
                         "a TLS handshake arrived on a plaintext port");
        return SIPC_ETLSONPLAIN;
    }
    if (!tls && !(s->kinds & SIPC_STREAM_PLAIN)) {
        sipc_tls_plaintext_alert(&s->tx);
        (void)sipc_stream_flush_tx(s);
        sipc_stream_fail(s, SIPC_EPLAINTEXT,
                         "plaintext arrived on a TLS port");
        return SIPC_EPLAINTEXT;
    }
    s->ops = tls ? &sipc_stream_tls_ops : &sipc_stream_tcp_ops;
    return s->ops->start(s);
}

static void on_read(uv_stream_t *h, ssize_t nread, const uv_buf_t *buf)
{
    sipc_stream *s = h->data;
    if (s->state == SIPC_STREAM_CLOSING)
        return;
    if (nread < 0) {
        if (nread == UV_EOF) {
            s->peer_done = 1;
            if (s->state == SIPC_STREAM_SNIFFING || sipc_stream_in_tls_handshake(s))
                sipc_stream_fail(s, SIPC_ECLOSED,
                                 s->ops == &sipc_stream_tls_ops
                                     ? "peer closed the connection during the TLS handshake"
                                     : "peer closed the connection before the hello");
            else
                sipc_stream_fail(s, SIPC_ECLOSED, "peer closed the connection");
        } else {
            sipc_stream_fail(s, (int)nread, uv_strerror((int)nread));
        }
        return;
    }
    if (nread == 0)
        return;
    const uint8_t *p = (const uint8_t *)buf->base;
    size_t n = (size_t)nread;
    s->last_read = uv_now(h->loop);
    if (!s->got_bytes) {
        s->got_bytes = 1;
        s->nfirst = (uint8_t)(n < sizeof s->first ? n : sizeof s->first);
        memcpy(s->first, p, s->nfirst);
        if (s->state == SIPC_STREAM_SNIFFING) {
            if (sniff(s, p[0]) != 0)
                return;
        } else if (!s->is_server) {
            int tls = looks_like_tls(p[0]);
            if (s->ops == &sipc_stream_tls_ops && !tls) {
                sipc_stream_fail(s, SIPC_EPLAINTEXT,
                                 "peer answered in plaintext: TLS is not enabled on it");
                return;
            }
            if (s->ops == &sipc_stream_tcp_ops && tls) {
                sipc_stream_fail(s, SIPC_ETLSONPLAIN,
                                 "peer answered with TLS: it requires TLS but it is not enabled "
                                 "on this side");
                return;
            }
        }
    }
    int r = s->ops->input(s, p, n);
    if (r != 0)
        sipc_stream_fail(s, r, "");
}

static sipc_stream *stream_alloc(uv_loop_t *loop, const sipc_stream_events *ev, void *owner)
{
    sipc_stream *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    if (uv_tcp_init(loop, &s->tcp) != 0) {
        free(s);
        return NULL;
    }
    s->tcp.data = s;
    s->ev = ev;
    s->owner = owner;
    return s;
}

static void on_closed(uv_handle_t *h)
{
    sipc_stream *s = h->data;
    assert(s->state == SIPC_STREAM_CLOSING); /* closed fires once, after close or abort */
    s->ev->closed(s);
    if (s->ops && s->ops->destroy)
        s->ops->destroy(s);
    sipc_buf_free(&s->tx);
    free(s);
}

static void on_closed_silent(uv_handle_t *h)
{
    sipc_stream *s = h->data;
    free(s);
}

/* v in decimal at p; returns the end. */
static char *put_decimal(char *p, unsigned v)
{
    char rev[10];
    int n = 0;
    do {
        rev[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = rev[--n];
    return p;
}

/* s->peer: "ip:port" or "[v6]:port" of sa ("" for another family). IPv4 is
 * written by hand, the same text as inet_ntop and "%s:%d": every connection
 * names its peer, and the two printf passes cost ~20 times more. An
 * IPv4-mapped IPv6 address (::ffff:a.b.c.d, how a listener on :: sees an
 * IPv4 peer) is written as its IPv4 address, as the per-host counts and the
 * peer history name that host: its log lines, status and peer info agree. */
static void set_peer(sipc_stream *s, const struct sockaddr *sa)
{
    char ip[INET6_ADDRSTRLEN] = "";
    s->peer[0] = '\0';
    const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)sa;
    if (sa->sa_family == AF_INET ||
        (sa->sa_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&a6->sin6_addr))) {
        const uint8_t *b; /* network order */
        uint16_t port;
        if (sa->sa_family == AF_INET) {
            const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
            b = (const uint8_t *)&a->sin_addr.s_addr;
            port = a->sin_port;
        } else {
            b = a6->sin6_addr.s6_addr + 12;
            port = a6->sin6_port;
        }
        char *p = s->peer; /* at most "255.255.255.255:65535", 22 of its 64 bytes */
        for (int i = 0; i < 4; i++) {
            p = put_decimal(p, b[i]);
            *p++ = i < 3 ? '.' : ':';
        }
        *put_decimal(p, ntohs(port)) = '\0';
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
        uv_ip6_name(a, ip, sizeof ip);
        snprintf(s->peer, sizeof s->peer, "[%s]:%d", ip, ntohs(a->sin6_port));
    }
}

/* Accepted streams: the address comes from the kernel (libuv's accept does
 * not keep it). */
static void fill_peer(sipc_stream *s)
{
    struct sockaddr_storage ss;
    int len = sizeof ss;
    s->peer[0] = '\0';
    if (uv_tcp_getpeername(&s->tcp, (struct sockaddr *)&ss, &len) == 0)
        set_peer(s, (struct sockaddr *)&ss);
}

static void on_connect(uv_connect_t *req, int status)
{
    sipc_stream *s = req->handle->data;
    if (s->state == SIPC_STREAM_CLOSING)
        return;
    if (status < 0) {
        s->peer[0] = '\0'; /* a stream that never connected has no peer */
        sipc_stream_fail(s, status, uv_strerror(status));
        return;
    }
    s->connected_at = uv_now(req->handle->loop);
    uv_tcp_nodelay(&s->tcp, 1);
    int r = uv_read_start((uv_stream_t *)&s->tcp, on_alloc, on_read);
    if (r == 0)
        r = s->ops->start(s);
    if (r != 0)
        sipc_stream_fail(s, r, "");
}

/* Gives tcp (initialized, no socket yet) a socket bound to source, port 0.
 * The port is left to connect() (IP_BIND_ADDRESS_NO_PORT, Linux 4.2+; older
 * kernels choose it here), so destinations share the ports as for an unbound
 * dial. Returns 0 or a libuv (errno) code: EADDRNOTAVAIL for an address that
 * is not on this host. */
static int bind_source(uv_tcp_t *tcp, const struct sockaddr *source)
{
    socklen_t len = source->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                   : sizeof(struct sockaddr_in);
    int fd = socket(source->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
#ifdef IP_BIND_ADDRESS_NO_PORT
    int one = 1;
    (void)setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
#endif
    int r = bind(fd, source, len) == 0 ? 0 : -errno;
    if (r == 0)
        r = uv_tcp_open(tcp, fd);
    if (r != 0)
        close(fd);
    return r;
}

static int is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa->sa_family != AF_INET6)
        return 0;
    const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
    return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
}

int sipc_stream_source_applies(const struct sockaddr *addr, const struct sockaddr *source)
{
    return source && source->sa_family == addr->sa_family &&
           (!is_loopback(source) || is_loopback(addr));
}

int sipc_stream_connect(sipc_stream **out, uv_loop_t *loop, const struct sockaddr *addr,
                        const struct sockaddr *source, sipc_tls_config *tlscfg,
                        const sipc_stream_events *ev, void *owner)
{
    sipc_stream *s = stream_alloc(loop, ev, owner);
    if (!s)
        return SIPC_ENOMEM;
    s->ops = tlscfg ? &sipc_stream_tls_ops : &sipc_stream_tcp_ops;
    s->tlscfg = tlscfg;
    s->kinds = tlscfg ? SIPC_STREAM_TLS : SIPC_STREAM_PLAIN;
    s->state = SIPC_STREAM_CONNECTING;
    /* The peer of a connected socket is the address it was connected to:
     * noted now instead of asking the kernel (getpeername) once connected. */
    set_peer(s, addr);
    int r = 0;
    if (sipc_stream_source_applies(addr, source))
        r = bind_source(&s->tcp, source);
    if (r == 0)
        r = uv_tcp_connect(&s->conn_req, &s->tcp, addr, on_connect);
    if (r != 0) {
        /* the owner never saw this stream: free it without events */
        uv_close((uv_handle_t *)&s->tcp, on_closed_silent);
        return r;
    }
    *out = s;
    return 0;
}

#define LISTEN_PAUSE_MIN_MS 4
#define LISTEN_PAUSE_MAX_MS 1000

static void on_listener_io(uv_stream_t *tcp, int status);

int sipc_stream_listen(sipc_stream_listener *l, uv_loop_t *loop, const struct sockaddr *addr,
                       int backlog, uv_connection_cb cb)
{
    memset(l, 0, sizeof *l);
    l->held = -1;
    l->cb = cb;
    l->backlog = backlog;
    (void)uv_tcp_init(loop, &l->tcp); /* makes no socket yet: cannot fail */
    int r = uv_tcp_bind(&l->tcp, addr, 0);
    if (r == 0)
        r = uv_tcp_nodelay(&l->tcp, 1); /* for every accepted socket: Linux copies it */
    if (r == 0)
        r = uv_listen((uv_stream_t *)&l->tcp, backlog, on_listener_io);
    return r;
}

/* Once tcp, refuse and retry are all closed. */
static void listener_maybe_closed(sipc_stream_listener *l)
{
    if (l->closing == 2 && !l->refusing && !l->retry_open)
        l->closed(l);
}

static void refuse_waiting(sipc_stream_listener *l);

static void on_refused(uv_handle_t *h)
{
    sipc_stream_listener *l = h->data;
    int again = l->refusing == 2;
    l->refusing = 0;
    if (l->closing == 2)
        listener_maybe_closed(l);
    else if (again && !l->closing)
        refuse_waiting(l);
}

/* Takes the connection waiting on l and closes it; uv_accept() also has
 * libuv watch the listener again. Into a handle just made it cannot fail on
 * Linux (were it to, libuv would close the connection itself but leave the
 * listener unwatched). While the handle is still closing from the last
 * refusal, libuv holds the connection (and stops watching) until on_refused
 * takes it. */
static void refuse_waiting(sipc_stream_listener *l)
{
    if (l->refusing) {
        l->refusing = 2;
        return;
    }
    (void)uv_tcp_init(l->tcp.loop, &l->refuse);
    l->refuse.data = l;
    (void)uv_accept((uv_stream_t *)&l->tcp, (uv_stream_t *)&l->refuse);
    l->refusing = 1;
    uv_close((uv_handle_t *)&l->refuse, on_refused);
}

/* The end of a pause: a new tcp watches the socket its duplicate held.
 * Should that fail (nothing would watch it), the owner hears it as a failed
 * accept, and the next pause follows. */
static void on_retry(uv_timer_t *t)
{
    sipc_stream_listener *l = t->data;
    void *owner = l->tcp.data;
    l->paused = 0;
    (void)uv_tcp_init(t->loop, &l->tcp);
    l->tcp.data = owner;
    int r = uv_tcp_open(&l->tcp, l->held);
    if (r == 0) {
        l->held = -1; /* tcp's now */
        r = uv_listen((uv_stream_t *)&l->tcp, l->backlog, on_listener_io);
    }
    if (r != 0)
        on_listener_io((uv_stream_t *)&l->tcp, r);
}

static void on_paused(uv_handle_t *h)
{
    sipc_stream_listener *l = sipc_container_of(h, sipc_stream_listener, tcp);
    if (l->closing) { /* closed during the pause: duplicate and retry went then */
        l->closing = 2;
        listener_maybe_closed(l);
        return;
    }
    l->paused = 2;
    (void)uv_timer_start(&l->retry, on_retry, l->pause_ms, 0);
}

/* Closing tcp is the only way out of libuv's accept loop; the duplicate
 * keeps the socket, and with it the connections queued, open meanwhile.
 * Without a descriptor for the duplicate, libuv goes on retrying at once. */
static void listener_pause(sipc_stream_listener *l)
{
    uv_os_fd_t fd;
    if (l->held < 0 && uv_fileno((uv_handle_t *)&l->tcp, &fd) == 0)
        l->held = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (l->held < 0) {
        l->held = -1;
        return;
    }
    if (!l->retry_open) {
        (void)uv_timer_init(l->tcp.loop, &l->retry);
        l->retry.data = l;
        l->retry_open = 1;
    }
    l->pause_ms = l->pause_ms ? 2 * l->pause_ms : LISTEN_PAUSE_MIN_MS;
    if (l->pause_ms > LISTEN_PAUSE_MAX_MS)
        l->pause_ms = LISTEN_PAUSE_MAX_MS;
    l->paused = 1;
    uv_close((uv_handle_t *)&l->tcp, on_paused);
}

/* For want of descriptors the owner gives one up so that the next accept
 * succeeds (and the duplicate could not be made anyway): no pause then. */
static void on_listener_io(uv_stream_t *tcp, int status)
{
    sipc_stream_listener *l = sipc_container_of(tcp, sipc_stream_listener, tcp);
    l->cb(tcp, status);
    if (status == 0)
        l->pause_ms = 0;
    else if (status != UV_EMFILE && status != UV_ENFILE && !l->closing && !l->paused)
        listener_pause(l);
}

static void on_listener_closed(uv_handle_t *h)
{
    sipc_stream_listener *l = sipc_container_of(h, sipc_stream_listener, tcp);
    l->closing = 2;
    listener_maybe_closed(l);
}

static void on_retry_closed(uv_handle_t *h)
{
    sipc_stream_listener *l = h->data;
    l->retry_open = 0;
    listener_maybe_closed(l);
}

void sipc_stream_listener_close(sipc_stream_listener *l, void (*closed)(sipc_stream_listener *l))
{
    l->closing = l->paused == 2 ? 2 : 1; /* a pause's tcp is closed or closing */
    l->closed = closed;
    if (l->held >= 0)
        close(l->held);
    l->held = -1;
    if (l->retry_open)
        uv_close((uv_handle_t *)&l->retry, on_retry_closed);
    if (!l->paused)
        uv_close((uv_handle_t *)&l->tcp, on_listener_closed);
}

int sipc_stream_accept(sipc_stream **out, sipc_stream_listener *l, unsigned kinds,
                       sipc_tls_config *tlscfg, const sipc_stream_events *ev, void *owner)
{
    sipc_stream *s = NULL;
    int r = 0;
    if (!(kinds & (SIPC_STREAM_PLAIN | SIPC_STREAM_TLS)) || ((kinds & SIPC_STREAM_TLS) && !tlscfg))
        r = SIPC_EINVAL;
    else if (!(s = stream_alloc(l->tcp.loop, ev, owner)))
        r = SIPC_ENOMEM;
    if (r != 0) {
        if (!l->closing)
            refuse_waiting(l);
        return r;
    }
    s->is_server = 1;
    s->kinds = kinds;
    s->tlscfg = tlscfg;
    s->state = SIPC_STREAM_SNIFFING;
    r = uv_accept((uv_stream_t *)&l->tcp, (uv_stream_t *)&s->tcp);
    if (r == 0) {
        fill_peer(s); /* TCP_NODELAY comes from the listener */
        r = uv_read_start((uv_stream_t *)&s->tcp, on_alloc, on_read);
    }
    if (r != 0) {
        uv_close((uv_handle_t *)&s->tcp, on_closed_silent);
        return r;
    }
    *out = s;
    return 0;
}

int sipc_stream_write_parts(sipc_stream *s, sipc_buf *b, const sipc_piece *parts, size_t n)
{
    assert(s->state != SIPC_STREAM_OPEN || s->ops != NULL);
    assert(n <= SIPC_STREAM_MAX_PARTS);
    if (s->state == SIPC_STREAM_CLOSING)
        return SIPC_ECLOSED;
    if (s->state != SIPC_STREAM_OPEN)
        return SIPC_ENOTCONN;
    return s->ops->write(s, b, parts, n);
}

int sipc_stream_write(sipc_stream *s, sipc_buf *b)
{
    return sipc_stream_write_parts(s, b, NULL, 0);
}

void sipc_stream_pause(sipc_stream *s, int pause)
{
    if (s->state == SIPC_STREAM_CLOSING || s->paused == pause)
        return;
    s->paused = pause;
    if (pause)
        uv_read_stop((uv_stream_t *)&s->tcp);
    else
        uv_read_start((uv_stream_t *)&s->tcp, on_alloc, on_read);
}

int sipc_stream_is_tls(const sipc_stream *s)
{
    return s->ops == &sipc_stream_tls_ops;
}

void sipc_stream_describe(const sipc_stream *s, sipc_stream_info *info)
{
    memset(info, 0, sizeof *info);
    sipc_str_copy(info->peer, sizeof info->peer, s->peer);
    info->tls = sipc_stream_is_tls(s);
    if (s->ops && s->ops->describe)
        s->ops->describe(s, info);
}

void *sipc_stream_owner(const sipc_stream *s)
{
    return s->owner;
}

void sipc_stream_set_owner(sipc_stream *s, void *owner)
{
    s->owner = owner;
}

const char *sipc_stream_peer(const sipc_stream *s)
{
    return s->peer;
}

int sipc_stream_got_bytes(const sipc_stream *s)
{
    return s->got_bytes;
}

uint64_t sipc_stream_last_read(const sipc_stream *s)
{
    return s->last_read;
}

uint64_t sipc_stream_connected_at(const sipc_stream *s)
{
    return s->connected_at;
}

size_t sipc_stream_first_bytes(const sipc_stream *s, uint8_t out[4])
{
    memcpy(out, s->first, s->nfirst);
    return s->nfirst;
}

uint64_t sipc_stream_key_blocks(const sipc_stream *s)
{
    return s->tls ? sipc_tls_key_blocks(s->tls) : 0;
}

int sipc_stream_connecting(const sipc_stream *s)
{
    return !s->is_server && s->state == SIPC_STREAM_CONNECTING;
}

int sipc_stream_in_tls_handshake(const sipc_stream *s)
{
    /* a server resuming a session opens before the client's Finished */
    return s->ops == &sipc_stream_tls_ops &&
           (s->state == SIPC_STREAM_HANDSHAKE || (s->tls && !sipc_tls_handshake_done(s->tls)));
}

int sipc_stream_tls_resume_failed(const sipc_stream *s)
{
    return s->ops == &sipc_stream_tls_ops && s->tls && sipc_tls_resume_failed(s->tls);
}

int sipc_stream_tls_resume_refused(const sipc_stream *s)
{
    return s->ops == &sipc_stream_tls_ops && s->tls && sipc_tls_resume_refused(s->tls);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    (void)status;
    sipc_stream *s = req->handle->data;
    if (!uv_is_closing((uv_handle_t *)&s->tcp))
        uv_close((uv_handle_t *)&s->tcp, on_closed);
}

void sipc_stream_close(sipc_stream *s)
{
    if (s->state == SIPC_STREAM_CLOSING)
        return;
    int was_open = s->state == SIPC_STREAM_OPEN;
    int connecting = sipc_stream_connecting(s);
    s->state = SIPC_STREAM_CLOSING;
    /* A connect still pending has nothing to send and no FIN to wait for;
     * a shutdown would wait for the connect to end (the kernel's SYN
     * retries, minutes), so the caller's close grace would end it. uv_close
     * cancels the connect now (on_connect gets UV_ECANCELED, ignored). */
    if (connecting) {
        uv_close((uv_handle_t *)&s->tcp, on_closed);
        return;
    }
    uv_read_stop((uv_stream_t *)&s->tcp);
    if (was_open && s->ops->goodbye)
        s->ops->goodbye(s);
    (void)flush(s, 1, 1);
    /* The peer ended first (EOF, or its close_notify: RFC 5246 7.2.1 has the
     * answering side send its own and "close down the connection
     * immediately"): nothing more is to be read, so close() without
     * shutdown() sends our last bytes and the FIN just the same, one system
     * call less. The side that ends first shuts down and closes without
     * waiting for the answer (7.2.1 does not require the initiator to wait),
     * and shutdown() keeps its bytes and FIN going out even if unread input
     * makes close() reset the connection. */
    if (s->peer_done && s->tcp.write_queue_size == 0) {
        uv_close((uv_handle_t *)&s->tcp, on_closed);
        return;
    }
    /* shutdown waits for queued writes (close_notify, a last error frame) */
    if (uv_shutdown(&s->shut_req, (uv_stream_t *)&s->tcp, on_shutdown) != 0)
        uv_close((uv_handle_t *)&s->tcp, on_closed);
}

void sipc_stream_abort(sipc_stream *s)
{
    s->state = SIPC_STREAM_CLOSING;
    if (!uv_is_closing((uv_handle_t *)&s->tcp))
        uv_close((uv_handle_t *)&s->tcp, on_closed);
}
