/* config_load.c - $SIPC_HOME/sipc.conf (INI, read with inih): the home rule,
 * the reader, each key's value checked, and the checks of the whole file.
 * Unknown sections or keys are errors: a typo such as "enabel = 1" must not
 * silently leave a node in plaintext. */
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/str_copy.h"
#include "base/utf8_text.h"
#include "certs/x509_info.h"
#include "config_internal.h"
#include "ipc/timeouts.h"
#include "sipc/node.h"

const char *sipc_home_resolve(const char *explicit_home)
{
    if (explicit_home && *explicit_home)
        return explicit_home;
    const char *env = getenv("SIPC_HOME");
    if (env && *env)
        return env;
    return SIPC_DEFAULT_HOME;
}

/* What is wrong with the home explicit_home resolves to, in the words every
 * program says it with (sipc_home_check); 0 when it is a directory. *gone
 * is set when nothing is there at all. */
static int home_problem(const char *explicit_home, const char *given_as, int *gone, char *err,
                        size_t errlen)
{
    const char *env = getenv("SIPC_HOME");
    const char *from = explicit_home && *explicit_home ? given_as
                       : env && *env                   ? "$SIPC_HOME"
                                                       : "the default";
    const char *home = sipc_home_resolve(explicit_home);
    struct stat st;
    int r = stat(home, &st);
    *gone = r != 0 && errno == ENOENT;
    if (r == 0 && S_ISDIR(st.st_mode))
        return 0;
    /* said as a fact about the home, never as a bare strerror after its name */
    char why[160];
    if (r == 0)
        snprintf(why, sizeof why, "is not a directory");
    else if (*gone)
        snprintf(why, sizeof why, "does not exist");
    else if (errno == ENOTDIR)
        snprintf(why, sizeof why, "does not exist (a part of its path is a file)");
    else
        snprintf(why, sizeof why, "cannot be reached (%s)", strerror(errno));
    snprintf(err, errlen,
             "node home %s %s%s%s%s: give the node's home, the directory holding sipc.conf and "
             "security/, with --home DIR or SIPC_HOME",
             home, why, from ? " (" : "", from ? from : "", from ? ")" : "");
    return SIPC_ECONFIG;
}

int sipc_home_check(const char *explicit_home, const char *given_as, char *err, size_t errlen)
{
    int gone;
    return home_problem(explicit_home, given_as, &gone, err, err ? errlen : 0);
}

const char *sipc_config_where(const sipc_config *cfg, int line, char *buf, size_t len)
{
    if (!buf || !len)
        return "";
    const char *home = cfg ? cfg->home : "";
    if (line > 0)
        snprintf(buf, len, "%s/sipc.conf line %d", home, line);
    else
        snprintf(buf, len, "%s/sipc.conf", home);
    return buf;
}

typedef struct parse_state {
    sipc_config *cfg;
    FILE *fp;
    int line;          /* lines handed to inih so far */
    int indented;      /* the current line starts with white space */
    int err_line;      /* line of the first error found by on_entry */
    int too_long;      /* line that does not fit inih's line buffer */
    int read_errno;    /* the file could not be read (e.g. a directory) */
    int nul_line;      /* a line holding a NUL byte */
    int metrics_line;  /* the line of [metrics] address */
    char prev_section[64];
    char prev_key[64];
    char err[256];
    char raw[INI_MAX_LINE]; /* the current line as read, before inih cuts it up */
} parse_state;

/* what inih skips around a line (config_internal.h) */
const char sipc__ini_space[] = " \t\r\v\f";

/* inih reads through a fixed buffer of INI_MAX_LINE bytes and would parse
 * the rest of a longer line as a line of its own; this reader counts lines
 * (so that errors found in on_entry carry their own line number) and stops
 * at a line that does not fit. */
static char *conf_reader(char *str, int num, void *stream)
{
    parse_state *ps = stream;
    errno = 0;
    long before = ftell(ps->fp);
    if (!fgets(str, num, ps->fp)) {
        if (ferror(ps->fp))
            ps->read_errno = errno ? errno : EIO;
        return NULL;
    }
    ps->line++;
    size_t n = strlen(str);
    long after = ftell(ps->fp);
    if (before >= 0 && after >= 0 && (size_t)(after - before) != n) {
        /* a NUL byte: the rest of the line would be silently ignored here,
           and kept by an edit (sipc_config_set); the file is not text */
        ps->nul_line = ps->line;
        return NULL;
    }
    if (n == (size_t)num - 1 && str[n - 1] != '\n') {
        int c = fgetc(ps->fp);
        if (c != '\n' && c != EOF) {
            ps->too_long = ps->line;
            return NULL;
        }
    }
    ps->indented = str[0] && strchr(sipc__ini_space, str[0]);
    memcpy(ps->raw, str, n + 1 < sizeof ps->raw ? n + 1 : sizeof ps->raw);
    ps->raw[sizeof ps->raw - 1] = '\0';
    return str;
}

static int copy_str(char *dst, size_t cap, const char *v, parse_state *ps, const char *key)
{
    if (strlen(v) >= cap) {
        snprintf(ps->err, sizeof ps->err, "value of %s is too long (max %zu)", key, cap - 1);
        return 0;
    }
    strcpy(dst, v);
    return 1;
}

static int parse_bool(const char *v, int *out)
{
    if (!strcmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "on")) {
        *out = 1;
        return 1;
    }
    if (!strcmp(v, "0") || !strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcasecmp(v, "off")) {
        *out = 0;
        return 1;
    }
    return 0;
}

static int parse_port(const char *v, int *out)
{
    char *end;
    long p = strtol(v, &end, 10);
    if (*v == '\0' || *end != '\0' || p < 0 || p > 65535)
        return 0;
    *out = (int)p;
    return 1;
}

/* nodes = a, b  replaces the list; indented lines below it continue it. */
static int parse_nodes(sipc_config *cfg, const char *v, parse_state *ps, int continued)
{
    if (!continued)
        cfg->nnodes = 0;
    char buf[4096];
    if (strlen(v) >= sizeof buf) {
        snprintf(ps->err, sizeof ps->err, "nodes list too long");
        return 0;
    }
    strcpy(buf, v);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
        if (cfg->nnodes == SIPC_MAX_NODES) {
            snprintf(ps->err, sizeof ps->err, "more than %d nodes", SIPC_MAX_NODES);
            return 0;
        }
        if (!copy_str(cfg->nodes[cfg->nnodes], sizeof cfg->nodes[0], tok, ps, "nodes"))
            return 0;
        cfg->node_lines[cfg->nnodes] = ps->line;
        cfg->nnodes++;
    }
    return 1;
}

/* A name sent to peers in the hello ([node] id, [cluster] name): kept whole
 * (the library's 63 bytes) and printable UTF-8, as sipc_ctx_new and every
 * peer require. */
static int copy_name(char *dst, size_t cap, const char *v, parse_state *ps, const char *what)
{
    if (strlen(v) >= cap) {
        snprintf(ps->err, sizeof ps->err, "%s is too long (max %zu bytes)", what, cap - 1);
        return 0;
    }
    char bad[64];
    long at = sipc__utf8_unprintable(v, bad, sizeof bad);
    if (at >= 0) {
        snprintf(ps->err, sizeof ps->err,
                 "%s holds %s at byte %ld (peers refuse a name with control, invisible or "
                 "text-direction characters or bytes that are not UTF-8)",
                 what, bad, at + 1);
        return 0;
    }
    strcpy(dst, v);
    return 1;
}

/* A whole number from lo to hi, what it counts named in its refusal ("a
 * byte count", "a number of ms", "a number"): every such count of
 * sipc.conf but [limits]' older ones is read and refused here, in the same
 * words. */
static int parse_range(parse_state *ps, const char *section, const char *key, const char *value,
                       unsigned long long lo, unsigned long long hi, const char *what,
                       unsigned long long *out)
{
    char *end;
    unsigned long long v = strtoull(value, &end, 10);
    /* a digit first: strtoull would take "-1" as a huge count */
    if (*value < '0' || *value > '9' || *end != '\0' || v < lo || v > hi) {
        snprintf(ps->err, sizeof ps->err, "[%s] %s must be %s from %llu to %llu, not '%s'",
                 section, key, what, lo, hi, value);
        return 0;
    }
    *out = v;
    return 1;
}

static int parse_bytes(parse_state *ps, const char *section, const char *key, const char *value,
                       unsigned long long lo, unsigned long long hi, unsigned long long *out)
{
    return parse_range(ps, section, key, value, lo, hi, "a byte count", out);
}

static int on_setting(parse_state *ps, const char *section, const char *key, const char *value,
                      int continued)
{
    sipc_config *cfg = ps->cfg;
    if (!continued && !sipc__config_check_not_empty(section, key, value, ps->err, sizeof ps->err))
        return 0;
    if (!strcmp(section, "node")) {
        if (!cfg->node_line)
            cfg->node_line = ps->line;
        if (!strcmp(key, "id"))
            return copy_name(cfg->node_id, sizeof cfg->node_id, value, ps, "[node] id");
        if (!strcmp(key, "address"))
            return copy_str(cfg->address, sizeof cfg->address, value, ps, key);
    } else if (!strcmp(section, "cluster")) {
        if (!strcmp(key, "name")) {
            cfg->cluster_line = ps->line;
            return copy_name(cfg->cluster, sizeof cfg->cluster, value, ps, "[cluster] name");
        }
        if (!strcmp(key, "nodes"))
            return parse_nodes(cfg, value, ps, continued);
    } else if (!strcmp(section, "tls")) {
        /* a field set here is copied by sipc_config_copy_tls too */
        if (!strcmp(key, "enable")) {
            if (parse_bool(value, &cfg->tls_enable)) {
                cfg->tls_enable_line = ps->line;
                return 1;
            }
            snprintf(ps->err, sizeof ps->err, "[tls] enable must be 0 or 1, not '%s'", value);
            return 0;
        }
        if (!strcmp(key, "mode")) {
            if (!strcmp(value, "strict"))
                cfg->tls_mode = SIPC_TLS_STRICT;
            else if (!strcmp(value, "permissive"))
                cfg->tls_mode = SIPC_TLS_PERMISSIVE;
            else {
                snprintf(ps->err, sizeof ps->err, "[tls] mode must be strict or permissive, not '%s'",
                         value);
                return 0;
            }
            return 1;
        }
        if (!strcmp(key, "strict_guard_window")) {
            char *end;
            unsigned long long v = strtoull(value, &end, 10);
            if (*value == '\0' || *end != '\0' || *value == '-' || v > 31536000) {
                snprintf(ps->err, sizeof ps->err,
                         "[tls] strict_guard_window must be seconds from 0 (no guard) to "
                         "31536000, not '%s'",
                         value);
                return 0;
            }
            cfg->strict_guard_window = (int)v;
            return 1;
        }
        if (!strcmp(key, "subject")) {
            char why[200];
            /* ' ;' starts a comment in sipc.conf: an attribute written after
             * it would be dropped without a word, and the subject looser */
            const char *v = strstr(ps->raw, value), *rest = v ? v + strlen(value) : NULL;
            if (rest && strpbrk(rest, ";#") && strchr(strpbrk(rest, ";#"), '=')) {
                snprintf(ps->err, sizeof ps->err,
                         "[tls] subject '%s' is followed by a comment that looks like more of it "
                         "(' ;' starts a comment in sipc.conf): separate the attributes with ','",
                         value);
                return 0;
            }
            if (sipc_subject_check(value, why, sizeof why) != 0) {
                snprintf(ps->err, sizeof ps->err, "[tls] subject '%s': %s", value, why);
                return 0;
            }
            cfg->subject_line = ps->line;
            return copy_str(cfg->subject, sizeof cfg->subject, value, ps, key);
        }
        if (!strcmp(key, "revocation")) {
            if (!strcmp(value, "off"))
                cfg->revocation = SIPC_REVOCATION_OFF;
            else if (!strcmp(value, "soft"))
                cfg->revocation = SIPC_REVOCATION_SOFT;
            else if (!strcmp(value, "hard"))
                cfg->revocation = SIPC_REVOCATION_HARD;
            else {
                snprintf(ps->err, sizeof ps->err, "[tls] revocation must be off, soft or hard, not '%s'",
                         value);
                return 0;
            }
            return 1;
        }
    } else if (!strcmp(section, "limits")) {
        if (!strcmp(key, "max_frame")) {
            unsigned long long v;
            if (!parse_bytes(ps, section, key, value, 1024, 256ull << 20, &v))
                return 0;
            cfg->max_frame = (size_t)v;
            return 1;
        }
        if (!strcmp(key, "max_write_queue") || !strcmp(key, "max_write_queue_total") ||
            !strcmp(key, "max_read_buffer_total")) {
            unsigned long long v;
            if (!parse_bytes(ps, section, key, value, 65536, 64ull << 30, &v))
                return 0;
            if (!strcmp(key, "max_write_queue"))
                cfg->max_write_queue = (size_t)v;
            else if (!strcmp(key, "max_write_queue_total"))
                cfg->max_write_queue_total = (size_t)v;
            else
                cfg->max_read_buffer_total = (size_t)v;
            return 1;
        }
        if (!strcmp(key, "max_connections") || !strcmp(key, "max_opening") ||
            !strcmp(key, "max_connections_per_host")) {
            char *end;
            unsigned long long v = strtoull(value, &end, 10);
            if (*value == '\0' || *end != '\0' || v < 1 || v > 1000000) {
                snprintf(ps->err, sizeof ps->err, "[limits] %s must be a number from 1 to 1000000",
                         key);
                return 0;
            }
            if (!strcmp(key, "max_connections"))
                cfg->max_connections = (uint32_t)v;
            else if (!strcmp(key, "max_opening"))
                cfg->max_opening = (uint32_t)v;
            else
                cfg->max_connections_per_host = (uint32_t)v;
            return 1;
        }
        if (!strcmp(key, "reconnect_max_ms")) {
            char *end;
            unsigned long long v = strtoull(value, &end, 10);
            if (*value == '\0' || *end != '\0' || v < 100 || v > 60000) {
                snprintf(ps->err, sizeof ps->err,
                         "[limits] reconnect_max_ms must be a number of ms from 100 to 60000");
                return 0;
            }
            cfg->reconnect_max_ms = (uint32_t)v;
            return 1;
        }
        if (!strcmp(key, "keepalive_ms") || !strcmp(key, "keepalive_timeout_ms") ||
            !strcmp(key, "idle_timeout_ms")) {
            char *end;
            unsigned long long v = strtoull(value, &end, 10);
            /* a digit first: strtoull would take "-0" as 0, off */
            if (*value < '0' || *value > '9' || *end != '\0' || (v && v < 100) ||
                v > 86400000) {
                snprintf(ps->err, sizeof ps->err,
                         "[limits] %s must be 0 (off) or a number of ms from 100 to 86400000",
                         key);
                return 0;
            }
            /* 0 here is off, as in sipc_options; 0 in the field is "not set" */
            uint32_t ms = v ? (uint32_t)v : SIPC_CONFIG_OFF;
            if (!strcmp(key, "keepalive_ms")) {
                cfg->keepalive_ms = ms;
                cfg->keepalive_line = ps->line;
            } else if (!strcmp(key, "keepalive_timeout_ms")) {
                cfg->keepalive_timeout_ms = ms;
                cfg->keepalive_timeout_line = ps->line;
            } else {
                cfg->idle_timeout_ms = ms;
                cfg->idle_line = ps->line;
            }
            return 1;
        }
    } else if (!strcmp(section, "data") && !strcmp(key, "sync")) {
        if (!strcmp(value, "normal"))
            cfg->data_sync = SIPC_SYNC_NORMAL;
        else if (!strcmp(value, "full"))
            cfg->data_sync = SIPC_SYNC_FULL;
        else {
            snprintf(ps->err, sizeof ps->err, "[data] sync must be normal or full, not '%s'", value);
            return 0;
        }
        return 1;
    } else if (!strcmp(section, "data") &&
               (!strcmp(key, "writes_slow_ms") || !strcmp(key, "max_attributes"))) {
        /* the ranges the data service takes, SIPC_DATA_WRITES_SLOW_MIN_MS ..
         * _MAX_MS and 1 .. SIPC_DATA_MAX_ATTRIBUTES, written out: services/
         * is above this layer (test_config holds them together) */
        unsigned long long v;
        if (!strcmp(key, "writes_slow_ms")) {
            if (!parse_range(ps, section, key, value, 100, 600000, "a number of ms", &v))
                return 0;
            cfg->data_writes_slow_ms = (uint32_t)v;
        } else {
            if (!parse_range(ps, section, key, value, 1, 16000, "a number", &v))
                return 0;
            cfg->data_max_attributes = (uint32_t)v;
        }
        return 1;
    } else if (!strcmp(section, "search") && !strcmp(key, "max_local_ms")) {
        unsigned long long v;
        if (!parse_range(ps, section, key, value, 100, 3600000, "a number of ms", &v))
            return 0;
        cfg->search_max_local_ms = (uint32_t)v;
        return 1;
    } else if (!strcmp(section, "pipeline") && !strcmp(key, "tls")) {
        if (parse_bool(value, &cfg->pipeline_tls))
            return 1;
        snprintf(ps->err, sizeof ps->err, "[pipeline] tls must be 0 or 1, not '%s'", value);
        return 0;
    } else if (!strcmp(section, "logs")) {
        /* not a service: the node's log files */
        unsigned long long v;
        if (!strcmp(key, "max_file_size")) {
            if (!parse_bytes(ps, section, key, value, SIPC_LOG_FILE_CAP_MIN,
                             SIPC_LOG_FILE_CAP_MAX, &v))
                return 0;
            cfg->log_max_file_size = v;
            return 1;
        }
    } else if (!strcmp(section, "metrics")) {
        /* not a service: an optional HTTP endpoint for Prometheus */
        if (!strcmp(key, "address")) {
            char host[128];
            int port;
            if (*value && sipc_parse_address(value, 0, host, sizeof host, &port) != 0) {
                snprintf(ps->err, sizeof ps->err,
                         "[metrics] address must be host:port (e.g. 127.0.0.1:9323), not '%s'",
                         value);
                return 0;
            }
            ps->metrics_line = ps->line;
            return copy_str(cfg->metrics_address, sizeof cfg->metrics_address, value, ps, key);
        }
    } else if (*section) {
        /* any other section is a service: [data] port = 23000 */
        if (!strcmp(key, "port")) {
            int port;
            if (!parse_port(value, &port)) {
                snprintf(ps->err, sizeof ps->err, "[%s] port must be 0..65535 (0: any free port), not '%s'", section,
                         value);
                return 0;
            }
            for (int i = 0; i < cfg->nservices; i++) {
                if (!strcmp(cfg->services[i].name, section)) {
                    cfg->services[i].port = port;
                    cfg->service_lines[i] = ps->line;
                    return 1;
                }
            }
            if (cfg->nservices == SIPC_MAX_SERVICES || strlen(section) >= sizeof cfg->services[0].name) {
                snprintf(ps->err, sizeof ps->err, "too many services or name too long: [%s]", section);
                return 0;
            }
            strcpy(cfg->services[cfg->nservices].name, section);
            cfg->services[cfg->nservices].port = port;
            cfg->service_lines[cfg->nservices] = ps->line;
            cfg->nservices++;
            return 1;
        }
    }
    char hint[120];
    sipc__config_did_you_mean(section, key, hint, sizeof hint);
    snprintf(ps->err, sizeof ps->err, "unknown setting [%s] %s%s", section, key, hint);
    return 0;
}

static int on_entry(void *user, const char *section, const char *key, const char *value)
{
    parse_state *ps = user;
    if (ps->err_line)
        return 1; /* report the first mistake, with its own line and text */
    /* inih hands an indented line after a key to the handler as a further
     * value of that key (multi-line entries) */
    int continued = ps->indented && !strcmp(key, ps->prev_key) && !strcmp(section, ps->prev_section);
    sipc_str_copy(ps->prev_section, sizeof ps->prev_section, section);
    sipc_str_copy(ps->prev_key, sizeof ps->prev_key, key);
    int ok;
    if (continued && strcmp(key, "nodes") != 0) {
        snprintf(ps->err, sizeof ps->err,
                 "indented line continues the value of [%s] %s; only [cluster] nodes may span "
                 "lines (remove the indentation)",
                 section, key);
        ok = 0;
    } else if (continued) {
        /* inih strips an inline comment (" ;") from a key's line but not from
         * its continuation lines: do it here */
        char v[INI_MAX_LINE];
        sipc_str_copy(v, sizeof v, value);
        for (char *p = v; *p; p++) {
            if (*p == ';' && (p == v || p[-1] == ' ' || p[-1] == '\t')) {
                *p = '\0';
                break;
            }
        }
        size_t n = strlen(v);
        while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
            v[--n] = '\0';
        ok = on_setting(ps, section, key, v, continued);
    } else {
        ok = on_setting(ps, section, key, value, continued);
    }
    if (!ok)
        ps->err_line = ps->line;
    return ok;
}

/* The host name as the default [node] id: refused as a set one would be
 * (a set [node] id was checked when read). */
static int default_id_checked(const sipc_config *cfg, const char *path, char *err, size_t errlen)
{
    char bad[64];
    long at = sipc__utf8_unprintable(cfg->node_id, bad, sizeof bad);
    if (at < 0)
        return 0;
    snprintf(err, errlen,
             "%s: the host name, [node] id by default, holds %s at byte %ld (peers refuse such "
             "a name): set [node] id",
             path, bad, at + 1);
    return SIPC_ECONFIG;
}

/* The three [limits] timeouts as sipc_ctx_new judges them, defaults
 * included: the verdict of sipc__timeouts_check, with why as
 * "HOME/sipc.conf:LINE: [limits] ..." at the last line that set a key the
 * verdict is about. */
static int timeouts_judged(const sipc_config *cfg, char *why, size_t len)
{
    sipc_options o;
    sipc_options_from_config(&o, cfg);
    char text[360];
    unsigned fields;
    unsigned given = (cfg->keepalive_ms ? SIPC__TO_KEEPALIVE : 0) |
                     (cfg->keepalive_timeout_ms ? SIPC__TO_KEEPALIVE_TIMEOUT : 0) |
                     (cfg->idle_timeout_ms ? SIPC__TO_IDLE : 0);
    int v = sipc__timeouts_check(o.keepalive_ms, o.keepalive_timeout_ms, o.idle_timeout_ms, given,
                                 "[limits] ", text, sizeof text, &fields);
    if (v == 0)
        return 0;
    const struct {
        unsigned bit;
        int line;
    } key[3] = {{SIPC__TO_KEEPALIVE, cfg->keepalive_line},
                {SIPC__TO_KEEPALIVE_TIMEOUT, cfg->keepalive_timeout_line},
                {SIPC__TO_IDLE, cfg->idle_line}};
    int at = 0;
    for (int k = 0; k < 3; k++)
        if ((fields & key[k].bit) && key[k].line > at)
            at = key[k].line;
    snprintf(why, len, "%s/sipc.conf:%d: %s", cfg->home, at, text);
    return v;
}

/* What inih found wrong with line `line` of fp, which it refused without
 * calling on_entry: the line read again and judged as inih judges it (a
 * '[' line without its ']', another without '=' or ':' before a " ;"
 * comment). Its text is shown only where it cannot be a secret pasted on
 * a line of its own: a section's name, the first word of "word more text"
 * (a key without its '='); else only its length. */
static void syntax_error_text(FILE *fp, int line, char *out, size_t len)
{
    static const char must[] = "a line must be `key = value`, `[section]`, or a `;`/`#` comment";
    char buf[INI_MAX_LINE] = "";
    int n = 0;
    rewind(fp);
    while (n < line && fgets(buf, sizeof buf, fp))
        n++;
    if (n != line) {
        snprintf(out, len, "syntax error: %s", must);
        return;
    }
    char *p = buf;
    if (line == 1 && !strncmp(p, "\xEF\xBB\xBF", 3))
        p += 3;
    p += strspn(p, sipc__ini_space);
    size_t end = strcspn(p, "\n");
    while (end && strchr(sipc__ini_space, p[end - 1]))
        end--;
    p[end] = '\0';
    /* where inih stops looking: a ';' after white space starts a comment */
    size_t stop = 0;
    while (p[stop] && !(p[stop] == ';' && stop && strchr(sipc__ini_space, p[stop - 1])))
        stop++;
    if (p[0] == '[') {
        size_t w = strspn(p + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-");
        if (w && w <= 32 && !p[1 + w])
            snprintf(out, len, "syntax error: found `%.33s` without its closing ']': %s", p, must);
        else
            snprintf(out, len, "syntax error: found a '[' line %s: %s",
                     memchr(p, ']', end) ? "whose ']' comes after ` ;`, which starts a comment"
                                         : "without its closing ']'",
                     must);
        return;
    }
    if (memchr(p + stop, '=', end - stop) || memchr(p + stop, ':', end - stop)) {
        snprintf(out, len, "syntax error: its '=' comes after ` ;`, which starts a comment: %s", must);
        return;
    }
    size_t w = strspn(p, "abcdefghijklmnopqrstuvwxyz_");
    if (w && w <= 32 && p[w] && strchr(sipc__ini_space, p[w]))
        snprintf(out, len, "syntax error: found `%.*s ...`, which has no '=': %s", (int)w, p, must);
    else
        snprintf(out, len,
                 "syntax error: found a line of %zu characters without '=' (not shown: it could "
                 "hold a secret): %s",
                 end, must);
}

/* sipc_config_load; missing_ok: a home not there at all gives the defaults. */
static int config_load(sipc_config *cfg, const char *home, int missing_ok, char *err,
                       size_t errlen)
{
    if (!err)
        errlen = 0; /* snprintf(NULL, 0, ...) writes nothing */
    if (!cfg) {
        snprintf(err, errlen, "no sipc_config to load into");
        return SIPC_EINVAL;
    }
    memset(cfg, 0, sizeof *cfg);
    const char *given = home;
    home = sipc_home_resolve(home);
    if (strlen(home) >= sizeof cfg->home) {
        snprintf(err, errlen, "node home path too long (%zu bytes, at most %zu): %.60s...",
                 strlen(home), sizeof cfg->home - 1, home);
        return SIPC_ECONFIG;
    }
    strcpy(cfg->home, home);
    if (gethostname(cfg->node_id, sizeof cfg->node_id) != 0 || !cfg->node_id[0])
        strcpy(cfg->node_id, "node");
    cfg->node_id[sizeof cfg->node_id - 1] = '\0';
    strcpy(cfg->address, "127.0.0.1");
    strcpy(cfg->cluster, "sipc");
    cfg->tls_mode = SIPC_TLS_STRICT;
    cfg->revocation = SIPC_REVOCATION_SOFT;
    cfg->strict_guard_window = 600;
    cfg->max_frame = 16u << 20;
    cfg->pipeline_tls = -1;
    /* an acknowledged record is on disk: the mission is that nothing acknowledged is lost
     * when a node dies, its machine's power included */
    cfg->data_sync = SIPC_SYNC_FULL;
    cfg->data_writes_slow_ms = 2000;
    cfg->data_max_attributes = 64;
    cfg->search_max_local_ms = 60000;
    cfg->log_max_file_size = SIPC_LOG_FILE_CAP_DEFAULT;

    char path[1024];
    snprintf(path, sizeof path, "%s/sipc.conf", home);
    FILE *fp = fopen(path, "re");
    if (!fp) {
        /* a home mistyped must not read as one without sipc.conf: TLS off,
           every default, and no word said */
        int gone = 0, e = errno;
        if ((e == ENOENT || e == ENOTDIR) && home_problem(given, NULL, &gone, err, errlen) != 0) {
            if (!(gone && missing_ok))
                return SIPC_ECONFIG;
            snprintf(err, errlen, "%s", "");
        }
        if (e == ENOENT)
            return default_id_checked(cfg, path, err, errlen); /* no file: defaults */
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(e));
        return SIPC_ECONFIG;
    }
    parse_state ps = {.cfg = cfg, .fp = fp};
    int line = ini_parse_stream(conf_reader, &ps, on_entry, &ps);
    char syntax[400] = "";
    if (line > 0 && !ps.read_errno && !ps.nul_line && !ps.too_long &&
        !(ps.err_line == line && ps.err[0]))
        syntax_error_text(fp, line, syntax, sizeof syntax);
    fclose(fp);
    if (ps.read_errno) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(ps.read_errno));
        return SIPC_ECONFIG;
    }
    if (ps.nul_line && (line == 0 || line >= ps.nul_line)) {
        snprintf(err, errlen, "%s:%d: contains a NUL byte: the file is damaged or not text",
                 path, ps.nul_line);
        return SIPC_ECONFIG;
    }
    if (ps.too_long && (line == 0 || line >= ps.too_long)) {
        snprintf(err, errlen,
                 "%s:%d: line longer than %d characters (continue a long nodes list on indented "
                 "lines)",
                 path, ps.too_long, INI_MAX_LINE - 1);
        return SIPC_ECONFIG;
    }
    if (line != 0) {
        snprintf(err, errlen, "%s:%d: %s", path, line,
                 ps.err_line == line && ps.err[0] ? ps.err : syntax[0] ? syntax : "syntax error");
        return SIPC_ECONFIG;
    }
    /* nodes are read with the data port, which may be set after [cluster] */
    if (sipc__config_nodes_check(cfg, path, err, errlen) != 0 ||
        sipc__config_ports_check(cfg, path, err, errlen) != 0 ||
        sipc__config_metrics_check(cfg, path, ps.metrics_line, err, errlen) != 0)
        return SIPC_ECONFIG;
    /* read after the whole file: the two keys may come in either order */
    if (cfg->max_read_buffer_total && cfg->max_read_buffer_total < cfg->max_frame) {
        snprintf(err, errlen,
                 "%s: [limits] max_read_buffer_total (%zu) must be at least max_frame (%zu): a "
                 "frame that large would never find room",
                 path, cfg->max_read_buffer_total, cfg->max_frame);
        return SIPC_ECONFIG;
    }
    if (timeouts_judged(cfg, err, errlen) < 0)
        return SIPC_ECONFIG;
    return default_id_checked(cfg, path, err, errlen);
}

int sipc_config_load(sipc_config *cfg, const char *home, char *err, size_t errlen)
{
    return config_load(cfg, home, 0, err, errlen);
}

int sipc_config_load_or_defaults(sipc_config *cfg, const char *home, char *err, size_t errlen)
{
    return config_load(cfg, home, 1, err, errlen);
}

int sipc_config_timeouts_note(const sipc_config *cfg, char *out, size_t len)
{
    if (!out)
        len = 0;
    if (len)
        out[0] = '\0';
    if (!cfg)
        return 0;
    char why[600];
    int v = timeouts_judged(cfg, why, sizeof why);
    /* -1 too: sipc_config_load refuses it, but a program may fill or change
       the structure itself, and it is the worst of them */
    if (v != 0)
        snprintf(out, len, "%s", why);
    return v;
}
