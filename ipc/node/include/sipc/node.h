/* sipc/node.h - policy for a program that runs as a node of a sipc cluster:
 * its home folder ($SIPC_HOME), its configuration file (sipc.conf), its
 * operator log files, its security loaded from the imported key pair, and the
 * options of a context built from that configuration.
 *
 * sipc.h is mechanism only (contexts, servers, channels, calls); this header
 * is where the node's conventions live. A program that is not a node (a test
 * client with its own PEM files, say) needs only sipc.h. NULL arguments are
 * treated as in sipc.h: SIPC_EINVAL from a function that returns a code
 * (sipc_config_load, the loaders, sipc_logger_open), else nothing done and
 * NULL, "", 0 or SIPC_TLS_OFF returned; an err buffer may be NULL or its
 * errlen 0 (no detail is then written). */
#ifndef SIPC_NODE_H
#define SIPC_NODE_H

#include <stddef.h>
#include <stdint.h>

#include "sipc/sipc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ home */

/* The home when neither --home nor $SIPC_HOME names one. */
#define SIPC_DEFAULT_HOME "/var/lib/sipc"
/* $SIPC_HOME resolution shared by every tool: explicit (--home) if non-NULL,
 * else $SIPC_HOME, else SIPC_DEFAULT_HOME. Returns a pointer to a static or
 * the given string. */
SIPC_EXTERN const char *sipc_home_resolve(const char *explicit_home);
/* Whether the home sipc_home_resolve(explicit_home) names is a directory:
 * 0, else SIPC_ECONFIG with err "node home HOME does not exist (FROM): give
 * the node's home, the directory holding sipc.conf and security/, with
 * --home DIR or SIPC_HOME" ("is not a directory", or why it cannot be
 * looked at). FROM is where the home came from: given_as (the option the
 * program took explicit_home from, e.g. "--home"; NULL: no FROM),
 * "$SIPC_HOME" or "the default". sipc_config_load refuses such a home with
 * the same words; sipcd and tlstool check with this before anything else. */
SIPC_EXTERN int sipc_home_check(const char *explicit_home, const char *given_as, char *err,
                                size_t errlen);

/* ---------------------------------------------------------- configuration */

typedef enum { SIPC_REVOCATION_OFF = 0, SIPC_REVOCATION_SOFT, SIPC_REVOCATION_HARD } sipc_revocation;
/* [data] sync: normal survives a crash of the process, full also a power loss. */
typedef enum { SIPC_SYNC_NORMAL = 0, SIPC_SYNC_FULL } sipc_sync;

#define SIPC_MAX_SERVICES 8
#define SIPC_MAX_NODES 32

typedef struct sipc_service_conf {
    char name[32];  /* section name: "data", "search", "management", "pipeline" */
    int port;
} sipc_service_conf;

/* A [limits] timeout of sipc_config set to 0 in sipc.conf: off (the field's
 * own 0 means "not set": the default). Never a value for sipc_options:
 * sipc_options_from_config turns it into 0. */
#define SIPC_CONFIG_OFF UINT32_MAX

/* $SIPC_HOME/sipc.conf, an INI file. Unknown keys are reported as errors so a
 * typo does not silently leave TLS off. Fields are appended as keys are
 * added, and sipc_config_load writes the whole structure: compile against
 * the headers of the libsipc you run with (sipc/sipc.h says why). */
typedef struct sipc_config {
    char home[512];
    /* [node] */
    char node_id[64];   /* default: the host name */
    char address[128];  /* bind address, default 127.0.0.1 */
    /* [cluster] */
    char cluster[64];   /* default "sipc" */
    char nodes[SIPC_MAX_NODES][160]; /* "host[:port]" of every node (port: its data port);
                                        read them with sipc_config_node() */
    int nnodes;
    /* [tls] */
    int tls_enable;            /* enable = 0|1 */
    sipc_tls_mode tls_mode;    /* mode = strict|permissive, meaningful when enabled */
    char subject[256];         /* subject = required peer subject (organisation-signed pairs) */
    sipc_revocation revocation;/* revocation = off|soft|hard, default soft */
    int strict_guard_window;   /* strict_guard_window = seconds, default 600; 0: no guard.
                                  sipcd refuses to go strict while a peer's latest
                                  connection within it was plaintext */
    /* [limits] */
    size_t max_frame;          /* max_frame = bytes, default 16 MiB */
    uint32_t max_connections;  /* max_connections = per service, default 16384 */
    uint32_t max_opening;      /* max_opening = per service, in their handshake, default 4096 */
    uint32_t reconnect_max_ms; /* reconnect_max_ms = longest redial backoff of links, 0: default */
    size_t max_write_queue;    /* max_write_queue = bytes per connection, default 64 MiB (0: default) */
    size_t max_write_queue_total; /* max_write_queue_total = bytes per service, default 256 MiB */
    size_t max_read_buffer_total; /* max_read_buffer_total = bytes of partial frames per
                                     service, default 256 MiB, at least max_frame */
    /* [data] */
    sipc_sync data_sync;       /* sync = normal|full, default full */
    /* [pipeline] */
    int pipeline_tls;          /* tls = 0|1; -1 (unset): follows [tls] enable */
    /* [metrics] */
    char metrics_address[160]; /* address = host:port of the HTTP /metrics endpoint, "" = off */
    /* one entry per [<service>] section with a port */
    sipc_service_conf services[SIPC_MAX_SERVICES];
    int nservices;
    /* added after the rest: the layout before it is unchanged */
    int subject_line;          /* [tls] subject: the line of sipc.conf that set it, 0 if none did */
    int cluster_line;          /* [cluster] name: the line of sipc.conf that set it, 0 if none did */
    /* [limits], ms, 0: not set, the library's default (sipc_options);
     * SIPC_CONFIG_OFF: set to 0 in the file, off (0 in sipc_options) */
    uint32_t keepalive_ms;         /* keepalive_ms = PING after this long without a frame */
    uint32_t keepalive_timeout_ms; /* keepalive_timeout_ms = close when that PING gets no
                                      answer within this long */
    uint32_t idle_timeout_ms;      /* idle_timeout_ms = close after this long without
                                      receiving anything */
    uint32_t max_connections_per_host; /* max_connections_per_host = per service, from one
                                        * source host (IPv6: a /64); 0 (default):
                                        * max_connections / 4 */
    /* the line of sipc.conf that set [limits] keepalive_ms, keepalive_timeout_ms and
     * idle_timeout_ms, 0 if none did */
    int keepalive_line;
    int keepalive_timeout_line;
    int idle_line;
    int tls_enable_line; /* [tls] enable: the line of sipc.conf that set it, 0 if none did
                            (a missing or cut sipc.conf says TLS off by default, not by
                            the operator's word) */
    int node_line; /* the first line of sipc.conf that sets a [node] key, 0 if none does:
                      a home without them is a client-only home unless a sipcd runs from it
                      (docs/operator-guide.md, 1.3) */
    uint32_t data_writes_slow_ms; /* [data] writes_slow_ms = how long (ms) the oldest write
                                     not yet answered waits before the node's writes are
                                     SLOW (its status, status --cluster); default 2000,
                                     100 .. 600000 (0 in a structure filled without
                                     sipc_config_load: the data service's default) */
    uint64_t log_max_file_size; /* [logs] max_file_size = bytes a service's log file of one
                                   day takes (sipc_logger_set_file_cap); default 256 MiB,
                                   SIPC_LOG_FILE_CAP_MIN .. _MAX */
    uint32_t data_max_attributes; /* [data] max_attributes = attributes of one record (and
                                     filters of a search) the data service takes, and the
                                     pipeline counts in its decoding budget; default 64,
                                     1 .. 16000 (0 in a structure filled without
                                     sipc_config_load: the services' default) */
    uint32_t search_max_local_ms; /* [search] max_local_ms = the longest one local search
                                     runs, whatever its caller's deadline; default 60000,
                                     100 .. 3600000 (0: the search service's default) */
    int service_lines[SIPC_MAX_SERVICES]; /* the line of sipc.conf that set services[i].port */
    int node_lines[SIPC_MAX_NODES];       /* the line of sipc.conf holding nodes[i] */
} sipc_config;

/* Defaults, then $home/sipc.conf when it exists (home: as
 * sipc_home_resolve takes it). The home itself must exist: a home that does
 * not, or is not a directory, fails with SIPC_ECONFIG and sipc_home_check's
 * words ("node home HOME does not exist: ..."), so that a mistyped --home
 * does not run with every default, TLS off among them. A syntax error, an
 * unknown key, an empty value where one is needed, or [limits] timeouts that
 * defeat each other (keepalive_ms not below idle_timeout_ms: a node's quiet
 * links would be closed and redialed over and over; sipc_ctx_new only warns
 * of it) fail with SIPC_ECONFIG and a message "sipc.conf:LINE: ..." in err. */
SIPC_EXTERN int sipc_config_load(sipc_config *cfg, const char *home, char *err, size_t errlen);
/* As sipc_config_load, except that a home not there at all gives every
 * default (cfg->home naming it), as if it held no sipc.conf: for a program
 * that runs before the home is made (tlstool create, and import, which
 * makes it) or as a client that needs none (sipcctl without a node home). */
SIPC_EXTERN int sipc_config_load_or_defaults(sipc_config *cfg, const char *home, char *err,
                                             size_t errlen);
/* What sipc_ctx_new would WARN of in the [limits] timeouts of cfg, with out
 * "HOME/sipc.conf:LINE: [limits] ..." naming the keys and what happens: 1
 * for timeouts that work, but not as their values suggest (keepalive_ms +
 * keepalive_timeout_ms not below idle_timeout_ms, or idle_timeout_ms 0 with
 * keepalive_ms or keepalive_timeout_ms 0); -1 for keepalive_ms not below
 * idle_timeout_ms, both on, which sipc_config_load refuses (a cfg a program
 * filled or changed itself may hold it); else 0 (out ""). A program that
 * logs it sets timeouts_reported in the sipc_options it makes from cfg, so
 * that sipc_ctx_new does not say it again under the options' names. */
SIPC_EXTERN int sipc_config_timeouts_note(const sipc_config *cfg, char *out, size_t len);
/* Port of the named service, or the built-in default (data 23000, search
 * 23001, management 23002, pipeline 23003), or 0 if unknown. */
SIPC_EXTERN int sipc_config_port(const sipc_config *cfg, const char *service);
/* Sets [section] key = value in $home/sipc.conf, keeping every other line and
 * comment; the file is replaced atomically, with its mode (and, run as root,
 * its owner) kept; a new one is 0644. A sipc.conf that is a symbolic link is
 * refused (SIPC_ECONFIG, err says so), never followed or replaced. An edit
 * someone makes between the read and the rename is kept: the file is read
 * and edited again (up to 4 times, then SIPC_ECONFIG). A NULL
 * section, key or value is SIPC_EINVAL; an empty or malformed one
 * SIPC_ECONFIG. */
SIPC_EXTERN int sipc_config_set(const char *home, const char *section, const char *key,
                                const char *value, char *err, size_t errlen);
/* The text sipc_config_set writes for a sipc.conf holding len bytes of text
 * (NULL: no file), into a malloc'd *out of *out_len bytes; nothing is read
 * or written. A caller that must know whether a set kept someone else's
 * edit compares the file with this. 0; SIPC_EINVAL (NULL out, out_len,
 * section, key or value), SIPC_ECONFIG (as sipc_config_set), SIPC_ENOMEM. */
SIPC_EXTERN int sipc_config_edit(const void *text, size_t len, const char *section,
                                 const char *key, const char *value, char **out,
                                 size_t *out_len, char *err, size_t errlen);
/* Puts $home/sipc.conf back to old_len bytes of old (old NULL: there was no
 * file, it is removed), written as sipc_config_set writes (mode and owner
 * kept, a link refused), but only while the file still holds exactly
 * expect_len bytes of expect (what an edit left; NULL: no file): an edit
 * made since by someone else is never undone, nor one made while this
 * writes (the file is checked to be the one read, or still absent, right
 * before the rename; on file systems that keep whole seconds, an in-place
 * edit of the same size in the second of the read is not seen). 0 with
 * *changed = 0 when put back; 0 with *changed = 1 when the file changed
 * since (left as it is; err says so); SIPC_ECONFIG when it cannot be read
 * or written, or is a symbolic link (*changed 0); SIPC_EINVAL for a NULL
 * changed. */
SIPC_EXTERN int sipc_config_put_back(const char *home, const void *expect, size_t expect_len,
                                     const void *old, size_t old_len, int *changed, char *err,
                                     size_t errlen);
/* Splits "host", "host:port", "[v6]", "[v6]:port" or a bare IPv6 address
 * into host (brackets removed) and port; a missing port is default_port, and
 * with default_port 0 a port is required. Returns 0 or SIPC_EINVAL. */
SIPC_EXTERN int sipc_parse_address(const char *s, int default_port, char *host, size_t hostlen,
                                   int *port);
/* 1 if two hosts (as sipc_parse_address gives them, or bracketed as a
 * [node] address may be) name the same address: numeric ones compared as
 * addresses ("fd00::2", "fd00:0::2" and "[fd00::2]" are one), "localhost"
 * (any case) as 127.0.0.1 and an IPv4-mapped address (::ffff:127.0.0.1) as
 * its IPv4 one, where a connection to either goes (sipc_config_node_is_self
 * compares so too); other names as text, case aside. */
SIPC_EXTERN int sipc_same_host(const char *a, const char *b);
/* 1 if address is a numeric wildcard (0.0.0.0, ::, [::] and their other
 * spellings): a listener on it takes every interface, and it names no one
 * address to dial or to leave from. */
SIPC_EXTERN int sipc_address_is_wildcard(const char *address);
/* The address a node's own outgoing connections leave from
 * (sipc_options.source_address of its contexts): [node] address when it
 * names one IP address ("localhost" included), NULL when it is empty, a
 * wildcard (0.0.0.0, ::) or not numeric. A client of the cluster (a CLI)
 * does not bind and does not use it. */
SIPC_EXTERN const char *sipc_config_source_address(const sipc_config *cfg);
/* "HOME/sipc.conf line N" (line > 0, as sipc_config's *_line fields hold),
 * else "HOME/sipc.conf", into buf: where an operator corrects a setting.
 * Returns buf. */
SIPC_EXTERN const char *sipc_config_where(const sipc_config *cfg, int line, char *buf, size_t len);
/* Entry i of [cluster] nodes as host and port (the data port of cfg when the
 * entry names none). 0 or SIPC_EINVAL. */
SIPC_EXTERN int sipc_config_node(const sipc_config *cfg, int i, char *host, size_t hostlen,
                                 int *port);
/* The port of service (e.g. "management") on the node of entry i, and its
 * host. Nodes on hosts of their own run the same ports: this node's (cfg)
 * port of service. Nodes sharing a host (two entries with one host) cannot,
 * and run their services at the same offsets from their data port as cfg
 * does: the entry's data port moves every service by as much. A port that
 * would fall outside 1..65535, or a data or service port of 0 (chosen at
 * start), gives cfg's port of service. 0 or SIPC_EINVAL. */
SIPC_EXTERN int sipc_config_node_service(const sipc_config *cfg, int i, const char *service,
                                         char *host, size_t hostlen, int *port);
/* 1 if entry i of [cluster] nodes is this node itself: its port is cfg's
 * data port and its host cfg's [node] address (compared as addresses:
 * "fd00::2" and "fd00:0::2" are one; "localhost" is 127.0.0.1 and an
 * IPv4-mapped address such as ::ffff:127.0.0.1 its IPv4 one, where a
 * connection to it goes), or, when that address is a wildcard, an address
 * of this machine so compared (loopback, or an interface's; IPv4 only for
 * 0.0.0.0; names other than localhost are not resolved); 0 otherwise, or
 * for a bad i. */
SIPC_EXTERN int sipc_config_node_is_self(const sipc_config *cfg, int i);
/* The checks of cfg that only the program running a node's services, the
 * nrun names in run ("data", ...; NULL: the four sipcd runs, data, search,
 * management and pipeline), can make: the library loads any other
 * [<service>] section as a program's own service. SIPC_ECONFIG, with
 * "HOME/sipc.conf:LINE: ..." in err, for an entry of [cluster] nodes at
 * this node's address (as sipc_config_node_is_self compares it) whose port
 * is one of its services' other than "data" (it would dial itself as
 * another node), or for a service section it does not run whose name is
 * near one sipc.conf knows ("; did you mean `[search] port`?"). Else the
 * number of warnings (WARNs), each a line of err, apart by '\n': a section
 * it does not run that is near none (another program's; the first such),
 * and a [cluster] nodes list that does not list this node (no entry is
 * sipc_config_node_is_self; a home without the list is silent); 0 for
 * none. */
SIPC_EXTERN int sipc_config_check_run(const sipc_config *cfg, const char *const *run, int nrun,
                                      char *err, size_t errlen);
/* Copies the settings of the [tls] section from src into dst, and nothing
 * else: enable, mode, subject, revocation, strict_guard_window and the lines
 * of sipc.conf that set them (tls_enable_line, subject_line). For a program
 * that takes a reloaded sipc.conf's TLS setup over and keeps the rest of
 * what it runs with (sipcd's reload, sipcctl following its home): a [tls]
 * key added later is copied here too, so no caller lists the fields. NULL:
 * nothing done. */
SIPC_EXTERN void sipc_config_copy_tls(sipc_config *dst, const sipc_config *src);
/* The TLS mode in effect: SIPC_TLS_OFF unless tls_enable. */
SIPC_EXTERN sipc_tls_mode sipc_config_effective_mode(const sipc_config *cfg);
/* The TLS mode of one service's listener ("pipeline"): the effective mode,
 * except that [pipeline] tls = 0 makes the pipeline plaintext and
 * [pipeline] tls = 1 gives it [tls] mode, strict when [tls] enable is off.
 * What sipc_security_load_service loads. */
SIPC_EXTERN sipc_tls_mode sipc_config_service_mode(const sipc_config *cfg, const char *service);
/* Context options from a loaded configuration: sipc_options_init() defaults,
 * then the node id, the cluster name and the [limits] of cfg. The strings point
 * into cfg, which must outlive the sipc_ctx_new() call. */
SIPC_EXTERN void sipc_options_from_config(sipc_options *opts, const sipc_config *cfg);

/* -------------------------------------------------------------- security */

/* From $home/security/ per cfg (node.crt, trust/, crl/) in the mode of
 * [tls]: the node rule, which a node's own services follow (a client of the
 * cluster follows sipc_security_load_client, below). With TLS off this
 * succeeds without reading any file; it only looks whether a pair is
 * imported, so that a connection whose peer answers with TLS
 * (SIPC_ETLSONPLAIN) says TLS is not enabled in a home that holds one,
 * rather than to import it. On failure err
 * says which file and why; a node.crt or security/ folder other users can
 * read is refused (SIPC_ECONFIG, naming the chmod that fixes it). Loading the
 * pair ends by clearing the stack the key's decoding used (up to 128 KiB
 * below the call, less on a thread whose stack has less left), so that no
 * copy of the key outlives the call there; the same for the two below. The
 * load itself needs about 48 KiB of stack with the bundled wolfSSL (more with
 * Debian's, built without assembly), and the clearing reaches every copy
 * where that much is left. */
SIPC_EXTERN int sipc_security_load(sipc_security **out, const sipc_config *cfg, char *err,
                                   size_t errlen);
/* The security of one service of a node: [tls] for every service except
 * "pipeline", whose [pipeline] tls = 1 uses the imported pair in strict mode
 * whether or not [tls] enable is set (tls = 0: plaintext; unset: [tls]).
 * With [tls] enable off, the pipeline's listener then logs a plaintext peer
 * it refuses with that reason and the client's fix (import the pair), not
 * by asking whether TLS is enabled on every node. */
SIPC_EXTERN int sipc_security_load_service(sipc_security **out, const sipc_config *cfg,
                                           const char *service, char *err, size_t errlen);
/* The security of a client of the cluster (a CLI, a program that only calls
 * nodes): TLS whenever a pair is imported in this home; toward a node that
 * answers in plaintext it falls back to plaintext only when this home is not
 * set to [tls] enable = 1 (then TLS is strict). Without a pair: plaintext,
 * unless enable = 1, which fails as sipc_security_load() does. With a pair
 * that cannot carry TLS yet (an organisation's pair, or a CA trusted, and
 * no [tls] subject) and enable unset: plaintext, as before the import. */
SIPC_EXTERN int sipc_security_load_client(sipc_security **out, const sipc_config *cfg, char *err,
                                          size_t errlen);

/* ------------------------------------------------------------------- logs */

/* A log file writer that produces the documented operator format
 *   2026-11-23T13:35:01.042+01:00 Service.Start INFO TLS Port: 23000
 * into DIR/<name>_<YYYYMMDD>.log (switching file at midnight) and, when
 * echo_stderr is set, to stderr, each line there after "<name>: " so that
 * the loggers of several services sharing one stderr (a journal) stay
 * apart. dir may be NULL for stderr only (no name added). */
typedef struct sipc_logger sipc_logger;
SIPC_EXTERN int sipc_logger_open(sipc_logger **out, const char *dir, const char *name,
                                 int echo_stderr, sipc_log_level min_level);
SIPC_EXTERN void sipc_logger_close(sipc_logger *lg);
/* A day's file of a logger takes at most this many bytes, so that a flood
 * of lines cannot fill the disk that also holds the data: past it, lines
 * below ERROR are dropped and counted (sipc_log_health), after one WARN
 * line saying so. SIPC_LOG_FILE_CAP_DEFAULT unless set; [logs]
 * max_file_size takes MIN .. MAX (at least a day of a quiet node's lines). */
#define SIPC_LOG_FILE_CAP_DEFAULT (256ull << 20)
#define SIPC_LOG_FILE_CAP_MIN 65536ull
#define SIPC_LOG_FILE_CAP_MAX (64ull << 30)
/* Sets lg's cap, for the lines logged from now on: a file already past a
 * lower cap takes no more lines below ERROR. 0, or SIPC_EINVAL for a NULL lg
 * or a cap of 0 (the library takes any other; the bounds are the
 * configuration's). */
SIPC_EXTERN int sipc_logger_set_file_cap(sipc_logger *lg, uint64_t bytes);
/* Writes the lines the logger holds now. A line is written at once unless
 * the logger wrote less than 10 ms before; then it is held with those that
 * follow and they are written together (one write per destination): about
 * 10 ms later, when 16 KiB are held, at once after a WARN or ERROR line, at
 * sipc_logger_close(), at exit() and, best effort, on a crash (SIGABRT,
 * SIGSEGV... when the application installed no handler of its own). Call
 * this before anything that may end the process otherwise. */
SIPC_EXTERN void sipc_logger_flush(sipc_logger *lg);
/* A sipc_log_fn that writes to the sipc_logger passed as arg; with arg NULL,
 * to stderr at INFO and above. */
SIPC_EXTERN void sipc_logger_sink(void *arg, sipc_log_level level, const char *category,
                                  const char *msg);
SIPC_EXTERN void sipc_logf(sipc_logger *lg, sipc_log_level level, const char *category,
                           const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Whether the log files of lg's directory can be written, over every open
 * logger of that directory. A write that fails (a full
 * disk, EIO, EFBIG) or a file that cannot be opened starts a failure: the
 * line is not left half-written in the file (the file is cut back to its
 * last whole line), it is held to be written again (up to 64 KiB per
 * logger, the rest counted as lost), stderr gets one line saying the files
 * stopped and why, and each logger tries its file again once a second
 * (lines logged meanwhile are held with the rest). The first
 * write that succeeds again ends it (stderr says that too). The fields are
 * named as sipc_data_health's, so a status shows both alike. */
typedef struct sipc_log_health {
    int failing;
    uint64_t failures;       /* while failing: writes failed since it began (a try a second) */
    int64_t since_unix_ms;   /* while failing: the first failure (wall clock) */
    int64_t last_unix_ms;    /* while failing: the latest failure */
    uint64_t failures_total; /* writes failed since the process started */
    uint64_t lines_lost_total; /* lines never written to their file */
    int first_errno;         /* while failing: the first failure's errno */
    char last_error[1200];   /* while failing: the first failure: the file, why */
    /* a day's file takes at most file_cap_bytes (the cap of the logger
     * asked, sipc_logger_set_file_cap): past it lines below ERROR are
     * dropped (lines_dropped_total), after one line saying so; capped while
     * one of today's files is at its cap */
    int capped;
    uint64_t lines_dropped_total;
    uint64_t file_cap_bytes;
} sipc_log_health;
/* 0 and out filled (all zero for a logger without a directory), or
 * SIPC_EINVAL. */
SIPC_EXTERN int sipc_logger_health(sipc_logger *lg, sipc_log_health *out);

/* --------------------------------------------------------------- version */

/* e.g. "sipc 0.1.0, wolfSSL 5.5.4 (aesni intelasm sp-asm), CPU: aes avx2" */
SIPC_EXTERN const char *sipc_version_string(void);

#ifdef __cplusplus
}
#endif
#endif /* SIPC_NODE_H */
