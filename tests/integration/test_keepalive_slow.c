/* test_keepalive_slow.c - the keepalive timeout over a real TCP connection
 * on loopback (127.0.85.1) to a peer that reads slowly: this side sends a
 * 2 MiB call with keepalive_ms 200 and keepalive_timeout_ms 300. The PING
 * leaves this side's queue while MiBs still wait before it in the kernel's
 * buffers; the peer's TCP acknowledging them is life, so a peer reading
 * 16 KiB every 20 ms is not cut and answers the call. The same peer that
 * stops reading (buffers fill, nothing more is acknowledged) is cut with
 * SIPC_EKEEPALIVE. While the PING waits behind the call, the link is not
 * shown suspect (ping_wait_ms stays under 2 s). The peer is a thread speaking sipc's plaintext framing
 * with blocking sockets: hello, then it answers PINGs and requests as it
 * reads them.
 * A peer process that reads everything, then is stopped (SIGSTOP) while
 * this side keeps sending it small messages, is cut with SIPC_EKEEPALIVE
 * within keepalive_ms + keepalive_timeout_ms and a margin, although its
 * kernel goes on acknowledging what this side sends; with sipc_channel_ping
 * within keepalive_timeout_ms, keepalive_ms a minute. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "raw_peer.h"
#include "testutil.h"

#define ADDR "127.0.85.1"
#define CALL_BYTES (2u << 20)

typedef struct peer {
    int lfd, port;
    size_t stop_after;     /* 0: read to the end; else stop reading after this many bytes */
    volatile int quit;
    pthread_t th;
    pid_t pid; /* the peer as a process of its own, else 0 */
} peer;

/* One frame of the client's. */
static void on_frame(int fd, const uint8_t *p, size_t n, int *hello_done)
{
    Sipc__Envelope *env = sipc__envelope__unpack(NULL, n, p);
    if (!env)
        return;
    if (env->kind == SIPC__KIND__HELLO && !*hello_done) {
        Sipc__Hello h = SIPC__HELLO__INIT;
        h.protocol_version = SIPC_PROTOCOL_VERSION;
        h.node_id = "slow";
        h.cluster = "test";
        h.software = "test";
        uint8_t buf[128];
        size_t hn = sipc__hello__pack(&h, buf);
        sipc_env_out e = {.kind = SIPC__KIND__HELLO, .payload = buf, .payload_len = hn};
        tu_send_env(fd, &e);
        *hello_done = 1;
    } else if (env->kind == SIPC__KIND__PING) {
        sipc_env_out e = {.kind = SIPC__KIND__PONG, .request_id = env->request_id};
        tu_send_env(fd, &e);
    } else if (env->kind == SIPC__KIND__REQUEST) {
        sipc_env_out e = {.kind = SIPC__KIND__RESPONSE, .request_id = env->request_id};
        tu_send_env(fd, &e);
    }
    sipc__envelope__free_unpacked(env, NULL);
}

static void *peer_main(void *arg)
{
    peer *pe = arg;
    int fd = accept(pe->lfd, NULL, NULL);
    if (fd < 0)
        return NULL;
    /* frames: a 4-byte length, then the envelope */
    static uint8_t small[CALL_BYTES + 4096];
    uint8_t chunk[16 * 1024];
    size_t want = 4, have = 0, total = 0;
    int in_body = 0, hello_done = 0;
    uint8_t hdr[4];
    size_t body = 0;
    while (!pe->quit) {
        if (pe->stop_after && total >= pe->stop_after) {
            tu_sleep_ms(20); /* stopped: reads nothing more, the connection stays */
            continue;
        }
        ssize_t n = recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0)
            break;
        total += (size_t)n;
        for (size_t i = 0; i < (size_t)n;) {
            size_t take = want - have < (size_t)n - i ? want - have : (size_t)n - i;
            if (!in_body)
                memcpy(hdr + have, chunk + i, take);
            else if (body <= sizeof small)
                memcpy(small + have, chunk + i, take);
            have += take;
            i += take;
            if (have < want)
                continue;
            if (!in_body) {
                body = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3];
                in_body = 1;
                want = body;
                have = 0;
                if (body)
                    continue;
            }
            if (body <= sizeof small)
                on_frame(fd, small, body, &hello_done);
            in_body = 0;
            want = 4;
            have = 0;
        }
        if (hello_done)
            tu_sleep_ms(20); /* 16 KiB every 20 ms: about 800 KiB/s */
    }
    close(fd);
    return NULL;
}

static void peer_listen(peer *pe, size_t stop_after)
{
    memset(pe, 0, sizeof *pe);
    pe->stop_after = stop_after;
    pe->lfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(pe->lfd >= 0);
    int one = 1, rcv = 64 * 1024;
    setsockopt(pe->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    /* a small receive buffer: what waits in it after the last ACK is read
       soon (the peer has keepalive_timeout_ms from that ACK to answer) */
    setsockopt(pe->lfd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    inet_pton(AF_INET, ADDR, &sa.sin_addr);
    assert_int_equal(bind(pe->lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(pe->lfd, 4), 0);
    socklen_t len = sizeof sa;
    assert_int_equal(getsockname(pe->lfd, (struct sockaddr *)&sa, &len), 0);
    pe->port = ntohs(sa.sin_port);
}

static void peer_start(peer *pe, size_t stop_after)
{
    peer_listen(pe, stop_after);
    assert_int_equal(pthread_create(&pe->th, NULL, peer_main, pe), 0);
}

/* The peer in a child process of its own, which the test can stop. */
static void peer_fork(peer *pe)
{
    peer_listen(pe, 0);
    pe->pid = fork();
    assert_true(pe->pid >= 0);
    if (pe->pid == 0) {
        alarm(30); /* never outlives the test */
        peer_main(pe);
        _exit(0);
    }
}

static void peer_kill(peer *pe)
{
    kill(pe->pid, SIGKILL);
    waitpid(pe->pid, NULL, 0);
    close(pe->lfd);
}

static void peer_stop(peer *pe)
{
    pe->quit = 1;
    shutdown(pe->lfd, SHUT_RDWR); /* an accept still waiting returns */
    pthread_join(pe->th, NULL);
    close(pe->lfd);
}

typedef struct side {
    uv_loop_t loop;
    tu_log log;
    sipc_security *sec;
    sipc_ctx *ctx;
    sipc_channel *ch;
    int ups, downs, down_err, done, err;
} side;

static void on_conn(sipc_conn *c, sipc_conn_event ev, int err, void *arg)
{
    (void)c;
    side *s = arg;
    if (ev == SIPC_CONN_UP) {
        s->ups++;
    } else if (ev == SIPC_CONN_DOWN) {
        s->downs++;
        if (!s->down_err)
            s->down_err = err;
    }
}

static void on_reply(int err, const sipc_reply *rep, void *arg)
{
    (void)rep;
    side *s = arg;
    s->done = 1;
    s->err = err;
}

static void side_open_ka(side *s, int port, uint32_t idle_ms, uint32_t keepalive_ms)
{
    memset(s, 0, sizeof *s);
    assert_int_equal(uv_loop_init(&s->loop), 0);
    sipc_options o;
    sipc_options_init(&o);
    o.node_id = "cli";
    o.cluster = "test";
    o.log = tu_log_sink;
    o.log_arg = &s->log;
    o.keepalive_ms = keepalive_ms;
    o.keepalive_timeout_ms = 300;
    o.idle_timeout_ms = idle_ms;
    o.reconnect_min_ms = 5000; /* one connection for the test */
    o.reconnect_max_ms = 5000;
    s->sec = tu_security(SIPC_TLS_OFF, NULL);
    assert_int_equal(sipc_ctx_new(&s->ctx, &s->loop, &o, s->sec), 0);
    assert_int_equal(sipc_channel_open(&s->ch, s->ctx, ADDR, port, NULL), 0);
    sipc_channel_set_conn_cb(s->ch, on_conn, s);
    assert_true(tu_run_until(&s->loop, &s->ups, 5000));
}

static void side_open_idle(side *s, int port, uint32_t idle_ms)
{
    side_open_ka(s, port, idle_ms, 200);
}

static void side_open(side *s, int port)
{
    side_open_idle(s, port, 0);
}

static void side_close(side *s)
{
    sipc_ctx_close(s->ctx, NULL, NULL);
    assert_true(tu_drain(&s->loop, 5000));
    assert_int_equal(uv_loop_close(&s->loop), 0);
    if (s->sec)
        sipc_security_release(s->sec);
    tu_log_free(&s->log);
}

/* Starts the 2 MiB call; returns when (loop time). */
static uint64_t big_call(side *s)
{
    uint8_t *big = calloc(1, CALL_BYTES);
    assert_non_null(big);
    uint64_t t0 = uv_now(&s->loop);
    assert_int_equal(sipc_call(s->ch, "test", "big", big, CALL_BYTES, 60000, on_reply, s), 0);
    free(big); /* copied or written by now */
    return t0;
}

static void t_slow_reader_kept(void **state)
{
    (void)state;
    peer pe;
    peer_start(&pe, 0);
    side s;
    side_open(&s, pe.port);
    uint64_t t0 = big_call(&s);
    /* meanwhile its PING waits behind the call, yet the link is never shown
       suspect (sipcctl status: ping_wait_ms of 2 s or more) */
    uint32_t worst = 0, quiet = 0;
    for (int i = 0; i < 600 && !s.done; i++) {
        tu_run_until(&s.loop, &s.done, 50);
        sipc_link_info li;
        if (sipc_channel_info(s.ch, &li) != 0 || !li.up)
            continue;
        if (li.ping_wait_ms > worst)
            worst = li.ping_wait_ms;
        if (li.silent_ms > quiet)
            quiet = li.silent_ms;
        /* nothing received counts from the last byte, the PING's wait
           from later: never the longer of the two */
        assert_true(li.silent_ms >= li.ping_wait_ms);
    }
    assert_true(s.done);
    if (worst >= 2000)
        fprintf(stderr, "ping_wait_ms reached %u\n", worst);
    assert_true(worst < 2000);
    /* the reader sent nothing while it took the call, longer than the
       keepalive period: what silent_ms shows, and the PING's wait does not */
    if (quiet < 1000 || quiet <= worst)
        fprintf(stderr, "silent_ms reached %u, ping_wait_ms %u\n", quiet, worst);
    assert_true(quiet >= 1000 && quiet > worst);
    if (s.err != 0)
        fprintf(stderr, "call: %s after %llu ms\n%s", sipc_err_name(s.err),
                (unsigned long long)(uv_now(&s.loop) - t0), s.log.buf ? s.log.buf : "");
    assert_int_equal(s.err, 0);
    assert_int_equal(s.downs, 0);
    /* it took the reader well over keepalive_ms + keepalive_timeout_ms */
    assert_true(uv_now(&s.loop) - t0 > 1500);
    side_close(&s);
    peer_stop(&pe);
}

static void t_stopped_reader_cut(void **state)
{
    (void)state;
    peer pe;
    peer_start(&pe, 256 * 1024);
    side s;
    side_open(&s, pe.port);
    uint64_t t0 = big_call(&s);
    assert_true(tu_run_until(&s.loop, &s.done, 20000));
    assert_int_equal(s.err, SIPC_EKEEPALIVE);
    assert_int_equal(s.down_err, SIPC_EKEEPALIVE);
    assert_true(tu_log_has(&s.log, "no answer to PING from"));
    /* about 750 ms: the queue stalls, then twice keepalive_timeout_ms at most */
    assert_true(uv_now(&s.loop) - t0 < 5000);
    side_close(&s);
    peer_stop(&pe);
}

static void t_stopped_process_cut(void **state)
{
    (void)state;
    peer pe;
    peer_fork(&pe);
    side s;
    /* the idle timeout would cut it too, but only after 6 s */
    side_open_idle(&s, pe.port, 6000);
    uint8_t msg[300] = {0};
    for (int i = 0; i < 10; i++) { /* the peer answers while it runs */
        assert_int_equal(sipc_send(s.ch, "test", "small", msg, sizeof msg), 0);
        int never = 0;
        tu_run_until(&s.loop, &never, 20);
    }
    assert_int_equal(kill(pe.pid, SIGSTOP), 0);
    uint64_t t0 = uv_now(&s.loop);
    /* small messages keep going to it: its kernel acknowledges them all,
       its window never closes, yet nothing comes back */
    for (int i = 0; i < 300 && !s.downs; i++) {
        if (sipc_send(s.ch, "test", "small", msg, sizeof msg) != 0)
            break;
        int never = 0;
        tu_run_until(&s.loop, &never, 20);
    }
    uint64_t took = uv_now(&s.loop) - t0;
    peer_kill(&pe); /* before any assert: a stopped child would hold the test */
    if (s.down_err != SIPC_EKEEPALIVE || took >= 1500)
        fprintf(stderr, "down after %llu ms: %s\n%s", (unsigned long long)took,
                s.downs ? sipc_err_name(s.down_err) : "not down",
                s.log.buf ? s.log.buf : "");
    assert_int_equal(s.down_err, SIPC_EKEEPALIVE);
    /* keepalive_ms (200) + keepalive_timeout_ms (300), with a margin for a
       busy machine */
    assert_true(took < 1500);
    side_close(&s);
}

/* sipc_channel_ping: the PING goes at once, not after keepalive_ms (a
 * minute here), and is timed as the keepalive's own: a peer process stopped
 * with SIGSTOP is cut within keepalive_timeout_ms and a margin. Without a
 * keepalive nothing would time it: refused. */
static void t_ping_now(void **state)
{
    (void)state;
    peer pe;
    peer_start(&pe, 0);
    side s;
    side_open_ka(&s, pe.port, 0, 0);
    assert_int_equal(sipc_channel_ping(s.ch), SIPC_EINVAL);
    side_close(&s);
    peer_stop(&pe);

    peer_fork(&pe);
    side_open_ka(&s, pe.port, 0, 60000);
    assert_int_equal(sipc_channel_ping(s.ch), 0);
    int never = 0;
    tu_run_until(&s.loop, &never, 100); /* the running peer answers it */
    assert_int_equal(s.downs, 0);
    assert_int_equal(kill(pe.pid, SIGSTOP), 0);
    uint64_t t0 = uv_now(&s.loop);
    int first = sipc_channel_ping(s.ch), again = sipc_channel_ping(s.ch); /* one waits */
    tu_run_until(&s.loop, &s.downs, 3000);
    uint64_t took = uv_now(&s.loop) - t0;
    int after = sipc_channel_ping(s.ch);
    peer_kill(&pe); /* before any assert: a stopped child would hold the test */
    assert_int_equal(first, 0);
    assert_int_equal(again, 0);
    if (s.down_err != SIPC_EKEEPALIVE || took >= 1500)
        fprintf(stderr, "down after %llu ms: %s\n%s", (unsigned long long)took,
                s.downs ? sipc_err_name(s.down_err) : "not down", s.log.buf ? s.log.buf : "");
    assert_int_equal(s.down_err, SIPC_EKEEPALIVE);
    assert_true(took < 1500);
    assert_int_equal(after, SIPC_ENOTCONN);
    side_close(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_slow_reader_kept),
        cmocka_unit_test(t_stopped_reader_cut),
        cmocka_unit_test(t_stopped_process_cut),
        cmocka_unit_test(t_ping_now),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
