/* internal.h - the objects behind sipc.h. Private to the ipc layer (ipc/ and
 * the node layer in ipc/node/); programs use the public headers only. */
#ifndef SIPC_INTERNAL_H
#define SIPC_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/freelist.h"
#include "base/idmap.h"
#include "base/list.h"
#include "base/ratelimit.h"
#include "ipc/envelope.h"
#include "ipc/frame.h"
#include "sipc.pb-c.h"
#include "sipc/sipc.h"
#include "transport/stream.h"

/* ---- calls: one outstanding or waiting RPC ---- */
#define SIPC__DEFAULT_CALL_TIMEOUT_MS 30000 /* timeout_ms 0, see sipc_call() */

/* The time a new call's deadline counts from. libuv's uv_now() is the time
 * the loop last polled: a handler or callback that ran long before this call
 * in the same turn would have its run time taken from the call's deadline
 * (a 100 ms call made after 300 ms of work expired before it was sent). A
 * precise clock reading costs 50-80 ns on the benchmark VM, where libuv
 * already makes two per turn, so the coarse clock (the same timeline, read
 * without the TSC: a few ns) decides: once it has passed the loop's time, the
 * precise clock is read (uv_hrtime, the timeline of uv_now). The loop's own
 * time is left alone: moved inside a callback (uv_update_time), libuv before
 * 1.48 runs a repeating timer whose callback outlasts its period again in the
 * same pass, forever, and never polls. Until the coarse clock passes the
 * loop's time the turn is younger than its resolution (a kernel tick, 1-4 ms)
 * plus a millisecond, the most a deadline can still be early by. */
static inline uint64_t sipc__call_clock(uv_loop_t *loop)
{
    uint64_t cached = uv_now(loop);
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) != 0 ||
        (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u > cached)
        return uv_hrtime() / 1000000u;
    return cached;
}

/* A call is in exactly one place until it completes: its channel's waiting
 * list (conn == NULL), or its connection's call map and deadline list
 * (conn != NULL). It leaves that place before its callback runs. */
typedef struct sipc_pcall {
    sipc_link dl;       /* in a deadline-ordered list */
    sipc_ctx *ctx;      /* whose spare blocks it goes back to */
    uint64_t id;        /* request id, once sent */
    uint64_t deadline;  /* uv_now() ms */
    uint64_t sent;      /* uv_now() ms it was queued on its connection */
    sipc_call_cb cb;
    void *arg;
    sipc_conn *conn;    /* the connection it is in flight on, NULL while waiting */
    int handed;         /* its request was queued on a connection that was up
                           (sipc_reply.sent): stays set once it leaves conn */
    /* a call made with an id for sipc_call_cancel(): its entry in the
       channel's map of such calls, removed when it completes */
    sipc_idmap *handles;
    uint64_t handle;
    /* set only while the call waits for its channel to come up */
    int oneway;
    char *service, *method;
    uint8_t *data;
    size_t len;
} sipc_pcall;


/* ---- context ---- */
struct sipc_ctx {
    uv_loop_t *loop;
    sipc_options opts;
    char node_id[64];
    char cluster[64];
    struct sockaddr_storage source; /* opts.source_address parsed, when has_source */
    int has_source;
    char source_text[64];   /* the copy opts.source_address points to */
    uint8_t hello[256];     /* our hello, packed by the first connection to send it */
    size_t hello_len;       /* 0 until then */
    sipc_security *sec;
    sipc_ratelimit *logrl;  /* repeated warnings per peer and kind */
    uv_timer_t timer;       /* reports lines held back that no later line did, and
                               wipes the TLS keys and sessions no longer usable */
    uint64_t pid_bits;      /* getpid() << 32, in every channel's jitter seed: asked
                               once, not at each open (a system call) */
    sipc_freelist req_blocks;  /* spare blocks for small requests (requests.c) */
    int answered_twice_said;   /* a second answer to a request was logged */
    sipc_freelist call_blocks; /* spare call records (sipc__call_new) */
    uv_prepare_t flusher;   /* writes every dirty connection before the loop blocks */
    int flusher_on;
    sipc_link dirty;        /* connections with frames to write */
    size_t queued_total;    /* output queued on its live connections (sum of queued_acct) */
    sipc_frame_budget rx_budget; /* reassembly buffers of its connections' decoders,
                                    capped at max_read_buffer_total */
    sipc_link rx_waiters;   /* connections waiting for room in it, oldest first */
    size_t rx_wait_bytes;   /* read ahead by those connections (their backlogs) */
    uv_timer_t rx_timer;    /* when the oldest of them has waited SIPC__RX_WAIT_MS */
    size_t released;        /* buffer bytes idle and closed connections freed
                               since the last return of memory to the system */
    uint64_t trim_next;     /* uv_now() before which no return is tried */
    uint32_t trim_every;    /* ms between returns: 1 s, doubled up to 60 s while
                               they give back little (sipc__trim_every) */
    sipc_link servers;
    sipc_link channels;
    sipc_peer_stop_cb peer_stop_cb; /* sipc_ctx_set_peer_stop_cb */
    void *peer_stop_arg;
    uv_async_t async;       /* sipc_ctx_post */
    uv_mutex_t post_lock;
    struct sipc_post *posts, **posts_tail;
    uint32_t posts_queued;  /* posted and not yet taken by the loop (SIPC_POSTS_MAX) */
    int closing;
    int handles_open;       /* its own handles (flusher, async, timers, turn) still to close */
    sipc_ctx_close_cb close_cb;
    void *close_arg;
    struct sipc__held_line *held; /* lines held for a peer's retry (sipc__log_hold), or NULL */
    int nheld, held_cap;
    uint64_t held_seq;      /* lines held so far: their order */
    uint64_t started_ms;    /* uv_hrtime() in ms when it was made (SIPC__START_GRACE_MS) */
    uv_timer_t hold_timer;  /* a close waiting for requests handlers hold: the
                               grace's end (ref'd, so the loop waits for it) */
    /* the threads that may call its functions (loop_thread.c): its maker,
     * and the one that ran its loop's latest turn (written there, read
     * by any caller: atomic) */
    pthread_t loop_maker, loop_runner;
    uv_prepare_t turn;      /* notes loop_runner at every turn */
    int off_thread_said;    /* a call from another thread was logged */
};

/* loop_thread.c: the loop thread noted from now on (at sipc_ctx_new). */
void sipc__loop_thread_init(sipc_ctx *ctx);
/* The refusal of a call to fn on a thread that neither made ctx nor runs
 * its loop: one ERROR per context naming sipc_ctx_post; SIPC_EINVAL. */
int sipc__ctx_off_thread(sipc_ctx *ctx, const char *fn);
/* 0 on a thread that may call ctx's functions, else the refusal above:
 * at every public entry point that acts on a context, a few instructions. */
static inline int sipc__ctx_thread_check(sipc_ctx *ctx, const char *fn)
{
    pthread_t me = pthread_self();
    if (__builtin_expect(pthread_equal(me, __atomic_load_n(&ctx->loop_runner, __ATOMIC_RELAXED)) ||
                             pthread_equal(me, ctx->loop_maker),
                         1))
        return 0;
    return sipc__ctx_off_thread(ctx, fn);
}

/* How long sipc_ctx_close waits for handlers to answer the requests they
 * hold before it completes without them (requests.c orphans them). */
#define SIPC__CLOSE_HOLD_MS 5000

/* Whether a line of this level reaches the sink at all: callers that do work
 * of their own for a line (peer info, rate-limit keys) ask first. */
static inline int sipc__log_on(const sipc_ctx *ctx, sipc_log_level level)
{
    return level >= ctx->opts.log_level;
}
void sipc__log(sipc_ctx *ctx, sipc_log_level level, const char *category, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The same, at most once per key per SIPC__LOG_INTERVAL_MS; the next line
 * says how many were held back, or, when none comes within the interval, a
 * line of their own at its end: "N more like this in the last S s: <key>".
 * So key is a line that is true of every line it holds back (peer host,
 * node, transport or reason; no port, no detail that varies). */
#define SIPC__LOG_INTERVAL_MS 10000
#define sipc__log_limited(ctx, key, ...) sipc__log_limited_host(ctx, key, NULL, __VA_ARGS__)
/* The same, for keys naming a peer's node: at most SIPC__LOG_HOST_BURST new
 * keys of one host_key (the host, without the node; NULL: none) get a line
 * per interval; lines beyond are counted under host_key, so a peer cycling
 * node ids cannot flood the log nor take the table's slots. */
#define SIPC__LOG_HOST_BURST 3
/* And whatever the number of hosts and keys: per context and interval, at
 * most SIPC__LOG_KIND_BURST first lines of one kind (the key with its
 * addresses folded: one event from any host) and SIPC__LOG_BUDGET lines in
 * all (first lines and reports); the rest are counted per kind and said
 * once per interval, so that hosts beyond the table's size taking turns
 * cannot make every line a first one. */
#define SIPC__LOG_KIND_BURST 10
#define SIPC__LOG_BUDGET 60
#define sipc__log_limited_host(ctx, key, host_key, ...)                                            \
    sipc__log_limited_text(ctx, key, host_key, NULL, NULL, __VA_ARGS__)
/* The same; the report of lines counted under host_key shows host_text
 * (NULL: host_key): a host key that folds what varies (numbers) would
 * otherwise show the folded text, not one of the lines it stands for.
 * host_any (NULL: none), a key of the host alone: at most
 * SIPC__LOG_HOST_BURST new keys of the host per interval whatever their
 * host_key, for lines whose reason the peer can vary at will (a failure
 * quoting what it sent or a name it chose); its report is "host_any; the
 * first of them: host_text". */
void sipc__log_limited_text(sipc_ctx *ctx, const char *key, const char *host_key,
                            const char *host_text, const char *host_any, sipc_log_level level,
                            const char *category, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));
/* Whether a line of key (no host_key) would be written now rather than held
 * back: a caller whose text is costly builds it only then (a held line is
 * counted whatever its text). */
int sipc__log_limited_due(sipc_ctx *ctx, const char *key, sipc_log_level level);
/* A line about a TLS handshake refused on a plaintext listener, held for
 * SIPC__RETRY_HOLD_MS: a dialer that offers TLS first and accepts plaintext
 * (permissive, or TLS off with a pair imported) retries in plaintext at
 * once, saying so in its hello, which is what it is built for and no news
 * to this side's operator. Each such retry (sipc__log_retried: same
 * listener, same peer host) turns the oldest line held for its host into a
 * DEBUG one; the lines left are written when due as sipc__log_limited_host
 * would have, with how long ago (a peer that requires TLS failed: the
 * advice holds). Up to SIPC__HELD_MAX lines at once (the table grows with
 * a burst and goes with it); beyond, a handshake is counted with the
 * newest line of its host, and one from a host with none is written at
 * once. */
#define SIPC__RETRY_HOLD_MS 2000
#define SIPC__HELD_MAX 128
/* A line held: due is when it is written unless a retry came (its hold's
 * start plus SIPC__RETRY_HOLD_MS, which its "N s ago" counts from). */
typedef struct sipc__held_line {
    const void *owner;
    char host[160];
    char peer[160];
    uint64_t due;
    uint64_t seq;           /* order of holding: the oldest has the smallest */
    uint32_t count;         /* handshakes it stands for: 1, more when the table was full */
    sipc_log_level level;
    char category[32];
    char key[1000], host_key[1000], host_text[1000], host_any[300];
    char text[1024];
} sipc__held_line;
void sipc__log_hold(sipc_ctx *ctx, const void *owner, const char *peer, const char *host,
                    const char *key, const char *host_key, const char *host_text,
                    const char *host_any, sipc_log_level level, const char *category,
                    const char *text);
/* A plaintext connection from host whose hello says it retries after its
 * TLS was refused came up on owner's listener: the oldest line held for
 * host there is said at DEBUG. */
void sipc__log_retried(sipc_ctx *ctx, const void *owner, const char *host, const char *peer,
                       const char *node);
/* Writes the lines held for a retry and the reports of lines held back
 * that are due by now (all: every one); returns the ms until the next is
 * due (UINT64_MAX: none). */
uint64_t sipc__log_limited_flush(sipc_ctx *ctx, uint64_t now, int all);
/* Runs the context's timer within ms (UINT64_MAX: no need), unless it is
 * due sooner already. */
void sipc__ctx_timer_within(sipc_ctx *ctx, uint64_t ms);
/* "ip" of "ip:port" or "[v6]:port", for rate-limit keys (a peer reconnects
 * from new ports). */
void sipc__peer_host(const char *addr, char *out, size_t len);
void sipc__ctx_mark_dirty(sipc_ctx *ctx, sipc_conn *conn);
void sipc__ctx_maybe_finish_close(sipc_ctx *ctx);

/* ---- connections ---- */
enum { SIPC_CONN_S_HANDSHAKE, SIPC_CONN_S_UP, SIPC_CONN_S_CLOSING };

typedef struct sipc_conn_owner_ops {
    void (*up)(void *owner, sipc_conn *c);
    /* the write queue went back under max_write_queue after a refusal */
    void (*writable)(void *owner, sipc_conn *c);
    /* the connection is being replaced (GOAWAY sent or received): give it no
       new calls; it closes by itself once its calls are answered. May be NULL. */
    void (*draining)(void *owner, sipc_conn *c);
    /* err: why it went down; detail: operator text; was_up: hello completed */
    void (*down)(void *owner, sipc_conn *c, int err, const char *detail, int was_up,
                 int got_bytes);
    void (*freed)(void *owner);
} sipc_conn_owner_ops;

/* Totals a server keeps for sipc_server_stats_get. */
typedef struct sipc_counters {
    uint64_t accepted, refused, evicted, requests, request_errors, hs_failures, slow_closed;
    uint64_t stalled_closed; /* closed for a partial frame at max_read_buffer_total */
    uint64_t resume_refused; /* handshakes that failed only on a refused session ticket */
    struct {
        int err;
        uint64_t count;
    } hs_by_reason[SIPC_STATS_MAX_REASONS];
    int nreasons;
} sipc_counters;

struct sipc_conn {
    sipc_ctx *ctx;
    sipc_security *sec;     /* the one it started with, held until it is freed */
    sipc_stream *stream;
    const sipc_router *router;
    const sipc_conn_owner_ops *owner_ops;
    void *owner;
    sipc_link owner_link;   /* in the owner's connection list */
    sipc_link opening_link; /* a server's, in its handshake: in srv->opening */
    sipc_conn *host_older, *host_newer; /* and among its host's such ones */
    sipc_link dirty_link;   /* in ctx->dirty */
    sipc_counters *counters; /* its server's totals; NULL on a channel's connection */
    int refs;
    int state;
    int is_server;
    int hello_received;
    int peer_plaintext_retry; /* its hello says: a plaintext retry after TLS refused */
    int peer_tls_accepted;  /* its hello says: its port takes TLS too (permissive) */
    int plaintext_retry;    /* a dial: our hello says so (the channel sets it) */
    int replaces_plain;     /* a dial: its TLS replaces a plaintext link that was up
                               (the channel sets it): a refusal of its certificate or
                               trust is the channel's to say (channel_reoffer.c) */
    const char *refused_note; /* a dial the channel expects may be refused, and
                               why (" (peer not up yet)"): a refusal is logged at
                               refused_level under keys of its own, not a WARN */
    int refused_level;
    int stream_closed;
    int timer_closed;
    int paused;             /* reading stopped: see sipc__conn_update_pause() */
    int want_writable;      /* a send was refused with SIPC_EQUEUEFULL */
    int write_err;          /* a direct write failed: the flusher closes */
    size_t direct_min;      /* payloads this large are written direct (conn.c):
                               the stream's early write once up, else SIZE_MAX */
    uint32_t pending_reqs;  /* requests handed to handlers, not answered yet,
                               whose caller still waits (max_pending_requests) */
    uint32_t expired_reqs;  /* held too, past their caller's deadline: not counted
                               above; at max_pending_requests the link closes */
    sipc_link held;         /* every request a handler holds, oldest first */
    uint64_t held_since;    /* uv_now() when reading paused at max_pending_requests,
                               0 while not */
    uint64_t held_check;    /* uv_now() of the next look for expired requests while
                               so paused */
    size_t send_max;        /* largest frame the peer accepts (its hello; ours
                               when it does not say) and we send */
    sipc_frame_decoder dec;
    sipc_buf backlog;       /* bytes read but not decoded while paused */
    int rx_waiting;         /* a split frame waits for room in ctx->rx_budget */
    sipc_link rx_wait_link; /* in ctx->rx_waiters while it waits */
    uint64_t rx_wait_since; /* uv_now() when it began to wait */
    size_t rx_wait_acct;    /* its share of ctx->rx_wait_bytes */
    uint64_t rx_started;    /* dec.started when rx_since was taken */
    uint64_t rx_since;      /* uv_now() when its current split frame began */
    sipc_buf out;           /* frames waiting for the flusher */
    int resume_refused;     /* closed in the handshake only because a resumption was refused */
    size_t queued_acct;     /* its share of ctx->queued_total */
    size_t close_bytes;     /* buffer bytes it held when it closed: counted as
                               released once it is freed */
    uint64_t last_io;       /* uv_now() of the last byte read or frame queued */
    uint64_t next_id;
    sipc_idmap calls;      /* request id -> sipc_pcall */
    sipc_link deadlines;    /* outstanding calls by deadline */
    uv_timer_t timer;       /* handshake, deadlines, keepalive, idle, close */
    uint64_t timer_due;
    uint64_t timer_fired; /* the loop time conn_timer_cb last ran at */
    uint64_t hs_deadline;
    uint32_t hs_ms;         /* the handshake time hs_deadline gives */
    const char *hs_why;     /* why hs_ms is shorter than handshake_timeout_ms,
                               NULL when it is not */
    int evicted;            /* closed in its handshake to make room: the
                               listener logs and counts it, not as a failure */
    uint64_t last_rx;
    uint64_t ping_sent;     /* uv_now() our PING was queued, 0: none outstanding
                               (any frame received answers it) */
    uint64_t ping_out;      /* when it had left our queue (its answer is waited
                               for from then), 0 while bytes before it wait */
    uint64_t ping_last;     /* when our last PING was queued */
    uint64_t tx_seen;       /* sipc_stream_sent() when last looked at while the
                               PING waits behind our bytes */
    uint64_t acked_seen;    /* sipc_stream_acked_bytes() when last looked at while
                               our PING is unanswered */
    uint64_t tx_moved;      /* when either was last seen to grow (the peer takes
                               our bytes: it is alive) */
    uint64_t ping_acked_at; /* sipc_stream_acked_all_at() as our PING left our
                               queue: acknowledged this far, the peer's TCP holds
                               the PING; 0: not known */
    uint64_t ack_looked;    /* when the acknowledgements were last looked at */
    int ping_landed;        /* the peer's TCP acknowledged our PING: what it
                               acknowledges after no longer counts as life */
    uint64_t last_tx;       /* uv_now() of the last frame queued */
    uint64_t rx_free_since; /* when reading last was held back by this side
                               (its answer may wait unread until then) */
    int rx_held;            /* reading held back by this side, as last seen */
    int ping_probe;         /* its answer was overdue once: looked at again
                               after the loop has read what arrived */
    int idle_probe;         /* idle_timeout_ms had passed once: looked at
                               again after the loop has read what arrived */
    uint64_t close_deadline;
    /* GOAWAY (goaway.c): 1 sent, waiting for the PONG of goaway_ping; 2 the
       final one sent, requests above goaway_last_id are refused */
    int goaway_sent;
    int goaway_stopping;    /* ours says this side stops (its port is closed) */
    int goaway_received;    /* the peer's: no new calls here */
    int peer_stopping;      /* the peer's says it stops: not back at once */
    int retire_at_up;       /* retired in its handshake: 1 replaced, 2 its server
                               stops; its GOAWAY goes once the hellos are done */
    uint64_t goaway_ping;
    uint64_t goaway_last_id;
    uint64_t goaway_deadline; /* uv_now() ms: closed then at the latest */
    uint64_t last_req_id;   /* highest request id received */
    size_t key_budget;      /* bytes that may still move before the TLS keys'
                               block count is looked at again (key_wear.c);
                               0: look at the next flush */
    char peer_node[64];
    char peer_cluster[64];
    int peer_cluster_cut;   /* the hello's name was longer than peer_cluster */
    char peer_addr[192];
    int host_counted; /* a server's: in its count per source address */
    const char *dial_from;  /* a dial bound to this source address (the context's
                               source_text): a failed connect names it */
    int down_err;
    char down_detail[600];
};

/* Takes over stream (already connected or accepted) and holds a reference
 * to sec, the security the stream was made with. */
int sipc__conn_new(sipc_conn **out, sipc_ctx *ctx, sipc_security *sec, sipc_stream *stream,
                   int is_server, const sipc_router *router, const sipc_conn_owner_ops *ops,
                   void *owner);
/* How long c's keepalive PING has waited for an answer, 0 when none waits
 * (or reading is held back by this side, when its silence proves nothing). */
uint32_t sipc__conn_ping_wait_ms(const sipc_conn *c);
/* ping.c: queues a PING; the first since the peer was last heard from
 * starts the wait for its answer. */
void sipc__conn_ping_queue(sipc_conn *c, uint64_t now);
/* Queues c's PING now unless one waits for its answer already
 * (sipc_channel_ping): 0, SIPC_ENOTCONN (not up) or SIPC_EINVAL (keepalive
 * off). */
int sipc__conn_ping_now(sipc_conn *c);
/* The last sign of life from the peer (uv_now() ms): a frame, or any
 * byte read (part of a frame or of a TLS record still arriving). */
uint64_t sipc__conn_last_life(const sipc_conn *c);
/* What is known of a peer that was connected to but sent nothing for ms:
 * the one wording of a silent peer, for a handshake and a call alike. */
void sipc__silence_text(char *out, size_t len, const char *peer, uint64_t ms);
/* Closes c with an operator-readable detail; idempotent. err 0: this node
 * closes it on purpose (pending calls complete with SIPC_ECANCELED, the owner
 * is told 0); otherwise why it failed (pending calls complete with err).
 * Queued frames are flushed, then the stream closes gracefully. */
void sipc__conn_close(sipc_conn *c, int err, const char *detail);
/* conn_log.c: the line of c closed by its peer after it was up (INFO), and
 * of c closed for err (c->down_detail saying why) at level; each limited
 * per peer host and node, host and reason, and host (log_limited.c). */
void sipc__conn_log_closed_by_peer(sipc_conn *c);
void sipc__conn_log_failed(sipc_conn *c, int err, int level);
/* 1 if c, a dialer in permissive mode, offered TLS to a peer that speaks
 * plaintext: its channel retries in plaintext at once (not a failure). */
int sipc__conn_permissive_fallback(const sipc_conn *c, int err, int was_up, int got_bytes);
void sipc__conn_flush(sipc_conn *c);
/* Largest frame accepted before the peer's hello is done. */
#define SIPC__PREHELLO_FRAME (64u * 1024)
/* What a closed TLS stream's session gives back at least, counted towards
 * the context's trim (sipc__ctx_released) as its buffers are: wolfSSL's
 * objects, about 9 KiB for an established session and 20 KiB for one
 * closed in its handshake (test_transport t_handshake_flood_memory). */
#define SIPC__TLS_SESSION_BYTES ((size_t)8 << 10)
/* Gives a connection still in its handshake ms from now to finish it; why
 * (a static string, NULL for none) is what its timeout's log line adds. */
void sipc__conn_set_handshake_timeout(sipc_conn *c, uint32_t ms, const char *why);
/* Encodes one frame into the output buffer and marks the connection dirty. */
int sipc__conn_queue(sipc_conn *c, const sipc_env_out *e);
int sipc__conn_send_error(sipc_conn *c, uint64_t id, int status, const char *msg);
/* Bytes queued beyond max_write_queue? */
int sipc__conn_over_limit(const sipc_conn *c);
/* Bytes queued down to half of max_write_queue, the low-water mark where a
 * producer refused with SIPC_EQUEUEFULL is told it may go on: told just
 * under the limit, its next call would be refused again. */
static inline int sipc__conn_low_water(const sipc_conn *c)
{
    return sipc_conn_write_queue(c) <= c->ctx->opts.max_write_queue / 2;
}
/* Brings c's share of ctx->queued_total up to date. */
void sipc__conn_account(sipc_conn *c);
/* Bytes of buffers c holds (queued or spare). */
size_t sipc__conn_buffer_bytes(const sipc_conn *c);
/* A connection idle this long gives its buffers back. */
#define SIPC__TRIM_IDLE_MS 1000
/* Closes the slowest readers while the context's queued output is over
 * max_write_queue_total. */
void sipc__ctx_enforce_queue_total(sipc_ctx *ctx);
/* How long the oldest connection waiting for room in the context's
 * reassembly budget waits before partial frames are closed to make room. */
#define SIPC__RX_WAIT_MS 2000
/* Bytes connections waiting for that room may hold read ahead, all together:
 * this fraction of max_read_buffer_total; a frame that would need more is
 * refused at once. */
#define SIPC__RX_WAIT_SHARE 8
/* Closes partial frames while the oldest waiter has waited its bound and
 * still finds no room (ctx.c). */
void sipc__ctx_enforce_read_total(sipc_ctx *ctx);
/* Closes c for want of room in the budget, telling the peer and the log
 * which limit it met; waited: 1 c itself waited for room, 2 it was refused
 * without waiting (the waiters' read-ahead is full), 0 it held the oldest
 * partial frame (ctx.c). */
void sipc__conn_close_read_full(sipc_conn *c, int waited);
/* c stops waiting for room (admitted or closing); the next waiter is tried. */
void sipc__conn_rx_wait_end(sipc_conn *c);
/* Connections (idle or closed) freed this many bytes: the context's timer
 * hands freed memory back to the system (ctx.c). Counted once they are
 * freed, not before: a return that runs first finds nothing to give. */
void sipc__ctx_released(sipc_ctx *ctx, size_t bytes);
/* Whether released bytes freed since the last return are worth one
 * (malloc_trim walks the whole heap): at least 8 MiB, and at least a
 * quarter of what the heap held with them (in_use: what it still holds). */
int sipc__trim_worth(size_t released, size_t in_use);
/* The wait before the next return, after one that gave back gave of the
 * released bytes counted for it: 1 s when it gave back a quarter of them
 * or more, else twice every, at most 60 s. */
uint32_t sipc__trim_every(uint32_t every, size_t released, uint64_t gave);
void sipc__conn_arm_timer(sipc_conn *c);
void sipc__conn_update_pause(sipc_conn *c);
/* The pause check after a read, which at one request in flight runs once
 * per request: when reading is neither paused nor held back, nothing waits
 * in the backlog or for room, the handlers are under their cap and the write
 * queue under its limit, sipc__conn_update_pause would find nothing to change
 * (it decides from the same fields), so it runs only when one of them says
 * otherwise. The write queue is read here as there, never from a copy. */
static inline void sipc__conn_pause_after_read(sipc_conn *c)
{
    const sipc_options *o = &c->ctx->opts;
    if (!c->paused && !c->rx_held && !c->held_since && !c->backlog.len && !c->rx_waiting &&
        c->pending_reqs < o->max_pending_requests && c->stream &&
        c->out.len + sipc_stream_queued(c->stream) <= o->max_write_queue)
        return;
    sipc__conn_update_pause(c);
}

/* Drops a reference; frees the connection when it was the last one and its
 * handles are closed. */
void sipc__conn_release(sipc_conn *c);
/* What every outgoing call or message must pass first; remembers a
 * SIPC_EQUEUEFULL refusal for SIPC_CONN_WRITABLE. */
int sipc__conn_can_send(sipc_conn *c, const char *service, const char *method, const void *data,
                        size_t len);

/* calls.c: the call map and deadline list of a connection. */
/* The request envelope of call (its id given), telling the peer the time
 * left from now: what sipc__conn_start_call queues, and what a refusal of
 * its size measures. */
sipc_env_out sipc__call_envelope(const sipc_pcall *call, uint64_t now, const char *service,
                                const char *method, const void *data, size_t len);
/* Sends a call prepared while waiting (takes ownership of call); now is
 * uv_now() of the caller's turn of the loop. */
int sipc__conn_start_call(sipc_conn *c, sipc_pcall *call, uint64_t now, const char *service,
                          const char *method, const void *data, size_t len);
/* sipc_conn_call, giving the call made (still owned by the connection). */
int sipc__conn_call(sipc_conn *c, const char *service, const char *method, const void *data,
                    size_t len, uint32_t timeout_ms, sipc_call_cb cb, void *arg,
                    sipc_pcall **made);
/* Removes an in-flight call from its connection (map and deadline list). */
void sipc__conn_take_call(sipc_pcall *call);
/* The answer to request id, or NULL (late, canceled or unknown). */
sipc_pcall *sipc__conn_take_answered(sipc_conn *c, uint64_t id);
/* Completes with SIPC_ETIMEDOUT every call whose deadline is <= now. */
void sipc__conn_expire_calls(sipc_conn *c, uint64_t now);
/* Completes every outstanding call with err. */
void sipc__conn_fail_calls(sipc_conn *c, int err, const char *detail);
/* Earliest call deadline, UINT64_MAX if none. */
uint64_t sipc__conn_next_deadline(const sipc_conn *c);
/* The err a caller sees for a peer's error answer of the given status
 * (sipc.h, sipc_call_cb): SIPC_EREMOTE, but for the codes that mean the
 * same from a peer (no handler, too big, no room, closing) and a peer's
 * SIPC_ETIMEDOUT once the call's own deadline has passed; never a code
 * whose meaning is local (canceled, auth, TLS, the connection's). */
int sipc__call_remote_err(const sipc_pcall *call, int status);
void sipc__call_complete(sipc_pcall *call, int err, int status, const char *message,
                         const uint8_t *data, size_t len);
/* A zeroed call record of ctx (its dl list initialised), NULL when out of
 * memory; sipc__call_free gives it back with its copied request. */
sipc_pcall *sipc__call_new(sipc_ctx *ctx);
void sipc__call_free(sipc_pcall *call);
extern const sipc_stream_events sipc__conn_stream_events;

/* hello.c: this side's hello into out (cap bytes); retry: a plaintext
 * dial after the address refused our TLS; tls_accepted: a plaintext
 * connection to a port that takes TLS too. Returns its length, 0 when it
 * does not fit. */
size_t sipc__hello_pack(sipc_ctx *ctx, int retry, int tls_accepted, uint8_t *out, size_t cap);

/* goaway.c: replacing a connection without failing its calls. */
/* "Connection to ADDR (node N): what" at INFO, one line per peer host and
 * event per interval (sipc__log_limited): what happens to many connections
 * at once, as a reload's replacements. */
void sipc__conn_log_event(sipc_conn *c, const char *event, const char *what);
#define SIPC__GOAWAY_GRACE_MS 10000
/* Announces the drain to the peer and to the owner (idempotent); stopping:
 * the node is going away (logged so), else the connection is replaced. */
void sipc__goaway_start(sipc_conn *c, int stopping);
/* Retires c without failing a request, idle or busy: a GOAWAY (stopping as
 * for sipc__goaway_start); an idle one closes a round trip later. One still
 * in its handshake gets it as its hellos complete. Returns 1 while it stays
 * open, 0 once it is closed or closing. */
int sipc__conn_retire(sipc_conn *c, int stopping);
/* c's hellos are done and its owner told (conn.c): one retired in its
 * handshake sends its GOAWAY now, before anything else can use it. */
void sipc__goaway_at_up(sipc_conn *c);
/* Handles what GOAWAY changes in an incoming frame after the hello; returns 1
 * when it dealt with env, 0 when the frame goes its usual way. */
int sipc__goaway_frame(sipc_conn *c, const sipc_env_view *env);
/* Closes a draining connection once nothing it carries is outstanding. */
void sipc__goaway_close_if_done(sipc_conn *c);

/* The same two for every frame and answer: on a connection that neither
 * sent nor received a GOAWAY (nearly all of them) they come down to a test
 * or two here instead of calls per request. */
static inline int sipc__goaway_on_frame(sipc_conn *c, const sipc_env_view *env)
{
    switch (env->kind) {
    case SIPC__KIND__REQUEST:
        if (c->goaway_sent)
            break;
        if (env->request_id > c->last_req_id)
            c->last_req_id = env->request_id;
        return 0;
    case SIPC__KIND__RESPONSE:
    case SIPC__KIND__ERROR:
    case SIPC__KIND__PING:
        return 0; /* a GOAWAY is a one-way message; the PONG of its ping is a PONG */
    default:
        break;
    }
    return sipc__goaway_frame(c, env);
}

static inline void sipc__goaway_check(sipc_conn *c)
{
    if (c->goaway_received || c->goaway_sent == 2)
        sipc__goaway_close_if_done(c);
}
/* When the grace of a connection that sent GOAWAY ends (UINT64_MAX: none),
 * and the close at that time. */
uint64_t sipc__goaway_due(const sipc_conn *c);
void sipc__goaway_expire(sipc_conn *c, uint64_t now);

/* key_wear.c: a TLS connection whose AES-GCM keys have encrypted as many
 * AES blocks as sipc__key_records_max full-size records hold (RFC 8446 5.5
 * puts AES-GCM's limit per key at 2^24.5 full-size records; TLS 1.2 has no
 * key update) is replaced, new keys on a new connection, as a reload
 * replaces one (sipc__conn_retire). */
#define SIPC__KEY_RECORDS_MAX (UINT64_C(1) << 24)
/* SIPC__KEY_RECORDS_MAX, in full-size records (SIPC_TLS_RECORD_BLOCKS AES
 * blocks each); a test lowers it to see connections replaced. */
extern uint64_t sipc__key_records_max;
/* Looks at the stream's block count once c is up: retires c, once, at
 * the limit, else sets key_budget (SIZE_MAX for plaintext). */
void sipc__conn_keys_check(sipc_conn *c);
/* n bytes of application data moved either way: a subtraction while far
 * from the limit; once the budget is spent, the next flush looks. */
static inline void sipc__conn_keys_wear(sipc_conn *c, size_t n)
{
    c->key_budget = c->key_budget > n ? c->key_budget - n : 0;
}

/* What an operator does about err, which c's stream found (conn_hint.c):
 * text to append to the message ("; ..." or ": ..."), "" when nothing
 * applies; buf (len bytes) may hold it. The stream states the fact; the
 * policy it does not know (every node holds the cluster's pair; TLS is
 * switched per node, and how) is said here. */
const char *sipc__conn_operator_hint(int err, const sipc_conn *c, char *buf, size_t len);

/* conn.c's words for a peer that is no sipc peer at all (peer_text.c),
 * from the first n (at most 4) bytes it sent, b: "peer P speaks neither TLS
 * nor sipc: ..." where TLS was expected (tls_port: a TLS port, or a TLS
 * dialer's answer), else "peer P does not speak sipc: ...", naming text
 * ('GET ', an HTTP client, or from a dialed HTTP server), an SSLv2
 * ClientHello, or the bytes in hex. */
void sipc__foreign_peer_says(const sipc_conn *c, const uint8_t *b, size_t n, int tls_port,
                             char *out, size_t len);
/* Whether s begins the quote of those bytes in such words ("its first bytes
 * (41 a0 e7 86)", "text ('GET ')"): the length of the bytes quoted, which
 * begin *open bytes into s; 0 when it begins none. The rate limiter's keys
 * fold them: a peer varying them must not make each line a new one. */
size_t sipc__foreign_quote(const char *s, size_t *open);

/* requests.c: requests received, handed to handlers. */
/* frame: the body env was read from (its reassembly buffer may be taken
 * over instead of copying a large payload). */
void sipc__conn_dispatch(sipc_conn *c, const sipc_env_view *env, const uint8_t *frame);
/* How often a connection paused at max_pending_requests looks for held
 * requests whose caller's deadline passed, at the latest. */
#define SIPC__HELD_CHECK_MS 1000
/* Held requests of c whose deadline passed stop counting toward
 * max_pending_requests: their callers get SIPC_ETIMEDOUT (if nothing was
 * sent), a WARN names the handler; too many such closes c. Sets
 * c->held_check. Returns how many expired now. */
unsigned sipc__requests_expire(sipc_conn *c, uint64_t now);
/* Appends "service.method" of the requests c holds to out (each name once,
 * up to len bytes in all, "..." when cut); returns how many requests. */
unsigned sipc__requests_describe(const sipc_conn *c, char *out, size_t len);
/* Detaches every request c holds from it (the context's close gave up on
 * them): a later answer frees the request and returns SIPC_ECLOSED. May free
 * c. */
void sipc__requests_orphan(sipc_conn *c);

/* ---- routing ---- */
/* Names a router can hold (sipc.h, SIPC_NAME_MAX): what a route and a call
 * waiting for its link must pass. A call sent at once checks only that they
 * are not empty; the encoder refuses a longer one, where it takes the length
 * anyway. NULLs are the caller's to check. */
static inline int sipc__names_ok(const char *service, const char *method)
{
    return *service && *method && strnlen(service, SIPC_NAME_MAX + 1) <= SIPC_NAME_MAX &&
           strnlen(method, SIPC_NAME_MAX + 1) <= SIPC_NAME_MAX;
}

typedef struct sipc_route {
    char *service;
    char *method;
    size_t service_len, method_len; /* compared first: most routes differ there */
    sipc_handler_fn fn;
    void *arg;
} sipc_route;

struct sipc_router {
    sipc_route *routes;
    int n, cap;
    int refs; /* the creator's, and one per server or channel serving it */
};

/* A server or channel keeps the router it serves (NULL stays NULL): the
 * application may free its own reference any time. The reference count is
 * not the routes, so it changes through a const pointer. */
const sipc_router *sipc__router_retain(const sipc_router *r);
/* Drops a reference taken by sipc__router_retain (NULL: nothing). */
void sipc__router_release(const sipc_router *r);
/* Adds the built-in "sys" handlers (ipc/sys_service.c) to a new router. */
int sipc__sys_register(sipc_router *r);
/* The route of (service, method), names by pointer and length (no NUL
 * needed), or NULL. */
const sipc_route *sipc__router_lookup(const sipc_router *r, const char *service, size_t sl,
                                     const char *method, size_t ml);

/* Requests whose copied fields fit in this many bytes with the struct come
 * from the context's spare blocks. */
#define SIPC__REQ_BLOCK 256
/* Spare blocks a context keeps of each kind. None under AddressSanitizer: a
 * reused block would hide a handler's use of a request it already answered,
 * which ASan's quarantine catches. */
#if defined(__SANITIZE_ADDRESS__)
#define SIPC__SPARE_BLOCKS 0
#else
#define SIPC__SPARE_BLOCKS 128
#endif

/* sipc_request.live while its handler owns it; anything else once answered. */
#define SIPC__REQ_LIVE 0x4c495645u

struct sipc_request {
    sipc_conn *conn;   /* a closed stand-in once orphaned (sipc__requests_orphan);
                          a spare block's link once answered */
    sipc_link link;    /* in conn->held */
    uint64_t id;
    uint64_t deadline; /* uv_now() ms after which the caller no longer waits; 0 = none */
    int oneway;
    int spare_block;   /* allocated from ctx->req_blocks */
    int expired;       /* counted in conn->expired_reqs, not pending_reqs (or orphaned) */
    /* SIPC__REQ_LIVE from dispatch to the answer. Past the first 32 bytes,
     * which the spare-block list (and malloc's lists) write over once it is
     * freed, so a second answer finds it cleared until the block is reused. */
    uint32_t live;
    sipc_ctx *ctx;     /* for the one line a second answer logs (NULL once orphaned) */
    /* copies of the request's fields, in the same allocation as this struct
     * (the frame they came in is gone once dispatch returns) */
    const char *service;
    const char *method;
    const uint8_t *payload; /* NULL when empty */
    size_t payload_len;
    uint8_t *frame_buf;     /* the frame decoder's buffer the payload lies in,
                               taken over (NULL: the payload was copied) */
    size_t frame_cap;
};

_Static_assert(offsetof(struct sipc_request, live) >= 32 &&
                   offsetof(struct sipc_request, ctx) >= 32,
               "what a second answer reads lies past what free lists write");
_Static_assert(sizeof(struct sipc_request) + 64 <= SIPC__REQ_BLOCK,
               "a small request must still fit a spare block");

/* ---- servers and channels ---- */
struct sipc_server {
    sipc_ctx *ctx;
    sipc_counters counters;
    sipc_link link; /* in ctx->servers */
    sipc_stream_listener lis;
    char name[64];
    int port;
    const sipc_router *router;
    sipc_link conns;        /* oldest first */
    uint32_t nconns;        /* in conns */
    uint32_t nopening;      /* of which still in their handshake */
    uint32_t nclosing;      /* of which closed, not yet freed (their descriptors
                             * go within a close grace): not open */
    sipc_link opening;      /* those still in their handshake, oldest first:
                             * the next to make room is the first */
    uint32_t fds_handed;    /* of the closing ones, as many as were closed to make
                             * room (their descriptors closed at once) handed
                             * their place in the process's count to a newcomer:
                             * that many frees give nothing back (fd_budget.c) */
    uint32_t max_conns;     /* max_connections, bounded by the open-file limit */
    uint32_t max_per_host;  /* max_connections_per_host, or its default from max_conns */
    sipc_link budget_link;  /* among the process's servers (fd_budget.c) */
    uint32_t fds;           /* its connections in the process's count (under its lock) */
    int reserved;           /* sipc_server_set_reserved: may use the reserve's slice */
    uint64_t starved_until; /* uv_now() before which accepts are refused: an accept
                             * failed for want of a descriptor */
    struct sipc__host_count *hosts; /* open connections per source host
                             * (sipc__host_key: an IPv6 /64 is one host):
                             * open addressing, linear probing */
    uint32_t hosts_cap;     /* 0 or a power of two, at least 64; halves when
                             * an eighth full */
    uint32_t hosts_used;
    uint64_t hosts_seed;    /* random: addresses a peer picks cannot collide at will */
    sipc_conn_cb conn_cb;
    void *conn_arg;
    int closing;
    int draining;           /* sipc_server_drain: no longer accepting */
    int listener_gone;      /* its listener is closed (draining, then closing) */
    void (*close_cb)(sipc_server *, void *);
    void *close_arg;
};

struct sipc_channel {
    sipc_ctx *ctx;
    sipc_link link; /* in ctx->channels */
    char host[128];
    int port;
    char where[140];        /* "host:port" or "[v6]:port", for messages */
    const sipc_router *router;
    sipc_conn *conn;        /* current connection attempt or link */
    sipc_link conns;        /* it and links being replaced (GOAWAY), by owner_link */
    int up;
    int up_tls;             /* the link that is up, or was last, is TLS */
    int ever_up;            /* it has been up at least once */
    char peer_node[64];     /* of the last link that came up */
    char peer_host[64];     /* the address that link reached, numeric ("[v6]" for
                               IPv6): with peer_node, which node news of a node
                               heard from is about */
    char peer_cluster[64];  /* named by the last peer's hello, a refused one too */
    int peer_cluster_cut;   /* that name was longer than peer_cluster */
    uint64_t since_ms;      /* wall clock of the last up/down change */
    uint64_t down_at;       /* uv_now() of the same change to down (or first failure) */
    uint64_t peer_seen_at;  /* uv_now() when the peer's node was last heard from on another
                               connection while this link was down; 0: not since */
    uint64_t stopping_at;   /* uv_now() when the peer's GOAWAY said it stops, on this
                               link or on another link to its node and address
                               (sipc_ctx_peer_stopping); 0: not since the link was
                               last up */
    int closing;
    int plain_fallback;     /* permissive: the peer answered in plaintext */
    int retry_next;         /* the next dial is the plaintext retry of a refused TLS */
    int fallback_said;      /* a fallback of an offer-only security was logged at INFO */
    uint32_t reoffer_ms;    /* permissive: how long a plaintext link the peer says
                               takes TLS waits before it is replaced by TLS (0: at
                               once); grows while such offers fall back again */
    int offer_replaces_plain; /* permissive: the TLS dialed next replaces a plaintext
                                 link that was up (a re-offer, either side's GOAWAY) */
    int tls_refused;        /* permissive: that TLS was refused for a certificate or
                               trust (an AUTH-class code): the link is plaintext and
                               TLS is not offered again until this side's security
                               changes or a link goes down or is replaced; 0: not */
    char tls_refused_detail[600];
    int last_err;
    char last_detail[600];
    uint64_t err_at;        /* uv_now() when last_err was seen */
    int fail_fast;
    uint32_t backoff_ms;
    uint64_t last_dial;     /* uv_now() of the last attempt, 0 before the first */
    uint64_t rng;           /* xorshift state for redial jitter */
    uv_timer_t timer;       /* redial */
    uv_timer_t wtimer;      /* deadlines of calls waiting for the link */
    int handles_open;
    int conns_alive;
    size_t waiting_bytes;
    sipc_link waiting;      /* calls made while down, by deadline */
    int want_writable;      /* a waiting call was refused with SIPC_EQUEUEFULL */
    sipc_idmap handles;     /* sipc_call_id -> sipc_pcall, calls made with an id */
    uint64_t next_handle;
    uv_getaddrinfo_t gai;
    int resolving;
    sipc_conn_cb conn_cb;
    void *conn_arg;
    void (*close_cb)(sipc_channel *, void *);
    void *close_arg;
};

/* A context's first seconds: peers started together come up a few ms
 * apart, so a refused dial of a link that has never been up is expected
 * then (INFO); later, or once the link has been up, it is a WARN. */
#define SIPC__START_GRACE_MS 10000
/* A peer whose GOAWAY said it stops has closed its port: a refused dial of
 * its link in the SIPC__STOP_GRACE_MS after is expected (DEBUG: the GOAWAY
 * was said); a peer away longer is refused with a WARN as any other. */
#define SIPC__STOP_GRACE_MS 10000
/* The backoff cap of a link refused for its TLS mode (the peer requires TLS,
 * or answers in plaintext where this side requires TLS), if reconnect_max_ms
 * is lower: each attempt costs the peer a refused handshake, and only a mode
 * change (a reload, which redials at once) makes the next one succeed. */
#define SIPC__MODE_REFUSED_MAX_MS 10000
/* The context's security changed: every channel's backoff starts over, and
 * a link that is down redials at once with the new security. */
void sipc__channels_security_changed(sipc_ctx *ctx);
/* channel_reoffer.c: once ch's link c is up, a plaintext one whose peer
 * says it takes TLS (a permissive dialer's fallback) is replaced by TLS,
 * at once the first time and then after a growing wait. */
void sipc__channel_reoffer_tls(sipc_channel *ch, sipc_conn *c);
/* channel_reoffer.c: c, a permissive dial whose TLS replaced a plaintext
 * link that was up, failed with err before it came up: 1 when that is a
 * refusal of a certificate or trust (SIPC_CLASS_AUTH), after which ch
 * redials in plaintext, says so once and offers TLS no more (ch->tls_refused);
 * 0 for anything else, which ch handles as any failed dial. */
int sipc__channel_reoffer_refused(sipc_channel *ch, sipc_conn *c, int err);
/* A dialer that offers TLS first falls back to plaintext after c's TLS
 * attempt ended with err: says so (a warning when this side is
 * permissive: a downgrade; once per peer when TLS is off here). */
void sipc__channel_fallback_said(sipc_channel *ch, sipc_conn *c, int err);
/* channel_reoffer.c: whether c's failure with err is such a refusal, which
 * the channel says (so the connection does not). */
int sipc__reoffer_said(const sipc_conn *c, int err, int was_up);
/* channel_reoffer.c: this side's security changed: the wait before a
 * re-offer starts over, and a link left plaintext by a refused TLS offers
 * it again (the new pair or trust may be taken). */
void sipc__channel_reoffer_rearm(sipc_channel *ch);
void sipc__server_close_all(sipc_ctx *ctx);

/* The process's descriptors as connections may use them (fd_budget.c):
 * limit is RLIMIT_NOFILE (0: none), cap what every context's connections
 * may hold together, slice what reserved servers may hold beyond it,
 * opening the most connections one server may hold still in their
 * handshake (its part of cap, one for each server of the process and one
 * for the established and outgoing connections; at least 1), servers the
 * number of servers that part was taken for. */
typedef struct {
    uint32_t limit, reserve, cap, slice, opening, servers;
} sipc__fd_limits;
void sipc__fd_limits_get(sipc__fd_limits *l);
void sipc__fd_budget_add_server(sipc_server *srv);
void sipc__fd_budget_remove_server(sipc_server *srv);
/* One more connection of srv (NULL: a channel's dial, never refused): 1, or
 * 0 when the process's connections are at l's cap (srv's slice beyond it). */
int sipc__fd_budget_take(sipc_server *srv, const sipc__fd_limits *l);
void sipc__fd_budget_put(sipc_server *srv);
/* The process's one spare descriptor, given up when an accept fails for
 * want of one, taken back as soon as one is free again (whether it is held
 * now). */
void sipc__fd_budget_free_spare(void);
int sipc__fd_budget_spare_back(void);
/* "open-file limit 1024; 700 connections open: Data Service 500, ...": what
 * holds the descriptors, for messages (cut to len) */
void sipc__fd_usage(char *out, size_t len);
/* A connection with node_id came up from or to address ("ip:port" or a host
 * alone, the port not compared; a connection's is its stream's peer, resolved,
 * not a channel's peer_addr, which is as opened): channels of ctx whose last
 * link reached that node at that host and that wait to redial try again soon.
 * Not the node id alone: nodes on one host without [node] id share the host
 * name as theirs, and one's hello must not hurry the redial of another that
 * is gone. */
void sipc__channels_peer_back(sipc_ctx *ctx, const char *node_id, const char *address);
/* A GOAWAY from node_id at host:port said it stops: channels of ctx opened
 * to that address whose last link reached that node, and which have no link
 * up now (in their backoff, dialing, being replaced), expect its refusals
 * as the links that got the GOAWAY do. Not the node id alone: nodes on one
 * host without [node] id share the host name as theirs. */
void sipc__channels_peer_stopping(sipc_ctx *ctx, const char *node_id, const char *host, int port);
/* c, a channel's connection, got a GOAWAY saying its peer stops: the
 * context's other links to that node and address hear it, then the program
 * (sipc_ctx_set_peer_stop_cb). Nothing for a server's connection. */
void sipc__channel_stop_news(sipc_conn *c);
void sipc__channel_close_all(sipc_ctx *ctx);

#endif
