/* sipc-conn-limit - the limit for connections made one at a time: libuv and
 * plaintext TCP, no TLS and no sipc, with the writes of a resumed sipc
 * connection (hs-compare.sh runs it beside `sipc-bench hs ... resume`).
 *
 *   sipc-conn-limit server PORT
 *   sipc-conn-limit client PORT SECS
 *
 * The client connects to 127.0.0.1:PORT, writes 296 bytes (a resumed
 * ClientHello's size), reads the server's 183 (ServerHello, ChangeCipherSpec,
 * Finished and the server's hello), writes 151 (its Finished, hello and
 * close_notify), shuts down and closes; the server answers with 31 bytes (its
 * close_notify) and closes. Then the next connection, for SECS seconds. Like
 * the kit's uv echo for throughput, it is the part of a connection that no TLS
 * library on libuv can avoid on this machine (the TCP set-up and tear-down,
 * the segments and wake-ups, the event loop), measured in the same run as
 * sipc's handshakes. It prints one line:
 *
 *   RESULT peer=uv-tcp kind=resume key=none secs=S handshakes=N rate=R
 *
 * "handshakes" keeps hs-compare.sh's field names: connections completed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

enum { CH = 296, SF = 183, CF = 151, SC = 31 };

static uv_loop_t *loop;
static struct sockaddr_in addr;
static uint64_t end_ns, t0_ns;
static unsigned long done;
static char zeros[512];

typedef struct {
    uv_tcp_t tcp;
    uv_write_t wr[2]; /* a link writes at most twice */
    int writes;
    uv_shutdown_t sh;
    uv_connect_t conn;
    size_t got;
} link_t;

static void die(const char *what, int r)
{
    fprintf(stderr, "sipc-conn-limit: %s: %s\n", what, uv_strerror(r));
    exit(1);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    (void)h;
    (void)hint;
    static char buf[4096];
    *b = uv_buf_init(buf, sizeof buf);
}

static void on_free(uv_handle_t *h)
{
    free(h->data);
}

static void send_bytes(link_t *l, size_t n)
{
    uv_buf_t b = uv_buf_init(zeros, (unsigned)n);
    /* all of it fits the socket at once; a write request only if not */
    int r = uv_try_write((uv_stream_t *)&l->tcp, &b, 1);
    if (r == (int)n)
        return;
    if (r > 0)
        b = uv_buf_init(zeros + r, (unsigned)(n - (size_t)r));
    if (l->writes == 2)
        die("write", UV_EINVAL);
    if ((r = uv_write(&l->wr[l->writes++], (uv_stream_t *)&l->tcp, &b, 1, NULL)) != 0)
        die("write", r);
}

/* server */

static void srv_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    (void)b;
    link_t *l = s->data;
    if (n > 0) {
        size_t before = l->got;
        l->got += (size_t)n;
        if (before < CH && l->got >= CH)
            send_bytes(l, SF);
        return;
    }
    if (n == UV_EOF && l->got >= CH + CF)
        send_bytes(l, SC);
    if (n < 0)
        uv_close((uv_handle_t *)s, on_free);
}

static void on_connection(uv_stream_t *lsn, int status)
{
    if (status != 0)
        return;
    link_t *l = calloc(1, sizeof *l);
    if (!l)
        die("calloc", UV_ENOMEM);
    uv_tcp_init(loop, &l->tcp);
    l->tcp.data = l;
    if (uv_accept(lsn, (uv_stream_t *)&l->tcp) != 0) {
        uv_close((uv_handle_t *)&l->tcp, on_free);
        return;
    }
    uv_read_start((uv_stream_t *)&l->tcp, on_alloc, srv_read);
}

/* client */

static void dial(void);

static void cli_closed(uv_handle_t *h)
{
    free(h->data);
    done++;
    if (uv_hrtime() < end_ns)
        dial();
}

static void cli_shut(uv_shutdown_t *req, int status)
{
    (void)status;
    uv_close((uv_handle_t *)req->handle, cli_closed);
}

static void cli_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    (void)b;
    link_t *l = s->data;
    if (n < 0) {
        fprintf(stderr, "sipc-conn-limit: read: %s\n", uv_strerror((int)n));
        exit(1);
    }
    size_t before = l->got;
    l->got += (size_t)n;
    if (before < SF && l->got >= SF) {
        /* up: the last bytes and the close, as sipc-bench hs closes */
        uv_read_stop(s);
        send_bytes(l, CF);
        int r = uv_shutdown(&l->sh, s, cli_shut);
        if (r != 0)
            die("shutdown", r);
    }
}

static void cli_connected(uv_connect_t *req, int status)
{
    link_t *l = req->handle->data;
    if (status != 0)
        die("connect", status);
    uv_tcp_nodelay(&l->tcp, 1);
    send_bytes(l, CH);
    uv_read_start((uv_stream_t *)&l->tcp, on_alloc, cli_read);
}

static void dial(void)
{
    link_t *l = calloc(1, sizeof *l);
    if (!l)
        die("calloc", UV_ENOMEM);
    uv_tcp_init(loop, &l->tcp);
    l->tcp.data = l;
    int r = uv_tcp_connect(&l->conn, &l->tcp, (const struct sockaddr *)&addr, cli_connected);
    if (r != 0)
        die("connect", r);
}

static int usage(void)
{
    fprintf(stderr, "usage: sipc-conn-limit server PORT\n"
                    "       sipc-conn-limit client PORT SECS\n");
    return 64;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return usage();
    int port = atoi(argv[2]);
    if (port <= 0 || port > 65535)
        return usage();
    loop = uv_default_loop();
    uv_ip4_addr("127.0.0.1", port, &addr);
    if (strcmp(argv[1], "server") == 0 && argc == 3) {
        static uv_tcp_t lsn;
        uv_tcp_init(loop, &lsn);
        int r = uv_tcp_bind(&lsn, (const struct sockaddr *)&addr, 0);
        if (r == 0)
            r = uv_tcp_nodelay(&lsn, 1); /* inherited by accepted sockets */
        if (r == 0)
            r = uv_listen((uv_stream_t *)&lsn, 511, on_connection);
        if (r != 0)
            die("listen", r);
        return uv_run(loop, UV_RUN_DEFAULT);
    }
    if (strcmp(argv[1], "client") == 0 && argc == 4) {
        double secs = atof(argv[3]);
        if (secs <= 0 || secs > 3600)
            return usage();
        t0_ns = uv_hrtime();
        end_ns = t0_ns + (uint64_t)(secs * 1e9);
        dial();
        uv_run(loop, UV_RUN_DEFAULT);
        double s = (double)(uv_hrtime() - t0_ns) / 1e9;
        printf("RESULT peer=uv-tcp kind=resume key=none secs=%.3f handshakes=%lu rate=%.1f\n", s,
               done, (double)done / s);
        return 0;
    }
    return usage();
}
