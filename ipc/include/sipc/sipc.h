/* sipc.h - mutual-TLS inter-process communication for the servers of a cluster.
 *
 * Shape (after libuv): one prefix, long-lived handles (sipc_ctx, sipc_server,
 * sipc_channel), short-lived objects that last one operation (sipc_request, a
 * call). All functions must be called on the loop thread except
 * sipc_ctx_post(), which any thread may call. Functions return 0 or a negative
 * error code; a function that returns an error never fires its callback.
 *
 * Whether a connection is TLS or plaintext is decided once, from the
 * sipc_security given to sipc_ctx_new(); nothing above this API ever asks.
 */
#ifndef SIPC_H
#define SIPC_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SIPC_VERSION_MAJOR 0
#define SIPC_VERSION_MINOR 1
#define SIPC_VERSION_PATCH 0
#define SIPC_VERSION_STRING "0.1.0"
/* Wire protocol version carried in every envelope and in the hello. */
#define SIPC_PROTOCOL_VERSION 1

/* ---------------------------------------------------------------- errors */

/* sipc's own codes live in their own range; any other negative value a sipc
 * function returns is a libuv (errno) code and belongs to SIPC_CLASS_IO.
 * sipc_strerror() describes both. */
#define SIPC_ERRNO_MAP(XX)                                                             \
    XX(EINVAL, -30001, USAGE, "invalid argument")                                      \
    XX(ENOMEM, -30002, USAGE, "out of memory")                                         \
    XX(ECONFIG, -30003, USAGE, "invalid configuration")                                \
    XX(ECLOSING, -30004, USAGE, "handle is closing")                                   \
    XX(ECLOSED, -30010, IO, "connection closed")                                       \
    XX(ENOTCONN, -30011, IO, "not connected")                                          \
    XX(EIDLE, -30012, IO, "connection idle for too long")                              \
    XX(EQUEUEFULL, -30013, IO, "write queue full")                                     \
    XX(ETLS, -30020, TLS, "TLS failure")                                               \
    XX(ETLSCONFIG, -30021, TLS, "TLS certificate or key could not be loaded")          \
    XX(EHSTIMEOUT, -30022, TLS, "handshake (TLS or hello) timed out")                             \
    XX(EPEERAUTH, -30030, AUTH, "peer certificate rejected")                           \
    XX(ENOPEERCERT, -30031, AUTH, "peer presented no certificate")                     \
    XX(EPROTO, -30040, PROTOCOL, "malformed frame or envelope")                        \
    XX(ETOOBIG, -30041, PROTOCOL, "frame larger than the configured maximum")          \
    XX(EVERSION, -30042, PROTOCOL, "protocol version mismatch")                        \
    XX(ECLUSTER, -30043, PROTOCOL, "cluster name mismatch")                            \
    XX(EPLAINTEXT, -30044, PROTOCOL, "peer speaks plaintext where TLS is required")    \
    XX(ETLSONPLAIN, -30045, PROTOCOL, "peer speaks TLS where plaintext is configured") \
    XX(ETIMEDOUT, -30050, CALL, "call deadline exceeded")                              \
    XX(ENOMETHOD, -30051, CALL, "no handler for that service and method")              \
    XX(EREMOTE, -30052, CALL, "remote handler returned an error")                      \
    XX(ECANCELED, -30053, CALL, "call canceled")

typedef enum {
#define SIPC_ERR_ENUM_(name, code, cls, msg) SIPC_##name = (code),
    SIPC_ERRNO_MAP(SIPC_ERR_ENUM_)
#undef SIPC_ERR_ENUM_
} sipc_err;

/* Error classes: what kind of thing went wrong, for callers that react to
 * classes rather than codes (retry on IO, alert on AUTH, ...). */
typedef enum {
    SIPC_CLASS_NONE = 0, /* not an error (0 or positive) */
    SIPC_CLASS_USAGE,    /* caller or configuration mistake */
    SIPC_CLASS_IO,       /* socket-level failure, includes every libuv code */
    SIPC_CLASS_TLS,      /* TLS protocol or crypto failure */
    SIPC_CLASS_AUTH,     /* the peer could not be authenticated */
    SIPC_CLASS_PROTOCOL, /* the peer broke the sipc wire protocol or its mode */
    SIPC_CLASS_CALL      /* an RPC failed: deadline, no handler, remote error */
} sipc_err_class;

/* Static description of err (sipc or libuv code). Never NULL. */
const char *sipc_strerror(int err);
/* Symbolic name, e.g. "SIPC_EPEERAUTH" or "ECONNREFUSED". Never NULL. */
const char *sipc_err_name(int err);
sipc_err_class sipc_err_classify(int err);
/* "usage", "io", "tls", "auth", "protocol", "call" or "none". */
const char *sipc_err_class_name(sipc_err_class cls);

/* --------------------------------------------------------------- logging */

typedef enum { SIPC_LOG_DEBUG = 0, SIPC_LOG_INFO, SIPC_LOG_WARN, SIPC_LOG_ERROR } sipc_log_level;

/* Log sink. category is a dotted origin such as "Service.Start" or
 * "Transport.TLS"; msg is one line without a trailing newline and never
 * contains key material or passwords. */
typedef void (*sipc_log_fn)(void *arg, sipc_log_level level, const char *category,
                            const char *msg);

/* A log file writer that produces the documented operator format
 *   2026-11-23T13:35:01 Service.Start INFO TLS Port: 23000
 * into DIR/<name>_<YYYYMMDD>.log (switching file at midnight) and, when
 * echo_stderr is set, to stderr. dir may be NULL for stderr only. */
typedef struct sipc_logger sipc_logger;
int sipc_logger_open(sipc_logger **out, const char *dir, const char *name, int echo_stderr,
                     sipc_log_level min_level);
void sipc_logger_close(sipc_logger *lg);
/* A sipc_log_fn that writes to the sipc_logger passed as arg; with arg NULL,
 * to stderr at INFO and above (the default sink of a context). */
void sipc_logger_sink(void *arg, sipc_log_level level, const char *category, const char *msg);
void sipc_logf(sipc_logger *lg, sipc_log_level level, const char *category, const char *fmt,
               ...) __attribute__((format(printf, 4, 5)));
const char *sipc_log_level_name(sipc_log_level level);

/* ---------------------------------------------------------- configuration */

/* $SIPC_HOME resolution shared by every tool: explicit (--home) if non-NULL,
 * else $SIPC_HOME, else /var/lib/sipc. Returns a pointer to a static or the
 * given string. */
const char *sipc_home_resolve(const char *explicit_home);

typedef enum {
    SIPC_TLS_OFF = 0,    /* legacy plaintext on every listener and dialer */
    SIPC_TLS_STRICT,     /* TLS only; plaintext peers are refused */
    SIPC_TLS_PERMISSIVE  /* listeners accept both on one port; dialers prefer TLS */
} sipc_tls_mode;

typedef enum { SIPC_REVOCATION_OFF = 0, SIPC_REVOCATION_SOFT, SIPC_REVOCATION_HARD } sipc_revocation;

#define SIPC_MAX_SERVICES 8
#define SIPC_MAX_NODES 32

typedef struct sipc_service_conf {
    char name[32];  /* section name: "data", "search", "management", "pipeline" */
    int port;
} sipc_service_conf;

/* $SIPC_HOME/sipc.conf, an INI file. Unknown keys are reported as errors so a
 * typo does not silently leave TLS off. */
typedef struct sipc_config {
    char home[512];
    /* [node] */
    char node_id[64];   /* default: the host name */
    char address[128];  /* bind address, default 127.0.0.1 */
    /* [cluster] */
    char cluster[64];   /* default "sipc" */
    char nodes[SIPC_MAX_NODES][160]; /* "host:port" of the data service of every node */
    int nnodes;
    /* [tls] */
    int tls_enable;            /* enable = 0|1 */
    sipc_tls_mode tls_mode;    /* mode = strict|permissive, meaningful when enabled */
    char subject[256];         /* subject = required peer subject (organisation-signed pairs) */
    sipc_revocation revocation;/* revocation = off|soft|hard, default soft */
    /* [limits] */
    size_t max_frame;          /* max_frame = bytes, default 16 MiB */
    /* one entry per [<service>] section with a port */
    sipc_service_conf services[SIPC_MAX_SERVICES];
    int nservices;
} sipc_config;

/* Defaults, then $home/sipc.conf when it exists. A syntax error or unknown key
 * fails with SIPC_ECONFIG and a message "sipc.conf:LINE: ..." in err. */
int sipc_config_load(sipc_config *cfg, const char *home, char *err, size_t errlen);
/* Port of the named service, or the built-in default (data 23000, search
 * 23001, management 23002, pipeline 23003), or 0 if unknown. */
int sipc_config_port(const sipc_config *cfg, const char *service);
/* Sets [section] key = value in $home/sipc.conf, keeping every other line and
 * comment; the file is replaced atomically. */
int sipc_config_set(const char *home, const char *section, const char *key, const char *value,
                    char *err, size_t errlen);
/* Splits "host", "host:port", "[v6]", "[v6]:port" or a bare IPv6 address
 * into host (brackets removed) and port; a missing port is default_port, and
 * with default_port 0 a port is required. Returns 0 or SIPC_EINVAL. */
int sipc_parse_address(const char *s, int default_port, char *host, size_t hostlen, int *port);
/* The TLS mode in effect: SIPC_TLS_OFF unless tls_enable. */
sipc_tls_mode sipc_config_effective_mode(const sipc_config *cfg);
const char *sipc_tls_mode_name(sipc_tls_mode mode);

/* -------------------------------------------------------------- security */

/* What a context uses to secure its connections: the TLS mode and, unless the
 * mode is off, this node's certificate chain and key, the trust anchors and
 * the peer verification policy. Reference counted and read-only once made;
 * live connections keep the one they started with. */
typedef struct sipc_security sipc_security;

/* From $home/security/ per cfg (node.crt, trust/, crl/). With TLS off this
 * succeeds without reading any file. On failure err says which file and why. */
int sipc_security_load(sipc_security **out, const sipc_config *cfg, char *err, size_t errlen);
/* From a PEM certificate (chain) file and a PEM key file (may be the same
 * file); the certificate itself is the only trust anchor and peers must
 * present it (fingerprint pinning). For tests and benchmarks. */
int sipc_security_from_pem(sipc_security **out, sipc_tls_mode mode, const char *cert_pem,
                           const char *key_pem, char *err, size_t errlen);
/* Plaintext only. */
int sipc_security_plain(sipc_security **out);
/* Judges this node's own certificate with the same verifier peers use.
 * Returns 0 when it verifies (msg may still carry a warning, e.g. expiry in
 * under 30 days) or SIPC_EPEERAUTH with the reason and fix in msg, so a
 * daemon can say at start that every handshake is going to fail and why.
 * With TLS off: 0 and "". */
int sipc_security_self_check(const sipc_security *sec, char *msg, size_t len);
sipc_security *sipc_security_retain(sipc_security *sec);
void sipc_security_release(sipc_security *sec);
sipc_tls_mode sipc_security_mode(const sipc_security *sec);
/* Hex SHA-256 fingerprint of this node's certificate ("" when TLS is off). */
const char *sipc_security_fingerprint(const sipc_security *sec);

/* ------------------------------------------------------------- context */

typedef struct sipc_ctx sipc_ctx;
typedef struct sipc_server sipc_server;
typedef struct sipc_channel sipc_channel;
typedef struct sipc_conn sipc_conn;
typedef struct sipc_request sipc_request;
typedef struct sipc_router sipc_router;

typedef struct sipc_options {
    const char *node_id;          /* copied; default "node" */
    const char *cluster;          /* copied; default "sipc" */
    size_t max_frame;             /* default 16 MiB, at most 256 MiB */
    size_t max_write_queue;       /* bytes queued per connection before
                                     SIPC_EQUEUEFULL, default 64 MiB */
    uint32_t max_pending_requests;/* requests received on one connection and not
                                     yet answered before reading from it pauses,
                                     default 1024 */
    uint32_t handshake_timeout_ms;/* TLS handshake + hello, default 10000 */
    uint32_t idle_timeout_ms;     /* close after this long without any frame,
                                     default 60000, 0 = never */
    uint32_t keepalive_ms;        /* ping after this long without a frame,
                                     default 15000, 0 = never */
    uint32_t reconnect_min_ms;    /* dialer backoff, default 100 */
    uint32_t reconnect_max_ms;    /* default 30000 */
    sipc_log_fn log;              /* default: sipc_logger_sink(NULL): stderr at INFO */
    void *log_arg;
} sipc_options;

void sipc_options_init(sipc_options *opts);

/* A context binds sipc to one libuv loop: it owns the servers and channels
 * made from it and holds a reference to sec. If SIGPIPE still has its default
 * action it is set to ignored, so a peer resetting a socket cannot kill the
 * process (write errors are reported as errors instead). */
int sipc_ctx_new(sipc_ctx **out, uv_loop_t *loop, const sipc_options *opts, sipc_security *sec);
uv_loop_t *sipc_ctx_loop(const sipc_ctx *ctx);
sipc_security *sipc_ctx_security(const sipc_ctx *ctx);
/* Closes every server, channel and connection of ctx; every pending call
 * completes with SIPC_ECANCELED; once held requests are answered (see
 * sipc_server_close) close_cb runs and ctx is freed. */
typedef void (*sipc_ctx_close_cb)(sipc_ctx *ctx, void *arg);
void sipc_ctx_close(sipc_ctx *ctx, sipc_ctx_close_cb close_cb, void *arg);

/* Thread-safe: runs fn(ctx, arg) on the loop thread soon. Use it to submit
 * calls from other threads. Returns SIPC_ECLOSING once sipc_ctx_close was
 * called (fn will then never run). */
typedef void (*sipc_post_fn)(sipc_ctx *ctx, void *arg);
int sipc_ctx_post(sipc_ctx *ctx, sipc_post_fn fn, void *arg);

/* --------------------------------------------------------------- routing */

/* Handler for one (service, method). The handler owns req until it answers
 * with sipc_respond() or sipc_respond_error(), now or later from the loop
 * thread; each frees req. For a one-way message the answer is discarded but
 * must still be given, to free req. */
typedef void (*sipc_handler_fn)(sipc_request *req, void *arg);

/* A router maps (service, method) to handlers. New routers already serve the
 * built-in "sys" service: sys.ping (empty reply), sys.echo (returns the
 * payload) and sys.info (node id, cluster, TLS mode, peer TLS details). */
int sipc_router_new(sipc_router **out);
void sipc_router_free(sipc_router *r);
/* Replaces an existing handler for the same pair. Strings are copied. */
int sipc_router_add(sipc_router *r, const char *service, const char *method, sipc_handler_fn fn,
                    void *arg);

const void *sipc_request_data(const sipc_request *req, size_t *len);
const char *sipc_request_service(const sipc_request *req);
const char *sipc_request_method(const sipc_request *req);
int sipc_request_is_oneway(const sipc_request *req);
/* The connection it arrived on; NULL once that connection has closed. */
sipc_conn *sipc_request_conn(const sipc_request *req);
/* Answer req and free it. Returns SIPC_ECLOSED if the connection is gone (the
 * answer is dropped, req still freed) or SIPC_EQUEUEFULL. */
int sipc_respond(sipc_request *req, const void *data, size_t len);
/* status: a positive application code (the caller sees SIPC_EREMOTE with
 * reply->status = status) or a negative sipc code. */
int sipc_respond_error(sipc_request *req, int status, const char *message);

/* ---------------------------------------------------------------- calls */

typedef struct sipc_reply {
    int status;           /* 0, or the remote's status for SIPC_EREMOTE etc. */
    const char *message;  /* reason text, "" when none */
    const uint8_t *data;  /* payload, valid only during the callback */
    size_t len;
} sipc_reply;

/* Completion of a call. err is 0 on success, else why it failed (a call made
 * is always completed exactly once). reply is never NULL. */
typedef void (*sipc_call_cb)(int err, const sipc_reply *reply, void *arg);

/* ------------------------------------------------------------- servers */

typedef struct sipc_peer_info {
    char address[64];        /* "ip:port" of the remote end */
    int tls;                 /* 1 if this connection is TLS */
    char tls_version[16];    /* "TLSv1.2" */
    char tls_cipher[64];     /* e.g. "ECDHE-ECDSA-AES128-GCM-SHA256" */
    char peer_node[64];      /* from the peer's hello */
    char peer_cluster[64];
    char peer_fingerprint[65]; /* SHA-256 of the peer certificate, hex */
} sipc_peer_info;

/* Connection events reported to servers and channels. */
typedef enum {
    SIPC_CONN_UP = 1,  /* handshake and hello done; calls may flow */
    SIPC_CONN_DOWN     /* closed; err says why (0 = closed by us) */
} sipc_conn_event;
typedef void (*sipc_conn_cb)(sipc_conn *conn, sipc_conn_event ev, int err, void *arg);

/* Listen on address:port (port 0 picks a free one) and serve router's
 * handlers. name is the service's display name used in log lines ("Data
 * Service"). The security of ctx decides plaintext, TLS or both. */
int sipc_server_listen(sipc_server **out, sipc_ctx *ctx, const char *name, const char *address,
                       int port, const sipc_router *router);
int sipc_server_port(const sipc_server *srv);
void sipc_server_set_conn_cb(sipc_server *srv, sipc_conn_cb cb, void *arg);
/* Stops listening, closes its connections (pending calls on them fail), then
 * close_cb (may be NULL). close_cb runs once every request received on those
 * connections has been answered (sipc_respond on a closed connection just
 * frees the request), so a handler holding one must still answer it. */
void sipc_server_close(sipc_server *srv, void (*close_cb)(sipc_server *, void *), void *arg);

/* ------------------------------------------------------------- channels */

/* A channel is a client's lasting link to one address: it dials, keeps the
 * connection up with keepalives and redials with exponential backoff and
 * jitter when it drops. router may be NULL (then the peer cannot call us). */
int sipc_channel_open(sipc_channel **out, sipc_ctx *ctx, const char *address, int port,
                      const sipc_router *router);
void sipc_channel_set_conn_cb(sipc_channel *ch, sipc_conn_cb cb, void *arg);
/* Last error seen while (re)connecting, 0 if connected or not yet tried. */
int sipc_channel_last_error(const sipc_channel *ch);
/* The operator-readable reason that goes with sipc_channel_last_error(). */
const char *sipc_channel_last_detail(const sipc_channel *ch);
/* Fail fast (gRPC's default for RPCs without wait-for-ready): when a
 * connection attempt fails, calls waiting for the link complete at once with
 * that attempt's error instead of waiting for their deadline. For CLIs. */
void sipc_channel_set_fail_fast(sipc_channel *ch, int fail_fast);
int sipc_channel_is_up(const sipc_channel *ch);
/* Fails pending calls with SIPC_ECANCELED, closes, then close_cb (may be NULL). */
void sipc_channel_close(sipc_channel *ch, void (*close_cb)(sipc_channel *, void *), void *arg);

/* Call service.method with payload. Calls made while the channel is not up
 * wait for it (up to their deadline). timeout_ms 0 means the default of 30 s.
 * Many calls may be in flight; replies may come in any order. */
int sipc_call(sipc_channel *ch, const char *service, const char *method, const void *data,
              size_t len, uint32_t timeout_ms, sipc_call_cb cb, void *arg);
/* One-way message: no reply; returns once queued. */
int sipc_send(sipc_channel *ch, const char *service, const char *method, const void *data,
              size_t len);

/* The same on an established connection (e.g. a server calling back a client). */
int sipc_conn_call(sipc_conn *conn, const char *service, const char *method, const void *data,
                   size_t len, uint32_t timeout_ms, sipc_call_cb cb, void *arg);
int sipc_conn_send(sipc_conn *conn, const char *service, const char *method, const void *data,
                   size_t len);
int sipc_conn_info(const sipc_conn *conn, sipc_peer_info *out);
/* Bytes queued for writing and not yet handed to the kernel. */
size_t sipc_conn_write_queue(const sipc_conn *conn);
void sipc_conn_close(sipc_conn *conn);

/* -------------------------------------------------------------- version */

/* e.g. "sipc 0.1.0, wolfSSL 5.5.4 (aesni intelasm sp-asm), CPU: aes avx2" */
const char *sipc_version_string(void);

#ifdef __cplusplus
}
#endif
#endif /* SIPC_H */
