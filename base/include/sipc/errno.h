/* sipc/errno.h - sipc's error codes, their names and classes.
 *
 * A leaf header: every layer of sipc and every program built on it uses these
 * codes. The convention: a function returns 0 or a negative code; when it can
 * say more, it writes one line of detail into a caller's (err, errlen) buffer.
 * sipc's own codes live in their own range (-30001..-30099); any other
 * negative value a sipc function returns is a libuv (errno) code, passed
 * through unchanged, and belongs to SIPC_CLASS_IO. */
#ifndef SIPC_ERRNO_H
#define SIPC_ERRNO_H

#ifdef __cplusplus
extern "C" {
#endif

/* Marks the declarations libsipc exports; everything else is hidden. */
#if defined(SIPC_BUILDING) && defined(__GNUC__)
#define SIPC_EXTERN __attribute__((visibility("default")))
#else
#define SIPC_EXTERN
#endif

/* sipc's own codes live in their own range; any other negative value a sipc
 * function returns is a libuv (errno) code and belongs to SIPC_CLASS_IO.
 * sipc_strerror() describes both. */
#define SIPC_ERRNO_MAP(XX)                                                             \
    XX(EINVAL, -30001, USAGE, "invalid argument")                                      \
    XX(ENOMEM, -30002, USAGE, "out of memory")                                         \
    XX(ECONFIG, -30003, USAGE, "invalid configuration")                                \
    XX(ECLOSING, -30004, USAGE, "handle is closing")                                   \
    XX(EFORMAT, -30005, USAGE, "malformed input data")                                 \
    XX(EPASSWORD, -30006, USAGE, "wrong password")                                     \
    XX(ECLOSED, -30010, IO, "connection closed")                                       \
    XX(ENOTCONN, -30011, IO, "not connected")                                          \
    XX(EIDLE, -30012, IO, "connection idle for too long")                              \
    XX(EQUEUEFULL, -30013, IO, "write queue full")                                     \
    XX(EREADFULL, -30014, IO, "no room for a partial frame (max_read_buffer_total)")   \
    XX(EKEEPALIVE, -30015, IO, "no answer to a keepalive PING")                         \
    XX(ESILENT, -30016, IO, "no answer from the peer")                                 \
    XX(EHELLOTIMEOUT, -30017, IO, "hello timed out")                                   \
    XX(ETLS, -30020, TLS, "TLS failure")                                               \
    XX(ETLSCONFIG, -30021, TLS, "TLS certificate or key could not be loaded")          \
    XX(EHSTIMEOUT, -30022, TLS, "TLS handshake timed out")                             \
    XX(ENOTSUP, -30023, TLS, "algorithm not supported by this build")                  \
    XX(EPEERAUTH, -30030, AUTH, "peer certificate rejected")                           \
    XX(ENOPEERCERT, -30031, AUTH, "peer presented no certificate")                     \
    XX(ECERTREFUSED, -30032, AUTH, "this side's certificate refused by the peer")      \
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
    SIPC_CLASS_AUTH,     /* the peer could not be authenticated, or refused this side */
    SIPC_CLASS_PROTOCOL, /* the peer broke the sipc wire protocol or its mode */
    SIPC_CLASS_CALL      /* an RPC failed: deadline, no handler, remote error */
} sipc_err_class;

/* Static description of err (sipc or libuv code). Never NULL. */
SIPC_EXTERN const char *sipc_strerror(int err);
/* Symbolic name, e.g. "SIPC_EPEERAUTH" or "ECONNREFUSED". Never NULL. */
SIPC_EXTERN const char *sipc_err_name(int err);
SIPC_EXTERN sipc_err_class sipc_err_classify(int err);
/* "usage", "io", "tls", "auth", "protocol", "call" or "none". */
SIPC_EXTERN const char *sipc_err_class_name(sipc_err_class cls);

#ifdef __cplusplus
}
#endif
#endif /* SIPC_ERRNO_H */
