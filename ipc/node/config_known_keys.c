/* config_known_keys.c - the keys sipc.conf knows, as tables: each
 * service's built-in port, the default an empty value is told to use
 * instead, and the near miss an unknown key is taken for ("did you mean"). */
#include <stdio.h>
#include <string.h>

#include "config_internal.h"

static const struct {
    const char *name;
    int port;
} default_ports[] = {
    {"data", 23000},
    {"search", 23001},
    {"management", 23002},
    {"pipeline", 23003},
};

const char *sipc__config_builtin_service(int i)
{
    return i >= 0 && (size_t)i < sizeof default_ports / sizeof default_ports[0]
               ? default_ports[i].name
               : NULL;
}

int sipc__config_default_port(const char *service)
{
    for (size_t i = 0; i < sizeof default_ports / sizeof default_ports[0]; i++)
        if (strcmp(default_ports[i].name, service) == 0)
            return default_ports[i].port;
    return 0;
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
    {"data", "writes_slow_ms", "2000"},
    {"data", "max_attributes", "64"},
    {"search", "max_local_ms", "60000"},
    {"logs", "max_file_size", "268435456"},
    {"pipeline", "tls", "unset: it follows [tls] enable"},
};

int sipc__config_check_not_empty(const char *section, const char *key, const char *value,
                                 char *err, size_t errlen)
{
    if (*value)
        return 1;
    for (size_t i = 0; i < sizeof no_empty / sizeof no_empty[0]; i++) {
        if (!strcmp(section, no_empty[i].section) && !strcmp(key, no_empty[i].key)) {
            snprintf(err, errlen,
                     "[%s] %s is empty: remove the line for the default (%s), or give a value",
                     section, key, no_empty[i].dflt);
            return 0;
        }
    }
    static const char *const not_services[] = {"node", "cluster", "tls", "limits", "logs",
                                                        "metrics"};
    for (size_t i = 0; i < sizeof not_services / sizeof not_services[0]; i++)
        if (!strcmp(section, not_services[i]))
            return 1;
    if (*section && !strcmp(key, "port")) {
        char dflt[32] = "";
        for (size_t i = 0; i < sizeof default_ports / sizeof default_ports[0]; i++)
            if (!strcmp(section, default_ports[i].name))
                snprintf(dflt, sizeof dflt, "%d", default_ports[i].port);
        if (dflt[0])
            snprintf(err, errlen,
                     "[%s] port is empty: remove the line for the default (%s), or give a port "
                     "(0..65535, 0: any free port)",
                     section, dflt);
        else
            snprintf(err, errlen,
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
void sipc__config_did_you_mean(const char *section, const char *key, char *out, size_t len)
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
