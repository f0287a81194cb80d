/* config.c - $SIPC_HOME/sipc.conf (INI, read with inih) and the home rule.
 * Unknown sections or keys are errors: a typo such as "enabel = 1" must not
 * silently leave a node in plaintext. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file_replace.h"
#include "base/str_copy.h"
#include "base/utf8_text.h"
#include "certs/x509_info.h"
#include "ipc/addr.h"
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

static const struct {
    const char *name;
    int port;
} default_ports[] = {
    {"data", 23000},
    {"search", 23001},
    {"management", 23002},
    {"pipeline", 23003},
};

int sipc_parse_address(const char *s, int default_port, char *host, size_t hostlen, int *port)
{
    if (!s || !*s || !host || !hostlen || !port)
        return SIPC_EINVAL;
    const char *colon = NULL;
    size_t hl;
    const char *h = s;
    if (s[0] == '[') {
        const char *e = strchr(s, ']');
        if (!e || e == s + 1 || (e[1] != '\0' && e[1] != ':'))
            return SIPC_EINVAL;
        h = s + 1;
        hl = (size_t)(e - h);
        colon = e[1] == ':' ? e + 1 : NULL;
    } else {
        colon = strrchr(s, ':');
        if (colon && strchr(s, ':') != colon)
            colon = NULL; /* a bare IPv6 address: no port */
        hl = colon ? (size_t)(colon - s) : strlen(s);
    }
    if (hl == 0 || hl >= hostlen)
        return SIPC_EINVAL;
    int p = default_port;
    if (colon) {
        char *end;
        long v = strtol(colon + 1, &end, 10);
        if (colon[1] == '\0' || *end || v < 1 || v > 65535)
            return SIPC_EINVAL;
        p = (int)v;
    }
    if (p < 1 || p > 65535)
        return SIPC_EINVAL;
    memcpy(host, h, hl);
    host[hl] = '\0';
    *port = p;
    return 0;
}

int sipc_config_node(const sipc_config *cfg, int i, char *host, size_t hostlen, int *port)
{
    if (!cfg || i < 0 || i >= cfg->nnodes)
        return SIPC_EINVAL;
    return sipc_parse_address(cfg->nodes[i], sipc_config_port(cfg, "data"), host, hostlen, port);
}

int sipc_same_host(const char *a, const char *b)
{
    if (!a || !b)
        return 0;
    unsigned char x[16], y[16];
    int af = sipc__addr_host(a, x);
    if (af)
        return sipc__addr_host(b, y) == af && !memcmp(x, y, af == AF_INET ? 4 : 16);
    return strcasecmp(a, b) == 0;
}

int sipc_address_is_wildcard(const char *address)
{
    unsigned char a[16];
    static const unsigned char any[16];
    if (!address)
        return 0;
    int af = sipc__addr_parse(address, a);
    return af && !memcmp(a, any, af == AF_INET ? 4 : 16);
}

const char *sipc_config_source_address(const sipc_config *cfg)
{
    unsigned char a[16];
    if (!cfg)
        return NULL;
    if (!strcasecmp(cfg->address, "localhost"))
        return cfg->address;
    return sipc__addr_parse(cfg->address, a) && !sipc_address_is_wildcard(cfg->address) ? cfg->address
                                                                                      : NULL;
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

int sipc_config_node_service(const sipc_config *cfg, int i, const char *service, char *host,
                             size_t hostlen, int *port)
{
    int data;
    int r = sipc_config_node(cfg, i, host, hostlen, &data);
    if (r != 0)
        return r;
    int own_data = sipc_config_port(cfg, "data"), own = sipc_config_port(cfg, service);
    *port = own;
    /* nodes on hosts of their own run the same ports; only nodes sharing a
     * host cannot, and run theirs at the offsets of their data port */
    int shared = 0;
    for (int j = 0; j < cfg->nnodes && !shared; j++) {
        char other[160];
        int p;
        shared = j != i && sipc_config_node(cfg, j, other, sizeof other, &p) == 0 &&
                 sipc_same_host(other, host);
    }
    long p = (long)data - own_data + own;
    if (shared && own_data > 0 && own > 0 && p >= 1 && p <= 65535)
        *port = (int)p;
    return 0;
}

/* 1 if the address a (of family af, as sipc__addr_host gives it) is one of
 * this machine's: on loopback, or held by one of its interfaces. */
static int address_is_local(int af, const unsigned char *a)
{
    size_t len = af == AF_INET ? 4 : 16;
    if (af == AF_INET ? a[0] == 127 : !memcmp(a, &in6addr_loopback, len))
        return 1;
    struct ifaddrs *ifs;
    if (getifaddrs(&ifs) != 0)
        return 0;
    int found = 0;
    for (struct ifaddrs *i = ifs; i && !found; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != af)
            continue;
        const void *x = af == AF_INET
                            ? (const void *)&((const struct sockaddr_in *)i->ifa_addr)->sin_addr
                            : (const void *)&((const struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
        found = !memcmp(x, a, len);
    }
    freeifaddrs(ifs);
    return found;
}

int sipc_config_node_is_self(const sipc_config *cfg, int i)
{
    char host[160];
    int port;
    if (sipc_config_node(cfg, i, host, sizeof host, &port) != 0 ||
        port != sipc_config_port(cfg, "data"))
        return 0;
    if (!sipc_address_is_wildcard(cfg->address))
        return sipc_same_host(host, cfg->address);
    unsigned char own[16], a[16];
    int af = sipc__addr_host(host, a), own_af = sipc__addr_host(cfg->address, own);
    /* a wildcard listener takes every address of this machine (:: IPv4's
     * too, as libuv binds it dual-stack): the entry names this node when its
     * host is one of them; names other than localhost are not resolved */
    return af && (own_af == AF_INET6 || af == AF_INET) && address_is_local(af, a);
}

void sipc_config_copy_tls(sipc_config *dst, const sipc_config *src)
{
    if (!dst || !src || dst == src)
        return;
    /* every field the [tls] branch of on_setting() sets: a key added there is
     * added here (test_config's copy_tls_covers_every_key sets them all) */
    dst->tls_enable = src->tls_enable;
    dst->tls_enable_line = src->tls_enable_line;
    dst->tls_mode = src->tls_mode;
    memcpy(dst->subject, src->subject, sizeof dst->subject);
    dst->subject_line = src->subject_line;
    dst->revocation = src->revocation;
    dst->strict_guard_window = src->strict_guard_window;
}

sipc_tls_mode sipc_config_effective_mode(const sipc_config *cfg)
{
    return cfg && cfg->tls_enable ? cfg->tls_mode : SIPC_TLS_OFF;
}

sipc_tls_mode sipc_config_service_mode(const sipc_config *cfg, const char *service)
{
    if (!cfg || !service || strcmp(service, "pipeline") != 0 || cfg->pipeline_tls < 0)
        return sipc_config_effective_mode(cfg);
    if (!cfg->pipeline_tls)
        return SIPC_TLS_OFF;
    /* the pipeline's own switch: the imported pair, whatever [tls] enable says */
    return cfg->tls_enable ? cfg->tls_mode : SIPC_TLS_STRICT;
}

int sipc_config_port(const sipc_config *cfg, const char *service)
{
    if (!cfg || !service)
        return 0;
    for (int i = 0; i < cfg->nservices; i++)
        if (strcmp(cfg->services[i].name, service) == 0)
            return cfg->services[i].port;
    for (size_t i = 0; i < sizeof default_ports / sizeof default_ports[0]; i++)
        if (strcmp(default_ports[i].name, service) == 0)
            return default_ports[i].port;
    return 0;
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
    char prev_section[64];
    char prev_key[64];
    char err[256];
    char raw[INI_MAX_LINE]; /* the current line as read, before inih cuts it up */
} parse_state;

/* What inih skips as white space around a line: isspace() in the C locale
 * (a CRLF file's blank lines are blank). The reader's continuation check and
 * the editor both use it, so the two agree on what is indented. */
static const char ini_space[] = " \t\r\v\f";

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
    ps->indented = str[0] && strchr(ini_space, str[0]);
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
        cfg->nnodes++;
    }
    return 1;
}

/* The keys for which an empty value ("address =") is a mistake: a program
 * would take it as nothing, or as the default, and another as neither. With
 * the default a missing line gives, for the message. An empty nodes list,
 * [tls] subject or [metrics] address is the default itself. */
static const struct {
    const char *section, *key, *dflt;
} no_empty[] = {
    {"node", "id", "the host name"},
    {"node", "address", "127.0.0.1"},
    {"cluster", "name", "sipc"},
    {"tls", "enable", "0"},
    {"tls", "mode", "strict"},
    {"tls", "revocation", "soft"},
    {"tls", "strict_guard_window", "600"},
    {"limits", "max_frame", "16777216"},
    {"limits", "max_write_queue", "67108864"},
    {"limits", "max_write_queue_total", "268435456"},
    {"limits", "max_read_buffer_total", "268435456"},
    {"limits", "max_connections", "16384"},
    {"limits", "max_opening", "4096"},
    {"limits", "max_connections_per_host", "max_connections / 4"},
    {"limits", "reconnect_max_ms", "1000"},
    {"limits", "keepalive_ms", "15000"},
    {"limits", "keepalive_timeout_ms", "10000"},
    {"limits", "idle_timeout_ms", "60000"},
    {"data", "sync", "full"},
    {"pipeline", "tls", "unset: it follows [tls] enable"},
};

/* 0 with ps->err set when value is empty where a value is needed. */
static int check_not_empty(parse_state *ps, const char *section, const char *key,
                           const char *value)
{
    if (*value)
        return 1;
    for (size_t i = 0; i < sizeof no_empty / sizeof no_empty[0]; i++) {
        if (!strcmp(section, no_empty[i].section) && !strcmp(key, no_empty[i].key)) {
            snprintf(ps->err, sizeof ps->err,
                     "[%s] %s is empty: remove the line for the default (%s), or give a value",
                     section, key, no_empty[i].dflt);
            return 0;
        }
    }
    static const char *const not_services[] = {"node", "cluster", "tls", "limits", "metrics"};
    for (size_t i = 0; i < sizeof not_services / sizeof not_services[0]; i++)
        if (!strcmp(section, not_services[i]))
            return 1;
    if (*section && !strcmp(key, "port")) {
        char dflt[32] = "";
        for (size_t i = 0; i < sizeof default_ports / sizeof default_ports[0]; i++)
            if (!strcmp(section, default_ports[i].name))
                snprintf(dflt, sizeof dflt, "%d", default_ports[i].port);
        if (dflt[0])
            snprintf(ps->err, sizeof ps->err,
                     "[%s] port is empty: remove the line for the default (%s), or give a port "
                     "(0..65535, 0: any free port)",
                     section, dflt);
        else
            snprintf(ps->err, sizeof ps->err,
                     "[%s] port is empty: give a port (0..65535, 0: any free port)", section);
        return 0;
    }
    return 1;
}

/* The keys no_empty does not list (their empty value is the default). */
static const struct {
    const char *section, *key;
} may_be_empty[] = {{"cluster", "nodes"}, {"tls", "subject"}, {"metrics", "address"}};

/* Edit distance of a and b (an insertion, a deletion, a change or two
 * neighbours swapped, as "mdoe" for "mode", count one each); 9 for a text
 * longer than a key can be. */
static int edit_distance(const char *a, const char *b)
{
    enum { MAX = 40 };
    size_t n = strlen(a), m = strlen(b);
    if (n >= MAX || m >= MAX)
        return 9;
    int d[MAX][MAX];
    for (size_t i = 0; i <= n; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= m; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= n; i++) {
        for (size_t j = 1; j <= m; j++) {
            int v = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < v)
                v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    }
    return d[n][m];
}

/* Whether typed is a near miss of known: 2 edits at most, 1 for a known
 * word of 3 letters or fewer (else any two letters would be "id"). */
static int near_miss(const char *typed, const char *known)
{
    int d = edit_distance(typed, known);
    return d > 0 && d <= (strlen(known) <= 3 ? 1 : 2);
}

/* Calls each (section, key) this reader knows, until fn returns nonzero. */
static void each_known(int (*fn)(void *arg, const char *section, const char *key), void *arg)
{
    for (size_t i = 0; i < sizeof no_empty / sizeof no_empty[0]; i++)
        if (fn(arg, no_empty[i].section, no_empty[i].key))
            return;
    for (size_t i = 0; i < sizeof may_be_empty / sizeof may_be_empty[0]; i++)
        if (fn(arg, may_be_empty[i].section, may_be_empty[i].key))
            return;
    for (size_t i = 0; i < sizeof default_ports / sizeof default_ports[0]; i++)
        if (fn(arg, default_ports[i].name, "port"))
            return;
}

typedef struct guess {
    const char *section, *key; /* as typed */
    const char *to_section, *to_key; /* the best guess so far */
    int known_section; /* section is one this reader knows */
} guess;

static int guess_section(void *arg, const char *section, const char *key)
{
    (void)key;
    guess *g = arg;
    if (!strcmp(g->section, section))
        g->known_section = 1;
    else if (!g->to_section && near_miss(g->section, section))
        g->to_section = section;
    return 0;
}

static int guess_key(void *arg, const char *section, const char *key)
{
    guess *g = arg;
    if (strcmp(section, g->to_section) != 0)
        return 0;
    if (!strcmp(g->key, key) || near_miss(g->key, key)) {
        g->to_key = key;
        return !strcmp(g->key, key); /* the same key in the section meant: look no further */
    }
    return 0;
}

/* "; did you mean `mode`?" for an unknown setting that is a near miss of a
 * key of its section, or "; did you mean `[tls] mode`?" (or `[tls]`) for a
 * section that is a near miss of one this reader knows; "" when nothing is
 * near. Unknown keys are refused to catch typos: this finishes the job. */
static void did_you_mean(const char *section, const char *key, char *out, size_t len)
{
    guess g = {section, key, NULL, NULL, 0};
    out[0] = '\0';
    each_known(guess_section, &g);
    if (g.known_section) {
        g.to_section = section;
        each_known(guess_key, &g);
        if (g.to_key)
            snprintf(out, len, "; did you mean `%s`?", g.to_key);
        return;
    }
    if (!*section)
        return;
    if (!g.to_section) { /* a service of its own: port is all it may hold */
        if (near_miss(key, "port"))
            snprintf(out, len, "; did you mean `port`?");
        return;
    }
    each_known(guess_key, &g);
    if (g.to_key)
        snprintf(out, len, "; did you mean `[%s] %s`?", g.to_section, g.to_key);
    else
        snprintf(out, len, "; did you mean `[%s]`?", g.to_section);
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

static int on_setting(parse_state *ps, const char *section, const char *key, const char *value,
                      int continued)
{
    sipc_config *cfg = ps->cfg;
    if (!continued && !check_not_empty(ps, section, key, value))
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
            char *end;
            unsigned long long v = strtoull(value, &end, 10);
            if (*value == '\0' || *end != '\0' || v < 1024 || v > (256ull << 20)) {
                snprintf(ps->err, sizeof ps->err,
                         "[limits] max_frame must be a byte count from 1024 to 268435456");
                return 0;
            }
            cfg->max_frame = (size_t)v;
            return 1;
        }
        if (!strcmp(key, "max_write_queue") || !strcmp(key, "max_write_queue_total") ||
            !strcmp(key, "max_read_buffer_total")) {
            char *end;
            unsigned long long v = strtoull(value, &end, 10);
            if (*value == '\0' || *end != '\0' || v < 65536 || v > (64ull << 30)) {
                snprintf(ps->err, sizeof ps->err,
                         "[limits] %s must be a byte count from 65536 to 68719476736", key);
                return 0;
            }
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
    } else if (!strcmp(section, "pipeline") && !strcmp(key, "tls")) {
        if (parse_bool(value, &cfg->pipeline_tls))
            return 1;
        snprintf(ps->err, sizeof ps->err, "[pipeline] tls must be 0 or 1, not '%s'", value);
        return 0;
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
                    return 1;
                }
            }
            if (cfg->nservices == SIPC_MAX_SERVICES || strlen(section) >= sizeof cfg->services[0].name) {
                snprintf(ps->err, sizeof ps->err, "too many services or name too long: [%s]", section);
                return 0;
            }
            strcpy(cfg->services[cfg->nservices].name, section);
            cfg->services[cfg->nservices].port = port;
            cfg->nservices++;
            return 1;
        }
    }
    char hint[120];
    did_you_mean(section, key, hint, sizeof hint);
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
    p += strspn(p, ini_space);
    size_t end = strcspn(p, "\n");
    while (end && strchr(ini_space, p[end - 1]))
        end--;
    p[end] = '\0';
    /* where inih stops looking: a ';' after white space starts a comment */
    size_t stop = 0;
    while (p[stop] && !(p[stop] == ';' && stop && strchr(ini_space, p[stop - 1])))
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
    if (w && w <= 32 && p[w] && strchr(ini_space, p[w]))
        snprintf(out, len, "syntax error: found `%.*s ...`, which has no '=': %s", (int)w, p, must);
    else
        snprintf(out, len,
                 "syntax error: found a line of %zu characters without '=' (not shown: it could "
                 "hold a secret): %s",
                 end, must);
}

int sipc_config_load(sipc_config *cfg, const char *home, char *err, size_t errlen)
{
    if (!err)
        errlen = 0; /* snprintf(NULL, 0, ...) writes nothing */
    if (!cfg) {
        snprintf(err, errlen, "no sipc_config to load into");
        return SIPC_EINVAL;
    }
    memset(cfg, 0, sizeof *cfg);
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

    char path[1024];
    snprintf(path, sizeof path, "%s/sipc.conf", home);
    FILE *fp = fopen(path, "re");
    if (!fp) {
        if (errno == ENOENT)
            return default_id_checked(cfg, path, err, errlen); /* no file: defaults */
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
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
    for (int i = 0; i < cfg->nnodes; i++) {
        char host[160];
        int port;
        if (sipc_config_node(cfg, i, host, sizeof host, &port) != 0) {
            snprintf(err, errlen,
                     "%s: [cluster] nodes: '%s' is not host[:port] (IPv6 as [addr]:port)", path,
                     cfg->nodes[i]);
            return SIPC_ECONFIG;
        }
    }
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

/* ---- editing: keep every other line and comment as the operator wrote it */


static int line_is_section(const char *l, char *name, size_t cap)
{
    l += strspn(l, ini_space);
    if (*l != '[')
        return 0;
    const char *end = strchr(l, ']');
    if (!end)
        return 0;
    if ((size_t)(end - l - 1) >= cap) {
        name[0] = '\0'; /* still a section to the reader: one we never edit */
        return 1;
    }
    memcpy(name, l + 1, (size_t)(end - l - 1));
    name[end - l - 1] = '\0';
    return 1;
}

static int line_is_key(const char *l, const char *key)
{
    l += strspn(l, ini_space);
    size_t n = strlen(key);
    if (strncmp(l, key, n) != 0)
        return 0;
    l += n;
    l += strspn(l, ini_space);
    return *l == '=' || *l == ':';
}

/* sipc.conf is a symbolic link: not edited through it. Where it points is
 * named, as the operator makes the change there. */
static int link_refused(const char *path, char *err, size_t errlen)
{
    char to[512];
    ssize_t n = readlink(path, to, sizeof to - 1);
    to[n > 0 ? n : 0] = '\0';
    snprintf(err, errlen,
             "%s is a symbolic link%s%s%s: it is edited only as a regular file, never through a "
             "link; make the change in the file it points to, or replace the link by that file",
             path, to[0] ? " (to " : "", to, to[0] ? ")" : "");
    return SIPC_ECONFIG;
}

/* Replaces path (home's sipc.conf) with len bytes of text, as a whole (a
 * crash never leaves half a file, sipc__file_replace), keeping the mode and,
 * for root (a root tlstool in a home another account owns), the owner of
 * the file it replaces. A link there is refused, never followed: the file
 * it points to could be any, and replacing the link by a file would cut the
 * home off from it unnoticed. check: only while path is still the file
 * *was describes (was NULL: while there is none), else 1 (left as it is,
 * err says so). */
static int replace_conf(const char *home, const char *path, const char *text, size_t len,
                        int check, const struct stat *was, char *err, size_t errlen)
{
    if (mkdir(home, 0755) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create %s: %s", home, strerror(errno));
        return SIPC_ECONFIG;
    }
    struct stat st;
    mode_t mode = 0644;
    uid_t uid = (uid_t)-1;
    gid_t gid = (gid_t)-1;
    if (lstat(path, &st) == 0) {
        if (S_ISLNK(st.st_mode))
            return link_refused(path, err, errlen);
        if (!S_ISREG(st.st_mode)) {
            snprintf(err, errlen, "%s is not a regular file", path);
            return SIPC_ECONFIG;
        }
        mode = st.st_mode & 0777;
        if (geteuid() == 0)
            uid = st.st_uid, gid = st.st_gid;
    } else if (errno != ENOENT) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return SIPC_ECONFIG;
    }
    if (check)
        return sipc__file_replace_if(path, was, text, len, mode, uid, gid, err, errlen);
    return sipc__file_replace(path, text, len, mode, uid, gid, err, errlen);
}

/* The whole file as it is now: 0 with *out (malloc'd, *len bytes) and, when
 * st is not NULL, the file read as fstat saw it once read, 1 when there is
 * none, SIPC_ECONFIG when it cannot be read. */
static int read_conf(const char *path, char **out, size_t *len, struct stat *st, char *err,
                     size_t errlen)
{
    *out = NULL;
    *len = 0;
    /* read to be edited (st wanted): the file itself, never through a link,
     * which the edit would then be refused (replace_conf) or compared with
     * the wrong file */
    int fd = open(path, O_RDONLY | O_CLOEXEC | (st ? O_NOFOLLOW : 0));
    FILE *in = fd >= 0 ? fdopen(fd, "r") : NULL;
    if (!in) {
        int e = errno;
        struct stat ls;
        if (fd >= 0)
            close(fd);
        if (e == ENOENT)
            return 1;
        if (st && e == ELOOP && lstat(path, &ls) == 0 && S_ISLNK(ls.st_mode))
            return link_refused(path, err, errlen);
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(e));
        return SIPC_ECONFIG;
    }
    FILE *mem = open_memstream(out, len);
    char buf[4096];
    size_t n;
    int bad = !mem;
    while (!bad && (n = fread(buf, 1, sizeof buf, in)) > 0)
        bad = fwrite(buf, 1, n, mem) != n;
    bad |= ferror(in);
    if (st)
        bad |= fstat(fileno(in), st) != 0;
    fclose(in);
    if (mem)
        bad |= fclose(mem) != 0;
    if (bad) {
        free(*out);
        *out = NULL;
        snprintf(err, errlen, "cannot read %s", path);
        return SIPC_ECONFIG;
    }
    return 0;
}

/* section, key and value as sipc_config_set takes them: 0, SIPC_EINVAL or
 * SIPC_ECONFIG (err says why). */
static int check_setting(const char *section, const char *key, const char *value, char *err,
                         size_t errlen)
{
    if (!section || !key || !value) {
        snprintf(err, errlen, "cannot set a setting: no section, key or value given");
        return SIPC_EINVAL;
    }
    if (!*section || !*key || strpbrk(section, "[]\r\n") ||
        strpbrk(key, "=:;#[] \t\r\n") || strpbrk(value, "\r\n")) {
        snprintf(err, errlen, "cannot set [%s] %s: invalid section, key or value",
                 section, key);
        return SIPC_ECONFIG;
    }
    if (strlen(key) + 3 + strlen(value) > INI_MAX_LINE - 1) {
        snprintf(err, errlen, "cannot set [%s] %s: the line would be longer than %d characters",
                 section, key, INI_MAX_LINE - 1);
        return SIPC_ECONFIG;
    }
    return 0;
}

/* The edit of sipc_config_edit, its arguments checked. */
static int edit_text(const char *old, size_t oldlen, const char *section, const char *key,
                     const char *value, char **text_out, size_t *out_len, char *err,
                     size_t errlen)
{
    *text_out = NULL;
    *out_len = 0;
    FILE *out = open_memstream(text_out, out_len);
    if (!out) {
        snprintf(err, errlen, "cannot set [%s] %s: out of memory", section, key);
        return SIPC_ENOMEM;
    }

    /* after_key follows the reader (inih's multi-line rule): an indented
     * line after a key line continues that key's value, even one that
     * looks like a section header (an IPv6 [addr]:port in a nodes list);
     * blank lines and comments change nothing */
    int in_section = 0, done = 0, seen_section = 0, skipping = 0, after_key = 0;
    char cur[128];
    const char *text = old ? old : "";
    const char *end = text + (old ? oldlen : 0);
    /* strtok_r would drop empty lines; walk by hand, by length (a NUL byte
       must not end the file early: the reader refuses such a file, and an
       edit must not silently cut it) */
    for (const char *l = text; l < end;) {
        const char *nl = memchr(l, '\n', (size_t)(end - l));
        size_t len = nl ? (size_t)(nl - l) : (size_t)(end - l);
        size_t whole = len; /* kept lines are copied byte for byte */
        char line[4096];
        if (len >= sizeof line)
            len = sizeof line - 1;
        memcpy(line, l, len);
        line[len] = '\0';
        const char *t = line + strspn(line, ini_space);
        size_t indent = (size_t)(t - line);
        int quiet = !*t || strchr(";#", *t); /* blank or a comment */
        if (after_key && indent && !quiet) {
            /* a continuation: dropped with the value being replaced */
            if (!skipping) {
                fwrite(l, 1, whole, out);
                fputc('\n', out);
            }
        } else if (!quiet && line_is_section(line, cur, sizeof cur)) {
            skipping = after_key = 0;
            if (in_section && !done) {
                fprintf(out, "%s = %s\n", key, value);
                done = 1;
                /* its indentation would now make it continue that line */
                fwrite(l + indent, 1, whole - indent, out);
            } else {
                fwrite(l, 1, whole, out);
            }
            fputc('\n', out);
            in_section = strcmp(cur, section) == 0;
            seen_section |= in_section;
        } else if (!quiet && in_section && line_is_key(line, key)) {
            /* every occurrence: the reader takes the last one, so a repeated
               key must not keep its old value */
            fprintf(out, "%s = %s\n", key, value);
            done = 1;
            skipping = after_key = 1;
        } else {
            if (!quiet)
                skipping = 0, after_key = 1;
            fwrite(l, 1, whole, out);
            fputc('\n', out);
        }
        l = nl ? nl + 1 : end;
    }
    if (!done) {
        if (!seen_section)
            fprintf(out, "%s[%s]\n", old && oldlen ? "\n" : "", section);
        fprintf(out, "%s = %s\n", key, value);
    }
    if (fclose(out) != 0) {
        free(*text_out);
        *text_out = NULL;
        *out_len = 0;
        snprintf(err, errlen, "cannot set [%s] %s: out of memory", section, key);
        return SIPC_ENOMEM;
    }
    return 0;
}

int sipc_config_edit(const void *text, size_t len, const char *section, const char *key,
                     const char *value, char **out, size_t *out_len, char *err, size_t errlen)
{
    if (!err)
        errlen = 0; /* no detail wanted: every write below is then empty */
    if (!out || !out_len) {
        snprintf(err, errlen, "no place for the edited text");
        return SIPC_EINVAL;
    }
    *out = NULL;
    *out_len = 0;
    int r = check_setting(section, key, value, err, errlen);
    if (r != 0)
        return r;
    return edit_text(text, len, section, key, value, out, out_len, err, errlen);
}

/* One read, edit and replace of sipc_config_set: 1 when the file changed
 * between the read and the rename (left as it is, to be edited again). */
static int set_once(const char *home, const char *path, const char *section, const char *key,
                    const char *value, char *err, size_t errlen)
{
    char *old;
    size_t oldlen;
    struct stat st;
    int r = read_conf(path, &old, &oldlen, &st, err, errlen);
    int had = r == 0;
    if (r < 0)
        return r;
    char *text_out;
    size_t out_len;
    r = edit_text(old, oldlen, section, key, value, &text_out, &out_len, err, errlen);
    free(old);
    if (r != 0)
        return r;
    r = replace_conf(home, path, text_out, out_len, 1, had ? &st : NULL, err, errlen);
    free(text_out);
    return r;
}

int sipc_config_set(const char *home, const char *section, const char *key, const char *value,
                    char *err, size_t errlen)
{
    if (!err)
        errlen = 0; /* no detail wanted: every write below is then empty */
    int r = check_setting(section, key, value, err, errlen);
    if (r != 0)
        return r;
    home = sipc_home_resolve(home);
    char path[1024];
    snprintf(path, sizeof path, "%s/sipc.conf", home);

    /* an edit someone makes between this read and the rename is kept: the
     * file is read and edited again (a few times, then given up) */
    r = 1;
    for (int i = 0; i < 4 && r == 1; i++)
        r = set_once(home, path, section, key, value, err, errlen);
    struct stat ls;
    if (r < 0 && lstat(path, &ls) == 0 && S_ISLNK(ls.st_mode)) {
        /* refused as a link: the line to write by hand (no setting is secret) */
        size_t n = strlen(err);
        if (n < errlen)
            snprintf(err + n, errlen - n, " (the line: [%s] %s = %s)", section, key, value);
    }
    if (r == 1) {
        snprintf(err, errlen,
                 "cannot set [%s] %s: %s kept changing while it was being edited (left as it "
                 "is): try again",
                 section, key, path);
        return SIPC_ECONFIG;
    }
    return r;
}

int sipc_config_put_back(const char *home, const void *expect, size_t expect_len,
                         const void *old, size_t old_len, int *changed, char *err, size_t errlen)
{
    if (!err)
        errlen = 0; /* no detail wanted: every write below is then empty */
    if (!changed) {
        snprintf(err, errlen, "no place to say whether sipc.conf changed");
        return SIPC_EINVAL;
    }
    *changed = 0;
    home = sipc_home_resolve(home);
    char path[1024];
    snprintf(path, sizeof path, "%s/sipc.conf", home);
    char *now;
    size_t now_len;
    struct stat st;
    int r = read_conf(path, &now, &now_len, &st, err, errlen);
    if (r < 0)
        return r;
    /* an edit made since (an operator, another tool) is never undone */
    int same = expect ? r == 0 && now_len == expect_len && !memcmp(now, expect, now_len) : r == 1;
    free(now);
    if (!same) {
        snprintf(err, errlen, "%s was changed since it was written", path);
        *changed = 1;
        return 0;
    }
    /* nor one made while this writes: the file must still be the one just
     * read (or still absent) when the old one goes in */
    if (old)
        r = replace_conf(home, path, old, old_len, 1, expect ? &st : NULL, err, errlen);
    else if (expect)
        r = sipc__file_remove_if(path, &st, err, errlen);
    else
        r = 0; /* no file, and none to put back */
    if (r == 1) {
        *changed = 1;
        return 0;
    }
    return r;
}

void sipc_options_from_config(sipc_options *opts, const sipc_config *cfg)
{
    sipc_options_init(opts);
    if (!opts || !cfg)
        return;
    opts->node_id = cfg->node_id;
    opts->cluster = cfg->cluster;
    opts->max_frame = cfg->max_frame;
    if (cfg->max_connections)
        opts->max_connections = cfg->max_connections;
    if (cfg->max_opening)
        opts->max_opening = cfg->max_opening;
    if (cfg->max_connections_per_host)
        opts->max_connections_per_host = cfg->max_connections_per_host;
    if (cfg->reconnect_max_ms)
        opts->reconnect_max_ms = cfg->reconnect_max_ms;
    if (cfg->max_write_queue)
        opts->max_write_queue = cfg->max_write_queue;
    if (cfg->max_write_queue_total)
        opts->max_write_queue_total = cfg->max_write_queue_total;
    if (cfg->max_read_buffer_total)
        opts->max_read_buffer_total = cfg->max_read_buffer_total;
    if (cfg->keepalive_ms)
        opts->keepalive_ms = cfg->keepalive_ms == SIPC_CONFIG_OFF ? 0 : cfg->keepalive_ms;
    if (cfg->keepalive_timeout_ms)
        opts->keepalive_timeout_ms =
            cfg->keepalive_timeout_ms == SIPC_CONFIG_OFF ? 0 : cfg->keepalive_timeout_ms;
    if (cfg->idle_timeout_ms)
        opts->idle_timeout_ms = cfg->idle_timeout_ms == SIPC_CONFIG_OFF ? 0 : cfg->idle_timeout_ms;
}
