/* sipc.h - mutual-TLS inter-process communication for the servers of a cluster.
 *
 * Shape (after libuv): one prefix, long-lived handles (sipc_ctx, sipc_server,
 * sipc_channel), short-lived objects that last one operation (sipc_request, a
 * call). All functions must be called on the loop thread except
 * sipc_ctx_post(), which any thread may call. A context checks it where a
 * call acts on it (sipc_call, sipc_call_ex, sipc_send, sipc_call_cancel,
 * sipc_respond, sipc_respond_error, sipc_conn_call(_ex), sipc_conn_send,
 * sipc_conn_call_cancel, sipc_channel_open, sipc_channel_close,
 * sipc_server_listen, sipc_server_close, sipc_ctx_set_security,
 * sipc_ctx_close): called on a thread that neither made the context nor
 * runs its loop, it fails with SIPC_EINVAL and does nothing (a request
 * refused so is still the handler's to answer), and the context logs one
 * ERROR naming sipc_ctx_post(), once. The thread that runs the loop is
 * noted at every turn of it, before it waits for I/O: a context made on
 * one thread may be run by another, and used again by its maker once that
 * one no longer runs it (never by two at once). Functions return 0 or a negative
 * error code; a function that returns an error never fires its callback.
 * A NULL handle or output pointer (where a comment does not say what NULL
 * means) is SIPC_EINVAL from a function that returns a code; the others do
 * nothing and return NULL, "", 0 or SIPC_TLS_OFF. A handle already freed
 * cannot be told from a live one: that stays the caller's error. A detail
 * buffer (err, errlen) may be NULL or errlen 0: no detail is then written.
 *
 * Whether a connection is TLS or plaintext is decided once per connection,
 * from the context's sipc_security when it is accepted or dialed (see
 * sipc_ctx_set_security()); nothing above this API ever asks.
 *
 * Binary compatibility: a program runs only with the libsipc ABI it was
 * built for. The library reads or writes its structures whole (sipc_options,
 * sipc_peer_info, sipc_link_info, sipc_config of sipc/node.h), so a grown
 * structure or a changed function makes another ABI and raises
 * SIPC_ABI_VERSION below, the soname's number (libsipc.so.N): the loader
 * refuses to start a program built for another ABI ("error while loading
 * shared libraries: libsipc.so.1: cannot open shared object file") rather
 * than let it read or write memory past its structures.
 */
#ifndef SIPC_H
#define SIPC_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "sipc/errno.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SIPC_VERSION_MAJOR 0
#define SIPC_VERSION_MINOR 1
#define SIPC_VERSION_PATCH 0
#define SIPC_VERSION_STRING "0.1.0"
/* The ABI of these headers, libsipc.so.N's N (the build reads it here),
 * raised at every change of a public structure, enumeration or function
 * (check_abi fails until it is: docs/architecture.md, section 13). */
#define SIPC_ABI_VERSION 1
/* The loaded library's SIPC_ABI_VERSION (the loader makes it the program's). */
SIPC_EXTERN int sipc_abi_version(void);
/* The build identity: `git describe --always --dirty` of the source at build
 * time (e.g. "c30fb56a1b2c" or "c30fb56a1b2c-dirty"), the -DSIPC_BUILD_ID
 * given to CMake, or "unknown". Two builds of one version tell apart by it. */
SIPC_EXTERN const char *sipc_build_id(void);
/* Wire protocol version carried in every envelope and in the hello. */
#define SIPC_PROTOCOL_VERSION 1

/* --------------------------------------------------------------- logging */

typedef enum { SIPC_LOG_DEBUG = 0, SIPC_LOG_INFO, SIPC_LOG_WARN, SIPC_LOG_ERROR } sipc_log_level;

/* Log sink. category is a dotted origin such as "Service.Start" or
 * "Transport.TLS"; msg is one line without a trailing newline and never
 * contains key material or passwords. */
typedef void (*sipc_log_fn)(void *arg, sipc_log_level level, const char *category,
                            const char *msg);
/* The default sink of a context: stderr, INFO and above, one line a record
 * ("2026-11-23T13:35:01.042+01:00 Transport.Conn WARN ..."); arg is unused. sipc/node.h
 * has a logger that also writes the node's log files. */
SIPC_EXTERN void sipc_log_stderr(void *arg, sipc_log_level level, const char *category, const char *msg);
/* "DEBUG", "INFO", "WARN" or "ERROR". */
SIPC_EXTERN const char *sipc_log_level_name(sipc_log_level level);
/* Formats one message (at most 1,399 bytes, a log line's length; a sink cuts
 * it to fit its stamp and names) and hands it to fn; nothing when fn is NULL.
 * For code that writes to a sink given in its options. */
SIPC_EXTERN void sipc_log_printf(sipc_log_fn fn, void *arg, sipc_log_level level,
                                 const char *category, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
SIPC_EXTERN void sipc_log_vprintf(sipc_log_fn fn, void *arg, sipc_log_level level,
                                  const char *category, const char *fmt, va_list ap)
    __attribute__((format(printf, 5, 0)));

#include "sipc/security.h"

/* ------------------------------------------------------------- context */

typedef struct sipc_ctx sipc_ctx;
typedef struct sipc_server sipc_server;
typedef struct sipc_channel sipc_channel;
typedef struct sipc_conn sipc_conn;
typedef struct sipc_request sipc_request;
typedef struct sipc_router sipc_router;

typedef struct sipc_options {
    const char *node_id;          /* copied; default "node". 1 to 63 bytes of
                                     printable UTF-8 (no control characters,
                                     nor invisible or text-direction ones
                                     such as U+200B or U+202E, which a
                                     peer's hello check refuses) */
    const char *cluster;          /* copied; default "sipc". The same rule: a
                                     peer compares the whole name, so a longer
                                     one is refused, never cut */
    size_t max_frame;             /* default 16 MiB; 1 KiB .. 256 MiB. The envelope
                                     (ids, names, deadline) takes a few dozen
                                     bytes of it besides the payload. Said to
                                     peers in the hello: nothing larger than
                                     the peer's is sent to it either, so one
                                     message too large fails alone (see
                                     sipc_call, sipc_respond) and the
                                     connection goes on (a peer too old to say
                                     its value closes the connection with
                                     SIPC_ETOOBIG instead) */
    size_t max_write_queue;       /* bytes queued per connection before
                                     SIPC_EQUEUEFULL, default 64 MiB */
    size_t max_write_queue_total; /* bytes queued on all connections of the
                                     context; beyond it the connection holding
                                     the most (the slowest reader) is closed with
                                     SIPC_EQUEUEFULL. Default 256 MiB */
    uint32_t max_pending_requests;/* requests received on one connection and not
                                     yet answered before reading from it pauses,
                                     default 1024. One whose caller's deadline
                                     has passed stops counting (its caller is
                                     sent SIPC_ETIMEDOUT, a WARN names the
                                     handler's service.method); more than this
                                     many such requests still held close the
                                     connection (SIPC_ETIMEDOUT) */
    uint32_t handshake_timeout_ms;/* TLS handshake + hello, default 10000 */
    uint32_t idle_timeout_ms;     /* close after this long without any frame,
                                     default 60000, 0 = never */
    uint32_t keepalive_ms;        /* ping after this long without a frame,
                                     default 15000, 0 = never (but while
                                     reading is held back: see
                                     keepalive_timeout_ms) */
    uint32_t reconnect_min_ms;    /* dialer backoff, default 100; doubles per failed
                                     attempt, each delay drawn in [b/2, b] */
    uint32_t reconnect_max_ms;    /* the backoff's cap, default 1000: a peer back from
                                     an outage is reached again within about this
                                     long. A call made while a channel waits to redial
                                     brings the attempt forward, to no sooner than
                                     max(reconnect_min_ms, 250) after the last one */
    uint32_t max_connections;     /* connections one server holds at once; at it a new
                                     one closes the oldest still in its handshake to
                                     make room, or, when all are established, is
                                     accepted and closed at once. Default
                                     16384, and never more than the share of
                                     the process's open-file limit that all
                                     servers hold together (sipc_server_set_reserved) */
    uint32_t max_opening;         /* connections of one server still in their
                                     handshake (TLS and hello); beyond it the oldest
                                     is closed to make room, and past half of it new
                                     ones get a quarter of handshake_timeout_ms.
                                     Default 4096, and never more than the server's
                                     part of the open-file limit's share: that
                                     share in one part per server of the process
                                     and one more, so that a flood on one port
                                     leaves the others room for their peers */
    sipc_log_fn log;              /* default: sipc_log_stderr: stderr at INFO */
    void *log_arg;
    sipc_log_level log_level;     /* lines below it are neither formatted nor
                                     passed to log: a sink that drops them
                                     should say so here. Default SIPC_LOG_DEBUG
                                     (all lines), raised to SIPC_LOG_INFO for
                                     sipc_log_stderr, which keeps no less;
                                     above SIPC_LOG_ERROR: SIPC_EINVAL */
    size_t max_read_buffer_total; /* bytes of reassembly buffers (frames split
                                     across reads, and the buffer kept between
                                     them) of all connections of the context.
                                     A frame that does not fit waits with
                                     reading paused; after 2 s the oldest
                                     partial frames are closed with
                                     SIPC_EREADFULL to make room. Default 256
                                     MiB; at least max_frame (else
                                     SIPC_EINVAL). Frames that arrive whole in
                                     one read are never counted */
    const char *source_address;   /* copied; NULL or "" (default): outgoing
                                     connections leave from the address the
                                     kernel picks. Else a numeric IPv4 or IPv6
                                     address ("localhost", any case:
                                     127.0.0.1; a host
                                     name: SIPC_EINVAL) that every channel of
                                     the context binds its connections to
                                     before dialing, so that peers see it as
                                     this side's address; a peer of the other
                                     family is dialed unbound. A bind that
                                     fails (the address is not on this host)
                                     fails that dial with a detail naming the
                                     address, and the channel retries as after
                                     any failed dial */
    uint32_t keepalive_timeout_ms;/* a keepalive PING (keepalive_ms) that gets
                                     no answer within this long, counted from
                                     when it left this side's queue, closes the
                                     connection with SIPC_EKEEPALIVE ("no
                                     answer to PING from ADDRESS within N
                                     ms"), and a channel redials. Anything
                                     received counts as an answer: any frame,
                                     any byte of one still arriving; and while
                                     the PING waits behind bytes queued before
                                     it, the peer taking any of them, and
                                     (Linux) its TCP acknowledging more of
                                     our bytes (seen within twice this
                                     long). Not counted while this side
                                     holds back reading (its handlers hold
                                     max_pending_requests, no room for a
                                     partial frame); such a side sends a PING
                                     whenever it sent nothing for half the
                                     shorter of keepalive_ms and this, so
                                     its peer hears from it (keepalive_ms 0:
                                     half of this, or of 10000 when it is 0,
                                     and no answer is awaited). Default
                                     10000, 0 = never
                                     (only idle_timeout_ms closes) */
    uint32_t max_connections_per_host; /* connections one server holds from one
                                     source host (any port): an IPv4 address
                                     (also seen as ::ffff:a.b.c.d), or an
                                     IPv6 /64; beyond it a
                                     new one from that host closes that
                                     host's oldest still in its handshake
                                     to make room, or, when all of them are
                                     established, is accepted and closed at
                                     once: one host cannot take every slot.
                                     Default (0): a quarter of the server's
                                     max_connections (after the open-file
                                     share), at least 64; at or above
                                     max_connections it has no effect */
    int timeouts_reported;        /* nonzero: the caller has itself reported
                                     what is odd about keepalive_ms,
                                     keepalive_timeout_ms and idle_timeout_ms
                                     (sipcd does, naming its sipc.conf
                                     lines; sipc_config_timeouts_note), so
                                     sipc_ctx_new logs no WARN about them.
                                     It silences every verdict: set it only
                                     in options made from the sipc_config
                                     whose note was logged. Default 0 */
} sipc_options;

/* Sets every field to its default. sipc_ctx_new also reads 0 (or NULL) in
 * max_frame, the queue, request, connection and opening limits,
 * handshake_timeout_ms and reconnect_min_ms as "the default" (idle_timeout_ms,
 * keepalive_ms and keepalive_timeout_ms 0 mean never), and raises a reconnect_max_ms below
 * reconnect_min_ms to it. */
SIPC_EXTERN void sipc_options_init(sipc_options *opts);

/* A context binds sipc to one libuv loop: it owns the servers and channels
 * made from it and holds a reference to sec. sec is required (plaintext:
 * sipc_security_plain()); opts may be NULL (every default). If SIGPIPE still
 * has its default action it is set to ignored, so a peer resetting a socket
 * cannot kill the process (write errors are reported as errors instead).
 * Returns 0, SIPC_ENOMEM, or SIPC_EINVAL for a NULL out, loop or sec or an
 * option out of its range; each SIPC_EINVAL logs one ERROR line
 * (Transport.Context) through opts->log (sipc_log_stderr when NULL) naming
 * the argument or field and why, e.g. "sipc_ctx_new: options.cluster is 70
 * bytes long, more than the 63 this library keeps and sends to peers".
 * Timeouts that work, but not as their values suggest, are accepted and
 * logged as one WARN naming the fields (none with timeouts_reported):
 * keepalive_ms not below idle_timeout_ms, both on (every quiet connection
 * is closed as idle before its PING could keep it open), keepalive_ms +
 * keepalive_timeout_ms not below idle_timeout_ms (an unanswered PING is
 * closed as idle first), or idle_timeout_ms 0 with keepalive_ms or
 * keepalive_timeout_ms 0 (nothing closes a silent peer). */
SIPC_EXTERN int sipc_ctx_new(sipc_ctx **out, uv_loop_t *loop, const sipc_options *opts, sipc_security *sec);
SIPC_EXTERN uv_loop_t *sipc_ctx_loop(const sipc_ctx *ctx);
/* The security new connections use. */
SIPC_EXTERN sipc_security *sipc_ctx_security(const sipc_ctx *ctx);
/* Replaces the security of ctx (ctx takes a reference to sec and drops its
 * reference to the old one). Connections accepted or dialed from now on,
 * channel redials included, use sec; live connections keep the security they
 * started with until they close. A listener keeps its port: with a new TLS
 * mode it accepts what the new mode accepts. Returns 0, SIPC_EINVAL or
 * SIPC_ECLOSING. */
SIPC_EXTERN int sipc_ctx_set_security(sipc_ctx *ctx, sipc_security *sec);
/* After sipc_ctx_set_security: replaces every connection of ctx (its
 * servers' and its channels') that was made with another security than the
 * current one, idle or busy, with a GOAWAY (docs/protocol.md, section 11):
 * the peer (and a channel of ctx) sends new calls on a new connection, with
 * the current security, and this one closes once the requests it carried
 * are answered, 10 s after the GOAWAY at the latest. No call is lost to it:
 * the GOAWAY's round trip tells this side the last request it will answer,
 * so a request the peer sends at that very moment is answered, not failed.
 * An idle connection closes a round trip later (at once at a sipc peer,
 * when the PONG comes back at an older one). A channel whose connection was
 * replaced dials the new one at once when calls were in flight on it, else
 * at a random moment within reconnect_min_ms, or at its next call, so that
 * thousands of idle links do not all dial in the same moment. A connection
 * still in its handshake is counted and gets its GOAWAY as soon as its
 * hellos are done, without another call (a channel's own sends nothing
 * waiting on it). quiet_ms is no longer used (it was how long an idle connection
 * had to be quiet to be closed rather than drained). Call it again until it
 * returns 0 (a timer of a few hundred ms). Returns how many connections of
 * an older security are still open (including those in their handshake and
 * those draining after a GOAWAY), 0 when none is left. */
SIPC_EXTERN int sipc_ctx_retire_connections(sipc_ctx *ctx, uint32_t quiet_ms);
/* The node id and cluster name this context says in its hello. */
SIPC_EXTERN const char *sipc_ctx_node_id(const sipc_ctx *ctx);
SIPC_EXTERN const char *sipc_ctx_cluster(const sipc_ctx *ctx);
/* Closes every server, channel and connection of ctx; every pending call
 * completes with SIPC_ECANCELED ("context closed"); then close_cb (may be
 * NULL) runs and ctx is freed. This is no graceful stop: the connections
 * close at once, so a request a handler still holds can no longer be
 * answered to its caller (the caller sees SIPC_ECLOSED and cannot tell
 * whether the request ran). To let them be answered, stop each server with
 * sipc_server_drain first, then close. Requests handlers still hold (on
 * open or already closed connections) are waited for at most 5 s, only so
 * that the handlers can release them: the close logs a WARN
 * (Transport.Conn) saying how many and which service.method, keeps the
 * loop running meanwhile (uv_run does not return before close_cb), and when
 * the 5 s end logs a WARN naming those still held and completes without
 * them. Answering such a request later is safe: sipc_respond /
 * sipc_respond_error free it and return SIPC_ECLOSED (0 for a one-way
 * message), even after close_cb.
 * Unlike libuv's close callbacks, these run synchronously, inside this call
 * and before it returns: the functions posted (sipc_ctx_post) and not run
 * yet, then the callback of every pending call; each may call sipc again
 * (a close there returns SIPC_ECLOSING). close_cb itself always runs later,
 * from the loop.
 * Returns 0; SIPC_EINVAL for a NULL ctx; SIPC_ECLOSING when ctx is already
 * closing: nothing is done and this close_cb is never called (the first
 * close's is), as nng's close says NNG_ECLOSED. */
typedef void (*sipc_ctx_close_cb)(sipc_ctx *ctx, void *arg);
SIPC_EXTERN int sipc_ctx_close(sipc_ctx *ctx, sipc_ctx_close_cb close_cb, void *arg);

/* Thread-safe: runs fn(ctx, arg) on the loop thread soon. Use it to submit
 * calls from other threads. Returns SIPC_ECLOSING once sipc_ctx_close was
 * called (fn will then never run). ctx stays valid for other threads only
 * until close_cb returns: it is freed then, and a post after that reads
 * freed memory, whatever it would return. So a posting thread must be
 * stopped before close_cb returns: join it before sipc_ctx_close, or have
 * it stop at its first SIPC_ECLOSING and make close_cb wait until it has
 * (a flag under the application's own lock, or a join). The library cannot
 * answer a post after the free itself: the caller's only handle is the
 * pointer that was freed. SIPC_EQUEUEFULL (fn will not run) while
 * SIPC_POSTS_MAX posts wait for the loop to take them: a thread posting
 * faster than the loop runs them is refused rather than growing the queue
 * without bound; it should wait for its posts to run before posting more. */
#define SIPC_POSTS_MAX (1u << 20)
typedef void (*sipc_post_fn)(sipc_ctx *ctx, void *arg);
SIPC_EXTERN int sipc_ctx_post(sipc_ctx *ctx, sipc_post_fn fn, void *arg);

/* --------------------------------------------------------------- routing */

/* Handler for one (service, method). The handler owns req until it answers
 * with sipc_respond() or sipc_respond_error(), now or later from the loop
 * thread; each frees req. For a one-way message the answer is discarded but
 * must still be given, to free req. */
typedef void (*sipc_handler_fn)(sipc_request *req, void *arg);

/* A router maps (service, method) to handlers. New routers already serve the
 * built-in "sys" service: sys.ping (empty reply), sys.echo (returns the
 * payload) and sys.info (node id, cluster, TLS mode, peer TLS details).
 *
 * Lifetime: a router is reference counted. sipc_router_new gives the caller
 * one reference; every server (sipc_server_listen) and channel
 * (sipc_channel_open) that serves it takes its own and drops it once it is
 * closed (just before it is freed, after its close_cb). The servers and
 * channels share the router, not a copy: a handler added or replaced with
 * sipc_router_add after listen takes effect for the next request, on every
 * one of them. Like everything else here, a router is used on the loop
 * thread only (no locking). */
SIPC_EXTERN int sipc_router_new(sipc_router **out);
/* Drops the caller's reference (NULL: nothing). The router's memory goes
 * with the last reference, so it may be called right after
 * sipc_server_listen: the server keeps serving the routes. r must not be
 * used by the caller afterwards (nor by a handler's code that held it). */
SIPC_EXTERN void sipc_router_free(sipc_router *r);
/* Longest service or method name, in bytes. A router holds no other, so
 * sipc_call and sipc_send refuse a name no peer could route. */
#define SIPC_NAME_MAX 255
/* Replaces an existing handler for the same pair. Strings are copied.
 * SIPC_EINVAL for a name that is empty, longer than SIPC_NAME_MAX or not
 * printable UTF-8 (a control character, which a call could not name in a
 * log line, an invisible or text-direction character such as U+200B or
 * U+202E, with which a name could show as another, or a byte that is not
 * UTF-8). */
SIPC_EXTERN int sipc_router_add(sipc_router *r, const char *service, const char *method, sipc_handler_fn fn,
                    void *arg);

SIPC_EXTERN const void *sipc_request_data(const sipc_request *req, size_t *len);
SIPC_EXTERN const char *sipc_request_service(const sipc_request *req);
SIPC_EXTERN const char *sipc_request_method(const sipc_request *req);
SIPC_EXTERN int sipc_request_is_oneway(const sipc_request *req);
/* How long the caller still waits for the answer, in ms: the deadline it sent
 * with the request, less the time spent since the request arrived. 0: the
 * caller sent no deadline (an older peer, or a one-way message); -1: the
 * deadline has passed, and an answer will be dropped (see sipc_respond). */
SIPC_EXTERN int64_t sipc_request_deadline_ms(const sipc_request *req);
/* The connection it arrived on; NULL once that connection has closed (or
 * the context's close gave up on the request, see sipc_ctx_close). */
SIPC_EXTERN sipc_conn *sipc_request_conn(const sipc_request *req);
/* The size, in payload bytes, of an answer sipc_respond is sure to send for
 * req: the smaller of this node's max_frame and the caller's, less the most
 * an answer's envelope can take (99 bytes). A bound, not the exact limit:
 * an answer up to that many bytes larger may fit too, as its envelope is
 * smaller. A handler whose answer can grow with the request (one result
 * per item) shortens it to this rather than fail with SIPC_ETOOBIG. 0 once
 * the connection is gone. */
SIPC_EXTERN size_t sipc_request_answer_max(const sipc_request *req);
/* Answer req and free it; req is freed whatever the result. data may be NULL
 * when len is 0: an empty reply. Answers are queued even over
 * max_write_queue (a request is never left unanswered). Returns 0, or:
 * SIPC_ECLOSED: the connection is gone (or the context's close gave up on
 * the request), the answer is dropped;
 * SIPC_ETIMEDOUT: the caller's deadline passed, it no longer waits and the
 * answer is dropped (the caller may already have been sent SIPC_ETIMEDOUT,
 * see max_pending_requests);
 * SIPC_ETOOBIG: the reply is larger than max_frame, this node's or the
 * smaller one the caller's hello said: only this call fails, the caller gets
 * SIPC_ETOOBIG with the reply's size and the limit in its message, and the
 * connection and its other calls go on;
 * SIPC_EINVAL: data is NULL with len > 0, the caller gets SIPC_EREMOTE; or
 * called on a thread that does not run the loop (top of this header): then
 * req is not freed, and is still to be answered from the loop. */
SIPC_EXTERN int sipc_respond(sipc_request *req, const void *data, size_t len);
/* status: a positive application code or a negative sipc code (0 is sent
 * as SIPC_EREMOTE), the caller's reply->status. Its err is SIPC_EREMOTE
 * whatever the status (a peer never makes a caller see ECANCELED or an auth
 * failure), but for ENOMETHOD, ETOOBIG, EREADFULL, ECLOSING and ETIMEDOUT
 * once the call's own deadline passed (docs/protocol.md; a behaviour
 * change). message, cut to the caller's max_frame between UTF-8
 * characters, reaches it with what is not printable as \xNN. Frees req;
 * returns as sipc_respond does.
 *
 * A request is answered once: the first answer (sipc_respond or
 * sipc_respond_error) frees it, and req must not be used after it. What a
 * second answer does:
 * - given before the context has taken the request's block again: it is
 *   detected, not sent, and returns SIPC_EINVAL; the first such bug of a
 *   context logs an ERROR (Transport.Conn). This holds for requests whose
 *   names and copied payload fit a small block (a payload up to about 150
 *   bytes, or of 4 KiB and more, with short names), which the context keeps
 *   for reuse, up to 128 at a time. Kept blocks are reused oldest first, so
 *   an answered block is taken again only after as many new small requests
 *   as there were blocks kept before it (up to 127; none when none was
 *   kept): twice in the same handler call or from one callback is always
 *   caught, and a second answer from a later callback usually is.
 * - not guaranteed otherwise: once another request has taken the same
 *   block, a second answer goes to THAT request's caller; a larger
 *   request's memory, or a small one's answered while 128 blocks are kept,
 *   is given back to malloc, and a second answer to it is a use after free.
 *   Under AddressSanitizer no block is kept, and ASan reports the second
 *   answer. */
SIPC_EXTERN int sipc_respond_error(sipc_request *req, int status, const char *message);

/* ---------------------------------------------------------------- calls */

typedef struct sipc_reply {
    int status;           /* 0, or the status of the peer's answer */
    const char *message;  /* reason, "" if none; a peer's with non-printing bytes as \xNN */
    const uint8_t *data;  /* payload, valid only during the callback */
    size_t len;
    /* (newest last: written by the library, read by the callback) */
    int sent;             /* 1: the request was handed to a connection that was up
                           * (queued there or written): the peer may have
                           * received it and acted on it, whatever err says. 0:
                           * it never left this process: no connection came up
                           * before its deadline, or the attempt failed (fail
                           * fast), the call was canceled or its channel closed
                           * while it waited for the link, or it was refused
                           * here (larger than the peer's max_frame). Only a
                           * failed call with sent = 1 leaves the caller
                           * unsure whether the peer acted on it */
} sipc_reply;

/* Completion of a call. err is 0 on success, else why it failed (a call made
 * is always completed exactly once). reply is never NULL. Why a call fails:
 * SIPC_ETIMEDOUT (its deadline), SIPC_ECANCELED (sipc_call_cancel, or this
 * node closed the connection, channel, server or context), the reason the
 * connection failed (SIPC_ECLOSED: the peer closed it; a libuv code; ...), or
 * the remote's answer (SIPC_EREMOTE, ...: sipc_respond_error). reply->sent tells
 * a failure before the request left this process (the same codes:
 * SIPC_ETIMEDOUT for a link that did not come up in time, the attempt's error
 * under fail fast) from one after. */
typedef void (*sipc_call_cb)(int err, const sipc_reply *reply, void *arg);
/* Names a call made with sipc_call_ex() or sipc_conn_call_ex(); never 0. */
typedef uint64_t sipc_call_id;

/* ------------------------------------------------------------- servers */

typedef struct sipc_peer_info {
    char address[64];        /* "ip:port" of the remote end ("[v6]:port";
                                an IPv4 peer of a listener on :: as
                                "a.b.c.d:port", not its ::ffff: form) */
    int tls;                 /* 1 if this connection is TLS */
    char tls_version[16];    /* "TLSv1.2" */
    char tls_cipher[64];     /* e.g. "ECDHE-ECDSA-AES128-GCM-SHA256" */
    char peer_node[64];      /* from the peer's hello */
    char peer_cluster[64];
    char peer_fingerprint[65]; /* SHA-256 of the peer certificate, hex */
    int tls_resumed;         /* the TLS session of an earlier connection was
                                resumed (its peer was verified then) */
    int tls_direct;          /* 1: this node carries the connection's application
                                data through sipc's own TLS record layer; 0: through
                                wolfSSL's (a build without key export, or a
                                handshake that did not end at a record boundary) */
    /* (newest last: sipc_conn_info writes the whole structure, so, as with
     * sipc_options, a program is compiled against the header of the libsipc
     * it runs with) */
    int peer_cluster_cut;    /* 1: the hello's cluster name was longer than
                                peer_cluster holds (63 bytes), which has its
                                start only (such a peer is refused,
                                SIPC_ECLUSTER: read it when the connection goes
                                down) */
    int peer_offered_tls;    /* 1: a plaintext connection whose hello says the
                                peer offered TLS first and retries in plaintext
                                because this listener refused it (protocol.md,
                                plaintext_retry): it would speak TLS to a
                                listener that asks for it. The peer's own word */
} sipc_peer_info;

/* Connection events reported to servers and channels. */
typedef enum {
    SIPC_CONN_UP = 1,  /* handshake and hello done; calls may flow */
    SIPC_CONN_DOWN,    /* closed (only after UP). err 0: this node closed it on
                          purpose (sipc_conn_close, or closing its channel,
                          server or context), and its pending calls completed
                          with SIPC_ECANCELED; otherwise why it failed
                          (SIPC_ECLOSED: the peer closed it), which is also
                          what its pending calls completed with */
    SIPC_CONN_WRITABLE /* a call or send was refused with SIPC_EQUEUEFULL and
                          the write queue is down to half of max_write_queue
                          (a low-water mark: told just under the limit, the
                          producer's next call would be refused again):
                          reported once per refusal episode, so a streaming
                          producer knows when to go on. For a channel whose
                          calls waited for the link, it comes from the
                          connection once they were handed to it */
} sipc_conn_event;
typedef void (*sipc_conn_cb)(sipc_conn *conn, sipc_conn_event ev, int err, void *arg);

/* Listen on address:port (port 0 picks a free one) and serve router's
 * handlers; the server holds a reference to router until it is closed (see
 * sipc_router_new). address is a numeric IPv4 or IPv6 address ("[::1]" too;
 * "0.0.0.0" or "::" for every interface); NULL, "" and "localhost" listen on
 * 127.0.0.1 only. Anything else, or a port outside 0 .. 65535, is
 * SIPC_EINVAL, with an ERROR through the
 * context's log saying so, as for a port that cannot be bound (the libuv
 * code, e.g. UV_EADDRINUSE). name is the service's display name used in log
 * lines ("Data Service"; NULL or "": "sipc server"). The security of ctx
 * decides plaintext, TLS or both, which the server logs at INFO. */
SIPC_EXTERN int sipc_server_listen(sipc_server **out, sipc_ctx *ctx, const char *name, const char *address,
                       int port, const sipc_router *router);
SIPC_EXTERN int sipc_server_port(const sipc_server *srv);
SIPC_EXTERN void sipc_server_set_conn_cb(sipc_server *srv, sipc_conn_cb cb, void *arg);
/* The connections of every server and channel of the process, all contexts
 * together, hold at most the open-file limit (RLIMIT_NOFILE, read at each
 * accept) less a reserve for everything else the process opens (its files,
 * logs, listening sockets): max(256, limit / 8), half the limit when that is
 * less than twice 256. An accept past that share is refused as at a full
 * server (accepted and closed at once, a WARN naming the open-file limit,
 * counted in refused_total); a channel's dial is counted, never refused.
 * A server marked reserved (on nonzero) may go on accepting into a quarter
 * of that reserve, up to its own max_connections: for a server that must
 * stay reachable while the others are flooded (an operator's). Returns 0,
 * or SIPC_EINVAL for a NULL srv. */
SIPC_EXTERN int sipc_server_set_reserved(sipc_server *srv, int on);
/* The cause of a failure for want of a descriptor, in words that do not
 * send the reader to the disk: for err EMFILE (or libuv's UV_EMFILE) "the
 * process has run out of file descriptors (open-file limit 1024; 700
 * connections open: Data Service 500, Search Service 196, outgoing 4)",
 * each server by its name; for ENFILE the same of the system's table.
 * Returns 1 with that in out (cut to len), or 0 for any other err (out
 * untouched). Safe from any thread (a storage's thread pool). */
SIPC_EXTERN int sipc_fd_explain(int err, char *out, size_t len);
/* Stops listening, closes its connections (pending calls on them fail, their
 * callbacks run inside this call), then close_cb (may be NULL). close_cb
 * runs once every request received on those connections has been answered
 * (sipc_respond on a closed connection just frees the request), so a
 * handler holding one must still answer it (only sipc_ctx_close gives up on
 * such requests, after 5 s); it runs from the loop, or
 * inside this call when sipc_server_drain already closed the listener and
 * every connection. srv is freed after close_cb and must not be used then.
 * Returns 0; SIPC_EINVAL for a NULL srv; SIPC_ECLOSING when srv is already
 * closing (also by sipc_ctx_close): nothing is done and this close_cb is
 * never called. */
SIPC_EXTERN int sipc_server_close(sipc_server *srv, void (*close_cb)(sipc_server *, void *), void *arg);
/* The graceful way to stop a server: it stops accepting at once (its port is
 * closed); every connection, idle or busy, gets a GOAWAY as in
 * sipc_ctx_retire_connections (docs/protocol.md, section 11): its peer sends
 * new calls elsewhere and the connection closes once the requests it carried
 * are answered (an idle one a round trip later), 10 s after the GOAWAY at
 * the latest; a request the peer sends at that moment is answered, not
 * failed. quiet_ms is no longer used. Call it again (a timer of a few tens
 * of ms) until it returns 0, or until a deadline of your own, then
 * sipc_server_close. Returns how many connections are still open; 0 and
 * nothing done once sipc_server_close was called. */
SIPC_EXTERN int sipc_server_drain(sipc_server *srv, uint32_t quiet_ms);

/* What a server has seen, for status reports and metrics. Counts of live
 * connections are taken when asked; totals count since the server started. */
#define SIPC_STATS_MAX_REASONS 16
typedef struct sipc_server_stats {
    uint32_t conns_tls;        /* connections up (hello done) over TLS */
    uint32_t conns_plain;      /* connections up over plaintext */
    uint32_t conns_opening;    /* accepted, handshake or hello not done yet */
    uint64_t accepted_total;
    uint64_t refused_total;    /* closed at once: max_connections reached */
    uint64_t evicted_total;    /* closed still in their handshake to make room (max_opening) */
    uint64_t requests_total;   /* requests and one-way messages received */
    uint64_t request_errors_total; /* answered with an error (no handler, remote error...) */
    uint64_t handshake_failures_total; /* connections that closed before the hello was done */
    struct {
        int err;               /* why, a sipc code such as SIPC_EPLAINTEXT */
        uint64_t count;
    } handshake_failures[SIPC_STATS_MAX_REASONS]; /* by reason; the rest under SIPC_ETLS */
    int nhandshake_failures;
    uint64_t write_queue_bytes;      /* queued for its connections now, not yet sent */
    uint64_t buffer_bytes;           /* buffers its connections hold now (queued bytes
                                        and spare capacity; idle ones release theirs) */
    uint64_t slow_closed_total;      /* closed because the context's queued output
                                        exceeded max_write_queue_total (the slowest reader) */
    uint64_t resume_refused_total;   /* handshakes that failed only because this server refused
                                        the client's session ticket and the client gave up (as
                                        wolfSSL 5.5.4 clients do after our restart or reload; they
                                        redial with a full handshake): not in
                                        handshake_failures. A steady rate without restarts is
                                        someone presenting made-up tickets. */
    uint64_t read_buffer_bytes;      /* held now by its connections for frames split across
                                        reads (reassembly buffers, and what connections
                                        waiting for room read ahead) */
    uint64_t stalled_closed_total;   /* closed because the context's reassembly buffers
                                        reached max_read_buffer_total: the oldest partial
                                        frame, or a frame that found no room in time */
} sipc_server_stats;
SIPC_EXTERN int sipc_server_stats_get(const sipc_server *srv, sipc_server_stats *out);
/* Calls fn for every connection of srv that is up (hello done), in the order
 * they were accepted; fn must not close connections. */
SIPC_EXTERN void sipc_server_foreach_conn(sipc_server *srv, void (*fn)(sipc_conn *c, void *arg),
                                          void *arg);

/* ------------------------------------------------------------- channels */

/* A channel is a client's lasting link to one address: it dials, keeps the
 * connection up with keepalives and redials with exponential backoff and
 * jitter when it drops. router may be NULL (then the peer cannot call us);
 * else the channel holds a reference to it until it is closed (see
 * sipc_router_new). SIPC_EINVAL for a NULL or empty address or a port
 * outside 1 .. 65535 (logged at ERROR, naming which). */
SIPC_EXTERN int sipc_channel_open(sipc_channel **out, sipc_ctx *ctx, const char *address, int port,
                      const sipc_router *router);
SIPC_EXTERN void sipc_channel_set_conn_cb(sipc_channel *ch, sipc_conn_cb cb, void *arg);
/* Last error seen while (re)connecting, 0 if connected or not yet tried;
 * sipc_channel_last_detail() its reason, "" when it is 0. */
SIPC_EXTERN int sipc_channel_last_error(const sipc_channel *ch);
SIPC_EXTERN const char *sipc_channel_last_detail(const sipc_channel *ch);
/* Fail fast (gRPC's default for RPCs without wait-for-ready): when a
 * connection attempt fails, calls waiting for the link complete at once with
 * that attempt's error instead of waiting for their deadline. For CLIs.
 * Their reply's message names the peer ("cannot connect to HOST:PORT:
 * connection refused"). Without it they end with SIPC_ETIMEDOUT at their
 * deadline, the message naming the link's last failure ("deadline passed
 * while the link to HOST:PORT was down: its last attempt failed with
 * SIPC_EPEERAUTH (auth class): ..."). */
SIPC_EXTERN void sipc_channel_set_fail_fast(sipc_channel *ch, int fail_fast);
SIPC_EXTERN int sipc_channel_is_up(const sipc_channel *ch);
/* Whether the link is down after a failure: not up, and its last connection
 * or connection attempt failed (sipc_channel_last_error() is not 0, its
 * reason sipc_channel_last_detail()). A link still making its first attempt
 * is not down. *for_ms (may be NULL; 0 when not down) gets how long it has
 * been down, since it went down or its first attempt failed, on the loop's
 * clock (a step of the wall clock does not change it). */
SIPC_EXTERN int sipc_channel_is_down(const sipc_channel *ch, uint64_t *for_ms);
/* A link down this long (sipc_channel_is_down) is down, no longer merely
 * reconnecting: sipcd's cluster status reports it (link_down) and the
 * pipeline answers records for its node UNAVAILABLE at once instead of
 * holding them to their deadline. A node restarting is meant to come back
 * within it: docs/services.md ("Delivery and retries") counts the budget. */
#define SIPC_LINK_DOWN_MS 10000
/* Brings the link's next redial attempt forward, as a call waiting for the
 * link does: to no sooner than 250 ms (or reconnect_min_ms, if longer)
 * after the last attempt, instead of at the end of its backoff (up to
 * reconnect_max_ms). For a caller that stops calling a link it knows is
 * down (sipc_channel_is_down), so that the link still comes back as soon
 * as its peer does. Nothing while the link is up, connecting or closed;
 * through the channel's timer, never at once. On the loop thread, as every
 * call on a channel; NULL ch: nothing (no error: it returns void, as the
 * other setters). */
SIPC_EXTERN void sipc_channel_redial_soon(sipc_channel *ch);
/* Has the link send its keepalive PING now rather than after keepalive_ms
 * of silence, unless one already waits for its answer: for a caller whose
 * calls wait with nothing received from the peer, to tell a peer that is
 * slow to answer (its PING is answered at once) from one that is stopped,
 * cut off or powered off (no answer). The wait shows in
 * sipc_link_info.ping_wait_ms, and the PING is timed as the keepalive's own:
 * unanswered for keepalive_timeout_ms, the connection closes
 * (SIPC_EKEEPALIVE) and the link redials. Returns 0 (a PING waits for its
 * answer), SIPC_ENOTCONN (the link is not up, or the channel is closing) or
 * SIPC_EINVAL (ch NULL, or the context's keepalive_ms or
 * keepalive_timeout_ms is 0: nothing would time the answer). On the loop
 * thread. */
SIPC_EXTERN int sipc_channel_ping(sipc_channel *ch);
/* node_id (its hello's node id) has just been heard from on a connection
 * outside ctx, e.g. on a server of another context of this process, whose
 * peer is at address (sipc_peer_info.address: "ip:port", "[v6]:port", or a
 * numeric host alone; the port is not compared, a node dials from ports of
 * its own): a node that connects to us is up, so ctx's channels whose last
 * link went to that node at that host and is down redial soon (as
 * sipc_channel_redial_soon) and note when (sipc_link_info.peer_seen_ms). A
 * hello on one of ctx's own connections does the same by itself. Keyed on
 * both, as the stop news is (sipc_ctx_peer_stopping): nodes on one host
 * without [node] id of their own share the host name as theirs, and one's
 * hello must not bring forward the redial of another that is gone. The host
 * is that of the link's last connection as dialed (a name resolved), so a
 * peer heard from another address than the one its links reach (one whose
 * connections leave from another address: sipc_options.source_address)
 * brings nothing forward; its links come back at the end of their backoff.
 * The id is the peer's word: with TLS it comes from a holder of the
 * cluster's pair, in plaintext from anyone; all it can cause is an earlier
 * redial, at most a few a second. On the loop thread; NULL ctx, node_id or
 * address, an empty id or address or a closing ctx: nothing. */
SIPC_EXTERN void sipc_ctx_peer_seen(sipc_ctx *ctx, const char *node_id, const char *address);
/* A node that stops closes its ports and says so in a GOAWAY ("stopping").
 * A channel that gets it logs it once, and its refusals in the 10 s after
 * are expected: DEBUG, not WARN; so are those of ctx's other channels
 * opened to the same address whose last link reached the same node id.
 * The news is keyed on both: nodes on one host without their own [node] id
 * share the host name as theirs, and the stop of one must not quiet a
 * refusal by another. Other contexts do not hear it by themselves.
 * sipc_ctx_set_peer_stop_cb tells the program of each such GOAWAY on ctx's
 * channels: node_id from the peer's hello, host and port as the channel was
 * opened (sipc_channel_open); on the loop thread, from the connection's
 * read: pass the news on, do not close ctx there. NULL cb: none. NULL ctx:
 * nothing. */
typedef void (*sipc_peer_stop_cb)(sipc_ctx *ctx, const char *node_id, const char *host, int port,
                                  void *arg);
SIPC_EXTERN void sipc_ctx_set_peer_stop_cb(sipc_ctx *ctx, sipc_peer_stop_cb cb, void *arg);
/* The news that node_id at host:port stops, heard outside ctx (another
 * context's sipc_peer_stop_cb; a program knows which of the node's
 * addresses belong to it, e.g. its other services' ports): ctx's channels
 * opened to that address (the host compared as an address: "localhost" is
 * 127.0.0.1) whose last link reached node_id and that are not up now take
 * its refusals for the next 10 s as expected, as if the GOAWAY had come on
 * one of them (their redials keep their backoff). The callback is not
 * called again. On the loop thread; NULL ctx, node_id or host, an empty id
 * or a closing ctx: nothing. */
SIPC_EXTERN void sipc_ctx_peer_stopping(sipc_ctx *ctx, const char *node_id, const char *host,
                                        int port);
/* The state of a channel's link, for status reports. */
typedef struct sipc_link_info {
    char address[140];   /* "host:port" as opened */
    int up;              /* 1: the hello is done, calls flow */
    int tls;             /* 1 if the link is TLS; while down, 1 if it was TLS
                          * when last up (0: plaintext, or never up) */
    char peer_node[64];  /* the peer's node id from its last hello, "" if never up */
    uint64_t since_ms;   /* Unix time (ms) of the last change between up and down; 0: never */
    int last_err;        /* why the link last failed, 0 if never */
    char last_detail[600];
    /* (newest last: sipc_channel_info writes the whole structure, so, as
     * with sipc_options, a program is compiled against the header of the
     * libsipc it runs with) */
    char peer_cluster[64]; /* the cluster the last connection's peer named in its hello,
                              also one refused for another cluster (SIPC_ECLUSTER); ""
                              when no hello came */
    int peer_cluster_cut;  /* 1: that name was longer than peer_cluster holds (63 bytes),
                              which has its start only */
    uint32_t ping_wait_ms; /* when up: how long this side's keepalive PING has waited
                              for an answer (anything from the peer, or the peer
                              taking or acknowledging our bytes), 0 when none
                              waits. A live peer answers within milliseconds; one
                              that has not for seconds is suspect, and
                              keepalive_timeout_ms after the PING left the link goes
                              down (SIPC_EKEEPALIVE) */
    uint32_t last_error_age_ms; /* when down: how long ago last_err was seen (the attempt
                                   that failed); redials back off, so the reason may be
                                   that old and no longer true */
    uint32_t next_attempt_ms;   /* when down and no attempt is under way: how long until
                                   the next one */
    int attempting;             /* when down: an attempt is under way now */
    uint32_t silent_ms;         /* when up: how long nothing has been received from the
                                   peer. An idle link is silent up to keepalive_ms by
                                   design, so suspicion counts from the PING (ping_wait_ms),
                                   and this says how long the peer has really been quiet */
    uint32_t peer_seen_ms;      /* when down: how long ago the node of its last link was
                                   heard from at that link's host on another connection
                                   since the link fell
                                   (sipc_ctx_peer_seen); UINT32_MAX: not since, or an
                                   attempt dialed since failed all the same. A node
                                   heard from is up, and this link is coming back: not to
                                   be taken for a node that is gone */
    int tls_refused;            /* when up in plaintext (a permissive dialer's fallback): the
                                   code, of the SIPC_CLASS_AUTH class, that refused the TLS
                                   offered in its place; TLS is not offered on it again
                                   until this side's security changes, the link goes down or
                                   the peer replaces it (GOAWAY). 0: none */
    char tls_refused_detail[600]; /* that refusal's reason and fix, "" when none */
} sipc_link_info;
SIPC_EXTERN int sipc_channel_info(const sipc_channel *ch, sipc_link_info *out);
/* Fails pending calls with SIPC_ECANCELED ("channel closed"; their
 * callbacks run synchronously, inside this call), closes (the
 * connection-down err is 0), then close_cb (may be NULL), from the loop.
 * Until close_cb the handle stays valid but refuses new calls
 * (SIPC_ECLOSING); after close_cb it is freed and must not be used.
 * Returns 0; SIPC_EINVAL for a NULL ch; SIPC_ECLOSING when ch is already
 * closing (also by sipc_ctx_close): nothing is done and this close_cb is
 * never called. */
SIPC_EXTERN int sipc_channel_close(sipc_channel *ch, void (*close_cb)(sipc_channel *, void *), void *arg);

/* Call service.method with payload. Calls made while the channel is not up
 * wait for it (up to their deadline). A name that is empty or longer than
 * SIPC_NAME_MAX is SIPC_EINVAL (no router holds one); one that holds a
 * control, invisible or text-direction character is sent, and answered
 * SIPC_ENOMETHOD. timeout_ms counts from this call (not from when the loop
 * last polled); 0 means the default of 30 s.
 * Many calls may be in flight; replies may come in any order. cb runs once,
 * with the reply or the error; it may be NULL (the outcome is then not
 * reported: for a message without an answer, sipc_send is cheaper).
 * SIPC_ETOOBIG: the request is larger than max_frame, or, with the link up,
 * than the peer's (its hello says it); a call that waited for the link gets
 * SIPC_ETOOBIG through cb instead. An answer too large for this side fails
 * this call alone, with SIPC_ETOOBIG (see sipc_respond).
 * SIPC_EQUEUEFULL: the requests queued on the connection (or waiting for
 * the link) would pass max_write_queue; nothing is queued. With the link
 * up, call again after SIPC_CONN_WRITABLE (sipc_channel_set_conn_cb), as a
 * writer honouring backpressure does. While the link is down, WRITABLE
 * comes only once it is up and what waited has gone out: waiting calls
 * that fail meanwhile (their deadline) free their room without an event,
 * so a producer refused then retries on its own timer or on SIPC_CONN_UP. */
SIPC_EXTERN int sipc_call(sipc_channel *ch, const char *service, const char *method, const void *data,
              size_t len, uint32_t timeout_ms, sipc_call_cb cb, void *arg);
/* sipc_call, and *id (if id is not NULL) names the call for
 * sipc_call_cancel(). */
SIPC_EXTERN int sipc_call_ex(sipc_channel *ch, const char *service, const char *method,
                             const void *data, size_t len, uint32_t timeout_ms, sipc_call_cb cb,
                             void *arg, sipc_call_id *id);
/* Completes a pending call of ch at once with SIPC_ECANCELED, whether it
 * waits for the link or is in flight; its callback runs from inside this
 * function, exactly once, and a late answer is ignored. The peer is not told
 * (its handler still runs; sipc_request_deadline_ms lets it give up early).
 * Returns 0, or SIPC_EINVAL if no such call is pending (it completed
 * already). */
SIPC_EXTERN int sipc_call_cancel(sipc_channel *ch, sipc_call_id id);
/* One-way message: no reply; returns once queued. While the channel is not
 * up it waits for the link as a call does (30 s), then is dropped without a
 * word, as it is when the channel closes: delivery is not reported. Use
 * sipc_call when the sender must know. */
SIPC_EXTERN int sipc_send(sipc_channel *ch, const char *service, const char *method, const void *data,
              size_t len);

/* The same on an established connection (e.g. a server calling back a client). */
SIPC_EXTERN int sipc_conn_call(sipc_conn *conn, const char *service, const char *method, const void *data,
                   size_t len, uint32_t timeout_ms, sipc_call_cb cb, void *arg);
SIPC_EXTERN int sipc_conn_send(sipc_conn *conn, const char *service, const char *method, const void *data,
                   size_t len);
/* sipc_conn_call, naming the call for sipc_conn_call_cancel(). */
SIPC_EXTERN int sipc_conn_call_ex(sipc_conn *conn, const char *service, const char *method,
                                  const void *data, size_t len, uint32_t timeout_ms,
                                  sipc_call_cb cb, void *arg, sipc_call_id *id);
/* As sipc_call_cancel, for a call made with sipc_conn_call_ex on conn. */
SIPC_EXTERN int sipc_conn_call_cancel(sipc_conn *conn, sipc_call_id id);
/* The security conn was made with (it keeps it until it closes, whatever
 * sipc_ctx_set_security does meanwhile). */
SIPC_EXTERN sipc_security *sipc_conn_security(const sipc_conn *conn);
SIPC_EXTERN int sipc_conn_info(const sipc_conn *conn, sipc_peer_info *out);
SIPC_EXTERN sipc_ctx *sipc_conn_ctx(const sipc_conn *conn);
/* Bytes queued for writing and not yet handed to the kernel. */
SIPC_EXTERN size_t sipc_conn_write_queue(const sipc_conn *conn);
/* Closes conn on purpose: its pending calls complete with SIPC_ECANCELED and
 * the connection-down err is 0. */
SIPC_EXTERN void sipc_conn_close(sipc_conn *conn);

#ifdef __cplusplus
}
#endif
#endif /* SIPC_H */
