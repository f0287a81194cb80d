/* test_config.c - $SIPC_HOME/sipc.conf (ipc/node/config_*.c): defaults, every key,
 * errors with their line numbers, sipc_config_set's in-place editing and the
 * home rule. Each test works in its own mkdtemp directory. */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "ipc/addr.h"
#include "services/data/data_service.h"
#include "sipc/node.h"

/* ------------------------------------------------------------ helpers */

static char *make_home(void)
{
    const char *tmp = getenv("TMPDIR");
    char tmpl[512];
    snprintf(tmpl, sizeof tmpl, "%s/sipc-cfg-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

static void rm_home(char *home)
{
    char cmd[700];
    /* only ever a directory this test made with mkdtemp */
    assert_non_null(strstr(home, "/sipc-cfg-"));
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", home);
    assert_int_equal(system(cmd), 0);
    free(home);
}

static void write_conf(const char *home, const char *text)
{
    char path[600];
    snprintf(path, sizeof path, "%s/sipc.conf", home);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    assert_int_equal(fclose(fp), 0);
}

/* The file's content (malloc'd), or NULL if it does not exist. */
static char *read_conf(const char *home)
{
    char path[600];
    snprintf(path, sizeof path, "%s/sipc.conf", home);
    FILE *fp = fopen(path, "r");
    if (!fp)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, len = 0;
    int ch;
    while ((ch = fgetc(fp)) != EOF) {
        if (len + 2 > cap) {
            cap = cap ? cap * 2 : 256;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        buf[len++] = (char)ch;
    }
    fclose(fp);
    if (!buf)
        buf = calloc(1, 1);
    else
        buf[len] = '\0';
    return buf;
}

/* Loads text as sipc.conf; returns the result and leaves the message in err. */
static int load_text(const char *home, const char *text, sipc_config *cfg, char *err, size_t errlen)
{
    write_conf(home, text);
    err[0] = '\0';
    return sipc_config_load(cfg, home, err, errlen);
}

/* Expects text to be refused with "sipc.conf:LINE:" and needle in the message. */
static void expect_error(const char *home, const char *text, int line, const char *needle)
{
    sipc_config cfg;
    char err[1024];
    int r = load_text(home, text, &cfg, err, sizeof err);
    if (r != SIPC_ECONFIG)
        fail_msg("accepted (%d): %s", r, text);
    char want[64];
    snprintf(want, sizeof want, "sipc.conf:%d:", line);
    if (!strstr(err, want))
        fail_msg("message '%s' lacks '%s' for:\n%s", err, want, text);
    if (needle && !strstr(err, needle))
        fail_msg("message '%s' lacks '%s'", err, needle);
}

/* ---------------------------------------------------------------- tests */

/* An unknown key or section is refused to catch a typo; a near miss of a
 * known one (two edits, one for a short word) is named. */
static void test_did_you_mean(void **state)
{
    (void)state;
    char *home = make_home();
    static const char *const cases[][2] = {
        {"[tls]\nmdoe = strict\n", "unknown setting [tls] mdoe; did you mean `mode`?"},
        {"[limits]\nmax_conections = 5\n",
         "unknown setting [limits] max_conections; did you mean `max_connections`?"},
        {"[data]\nsnyc = full\n", "unknown setting [data] snyc; did you mean `sync`?"},
        {"[node]\nip = x\n", "unknown setting [node] ip; did you mean `id`?"},
        {"[tsl]\nmode = strict\n", "unknown setting [tsl] mode; did you mean `[tls] mode`?"},
        {"[clutser]\nnmae = c\n", "unknown setting [clutser] nmae; did you mean `[cluster] name`?"},
        {"[tsl]\nbogus = 1\n", "unknown setting [tsl] bogus; did you mean `[tls]`?"},
        {"[audit]\nprot = 1\n", "unknown setting [audit] prot; did you mean `port`?"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_error(home, cases[i][0], 2, cases[i][1]);
    /* nothing near: no guess */
    static const char *const far[] = {"[node]\nbogus = 1\n", "[node]\nxy = 1\n",
                                      "[metrics]\nport = 9323\n", "[audit]\nmode = strict\n"};
    for (size_t i = 0; i < sizeof far / sizeof far[0]; i++) {
        sipc_config cfg;
        char err[1024];
        assert_int_equal(load_text(home, far[i], &cfg, err, sizeof err), SIPC_ECONFIG);
        if (!strstr(err, "unknown setting") || strstr(err, "did you mean"))
            fail_msg("for %s: %s", far[i], err);
    }
    rm_home(home);
}

static void test_defaults(void **state)
{
    (void)state;
    char *home = make_home();
    sipc_config cfg;
    char err[512] = "";
    memset(&cfg, 0x5A, sizeof cfg); /* load must set everything */
    assert_int_equal(sipc_config_load(&cfg, home, err, sizeof err), 0);
    assert_string_equal(cfg.home, home);
    char host[64] = "";
    gethostname(host, sizeof host);
    host[sizeof host - 1] = '\0';
    assert_string_equal(cfg.node_id, host[0] ? host : "node");
    assert_string_equal(cfg.address, "127.0.0.1");
    assert_string_equal(cfg.cluster, "sipc");
    assert_int_equal(cfg.nnodes, 0);
    assert_int_equal(cfg.tls_enable, 0);
    assert_int_equal(cfg.tls_mode, SIPC_TLS_STRICT);
    assert_string_equal(cfg.subject, "");
    assert_int_equal(cfg.subject_line, 0);
    assert_int_equal(cfg.tls_enable_line, 0); /* TLS off by default, not by a line */
    assert_int_equal(cfg.cluster_line, 0); /* the default: no line of the file to name */
    assert_int_equal(cfg.revocation, SIPC_REVOCATION_SOFT);
    assert_int_equal(cfg.max_frame, 16u << 20);
    assert_int_equal(cfg.nservices, 0);
    assert_int_equal(sipc_config_effective_mode(&cfg), SIPC_TLS_OFF);

    assert_int_equal(sipc_config_port(&cfg, "data"), 23000);
    assert_int_equal(sipc_config_port(&cfg, "search"), 23001);
    assert_int_equal(sipc_config_port(&cfg, "management"), 23002);
    assert_int_equal(sipc_config_port(&cfg, "pipeline"), 23003);
    assert_int_equal(sipc_config_port(&cfg, "unknown"), 0);
    assert_int_equal(sipc_config_port(&cfg, ""), 0);

    /* an empty file and a comments-only file are the defaults too */
    assert_int_equal(load_text(home, "", &cfg, err, sizeof err), 0);
    assert_int_equal(cfg.max_frame, 16u << 20);
    assert_int_equal(load_text(home, "; comment\n# another\n\n", &cfg, err, sizeof err), 0);
    assert_string_equal(cfg.cluster, "sipc");
    rm_home(home);
}

static void test_every_key(void **state)
{
    (void)state;
    char *home = make_home();
    sipc_config cfg;
    char err[512];
    int r = load_text(home,
                      "; a node of the test cluster\n"
                      "[node]\n"
                      "id = node-7\n"
                      "address = 0.0.0.0\n"
                      "\n"
                      "[cluster]\n"
                      "name = prod\n"
                      "nodes = 10.0.0.1:23000, 10.0.0.2:23000,10.0.0.3:23000\t[::1]:23000\n"
                      "\n"
                      "[tls]\n"
                      "enable = 1\n"
                      "mode = permissive\n"
                      "subject = CN=sipc-node,O=Example\n"
                      "revocation = hard\n"
                      "\n"
                      "[limits]\n"
                      "max_frame = 1048576\n"
                      "\n"
                      "[data]\n"
                      "port = 24000\n"
                      "[search]\n"
                      "port = 0\n"
                      "[analytics]\n"
                      "port = 25000\n",
                      &cfg, err, sizeof err);
    if (r != 0)
        fail_msg("%s", err);
    assert_string_equal(cfg.node_id, "node-7");
    assert_string_equal(cfg.address, "0.0.0.0");
    assert_string_equal(cfg.cluster, "prod");
    assert_int_equal(cfg.cluster_line, 7); /* for messages that point at it */
    assert_int_equal(cfg.nnodes, 4);
    assert_string_equal(cfg.nodes[0], "10.0.0.1:23000");
    assert_string_equal(cfg.nodes[1], "10.0.0.2:23000");
    assert_string_equal(cfg.nodes[2], "10.0.0.3:23000");
    assert_string_equal(cfg.nodes[3], "[::1]:23000");
    assert_int_equal(cfg.tls_enable, 1);
    assert_int_equal(cfg.tls_mode, SIPC_TLS_PERMISSIVE);
    assert_int_equal(sipc_config_effective_mode(&cfg), SIPC_TLS_PERMISSIVE);
    assert_string_equal(cfg.subject, "CN=sipc-node,O=Example");
    assert_int_equal(cfg.subject_line, 13); /* for messages that point at it */
    assert_int_equal(cfg.tls_enable_line, 11);
    assert_int_equal(cfg.revocation, SIPC_REVOCATION_HARD);
    assert_int_equal(cfg.max_frame, 1048576);
    assert_int_equal(cfg.nservices, 3);
    assert_int_equal(sipc_config_port(&cfg, "data"), 24000);
    assert_int_equal(sipc_config_port(&cfg, "search"), 0);
    assert_int_equal(sipc_config_port(&cfg, "analytics"), 25000);
    assert_int_equal(sipc_config_port(&cfg, "management"), 23002); /* default still */
    rm_home(home);
}

static void test_value_forms(void **state)
{
    (void)state;
    char *home = make_home();
    sipc_config cfg;
    char err[512];
    /* booleans */
    static const char *const yes[] = {"1", "true", "TRUE", "yes", "on", "On"};
    static const char *const no[] = {"0", "false", "no", "off", "OFF"};
    char text[256];
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        snprintf(text, sizeof text, "[tls]\nenable = %s\n", yes[i]);
        assert_int_equal(load_text(home, text, &cfg, err, sizeof err), 0);
        assert_int_equal(cfg.tls_enable, 1);
        assert_int_equal(sipc_config_effective_mode(&cfg), SIPC_TLS_STRICT);
    }
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        snprintf(text, sizeof text, "[tls]\nenable = %s\nmode = permissive\n", no[i]);
        assert_int_equal(load_text(home, text, &cfg, err, sizeof err), 0);
        assert_int_equal(cfg.tls_enable, 0);
        assert_int_equal(sipc_config_effective_mode(&cfg), SIPC_TLS_OFF);
    }
    /* modes and revocation values */
    assert_int_equal(load_text(home, "[tls]\nmode = strict\nrevocation = off\n", &cfg, err, sizeof err), 0);
    assert_int_equal(cfg.tls_mode, SIPC_TLS_STRICT);
    assert_int_equal(cfg.revocation, SIPC_REVOCATION_OFF);
    assert_int_equal(load_text(home, "[tls]\nrevocation = soft\n", &cfg, err, sizeof err), 0);
    assert_int_equal(cfg.revocation, SIPC_REVOCATION_SOFT);
    /* max_frame bounds: 1024 .. 256 MiB inclusive */
    assert_int_equal(load_text(home, "[limits]\nmax_frame = 1024\n", &cfg, err, sizeof err), 0);
    assert_int_equal(cfg.max_frame, 1024);
    assert_int_equal(load_text(home, "[limits]\nmax_frame = 268435456\n", &cfg, err, sizeof err), 0);
    assert_int_equal(cfg.max_frame, 268435456);
    /* ports 0 and 65535; a later value for the same service wins */
    assert_int_equal(load_text(home, "[data]\nport = 65535\nport = 1\n", &cfg, err, sizeof err), 0);
    assert_int_equal(sipc_config_port(&cfg, "data"), 1);
    assert_int_equal(cfg.nservices, 1);
    /* whitespace around '=' and an inline comment */
    assert_int_equal(load_text(home, "[node]\n  id=n1 ; the first\n", &cfg, err, sizeof err), 0);
    assert_string_equal(cfg.node_id, "n1");
    /* an empty nodes list */
    assert_int_equal(load_text(home, "[cluster]\nnodes =\n", &cfg, err, sizeof err), 0);
    assert_int_equal(cfg.nnodes, 0);
    rm_home(home);
}

/* inih reads lines through a 200-byte buffer and used to parse the rest of a
 * longer line as a line of its own ("unknown setting [cluster] 00, 10.0.0.13"
 * for a 16-node list). A line that does not fit is now refused with its line
 * number, and a long nodes list is written over indented continuation lines. */
static void test_long_lines(void **state)
{
    (void)state;
    char *home = make_home();
    char list[1024] = "";
    for (int i = 1; i <= 16; i++) {
        char one[64];
        snprintf(one, sizeof one, "%s10.0.0.%d:23000", i > 1 ? ", " : "", i);
        strcat(list, one);
    }
    assert_true(strlen(list) > 200);
    char text[2048];
    snprintf(text, sizeof text, "[cluster]\nnodes = %s\n[tls]\nenable = 1\n", list);
    expect_error(home, text, 2, "longer than 199 characters");

    /* a line of exactly 199 characters still fits */
    char fit[256];
    snprintf(fit, sizeof fit, "[tls]\nsubject = %0189d\n", 7);
    assert_int_equal(strlen(strchr(fit, '\n') + 1), 200); /* 199 + newline */
    sipc_config cfg;
    char err[512];
    if (load_text(home, fit, &cfg, err, sizeof err) != 0)
        fail_msg("%s", err);
    assert_int_equal(strlen(cfg.subject), 189);
    fit[strlen(fit) - 1] = '\0'; /* and without the final newline */
    assert_int_equal(load_text(home, fit, &cfg, err, sizeof err), 0);
    assert_int_equal(strlen(cfg.subject), 189);
    /* one more does not */
    snprintf(fit, sizeof fit, "[tls]\nsubject = %0190d\n", 7);
    expect_error(home, fit, 2, "longer than");

    /* the same 16 nodes over continuation lines */
    snprintf(text, sizeof text,
             "[cluster]\n"
             "nodes = 10.0.0.1:23000, 10.0.0.2:23000, 10.0.0.3:23000, 10.0.0.4:23000\n"
             "        10.0.0.5:23000, 10.0.0.6:23000, 10.0.0.7:23000, 10.0.0.8:23000\n"
             "  ; a comment between continuation lines\n"
             "        10.0.0.9:23000, 10.0.0.10:23000, 10.0.0.11:23000, 10.0.0.12:23000, ; rack 3\n"
             "\t10.0.0.13:23000 10.0.0.14:23000 10.0.0.15:23000 10.0.0.16:23000\n"
             "name = big\n"
             "[tls]\nenable = 1\n");
    if (load_text(home, text, &cfg, err, sizeof err) != 0)
        fail_msg("%s", err);
    assert_int_equal(cfg.nnodes, 16);
    assert_string_equal(cfg.nodes[0], "10.0.0.1:23000");
    assert_string_equal(cfg.nodes[8], "10.0.0.9:23000");
    assert_string_equal(cfg.nodes[15], "10.0.0.16:23000");
    assert_string_equal(cfg.cluster, "big");
    assert_int_equal(cfg.tls_enable, 1);

    /* a later, unindented nodes line replaces the list */
    assert_int_equal(load_text(home, "[cluster]\nnodes = a:1, b:2\n  c:3\nnodes = d:4\n", &cfg, err,
                               sizeof err),
                     0);
    assert_int_equal(cfg.nnodes, 1);
    assert_string_equal(cfg.nodes[0], "d:4");

    /* an indented line under any other key is a mistake, not a silent new value */
    expect_error(home, "[node]\nid = a\n  address = 10.0.0.1\n", 3, "indented");
    /* more than SIPC_MAX_NODES over continuation lines */
    char many[4096] = "[cluster]\nnodes = n0:1\n";
    for (int i = 1; i <= SIPC_MAX_NODES; i++) {
        char one[32];
        snprintf(one, sizeof one, "  n%d:1\n", i);
        strcat(many, one);
    }
    expect_error(home, many, 2 + SIPC_MAX_NODES, "nodes");
    rm_home(home);
}

static void test_unknown_keys(void **state)
{
    (void)state;
    char *home = make_home();
    /* the typo the design is about: enabel = 1 must not leave TLS off silently */
    expect_error(home, "[tls]\nenabel = 1\n", 2, "enabel");
    expect_error(home, "; c\n[node]\nid = a\nname = b\n", 4, "name");
    expect_error(home, "[cluster]\nnodes = a:1\nseeds = b:2\n", 3, "seeds");
    expect_error(home, "[limits]\nmax_frames = 2048\n", 2, "max_frames");
    /* a service section knows only port */
    expect_error(home, "[data]\nport = 1\nhost = x\n", 3, "host");
    /* a key before any section */
    expect_error(home, "port = 23000\n", 1, "port");
    /* syntax: a line that is neither section, key nor comment */
    expect_error(home, "[node]\nid = a\njust words\n", 3, NULL);
    /* an unterminated section header */
    expect_error(home, "[node\nid = a\n", 1, NULL);
    rm_home(home);
}

/* A line inih refuses says what was found and what a line must be, and shows
 * none of a line that could be a secret pasted on its own. */
static void test_syntax_error_says_what(void **state)
{
    (void)state;
    char *home = make_home();
    const char *must = "a line must be `key = value`, `[section]`, or a `;`/`#` comment";
    expect_error(home, "[node]\nid = a\nbogus line\n", 3, "syntax error: found `bogus ...`, which has no '='");
    expect_error(home, "[node]\nid = a\nbogus line\n", 3, must);
    expect_error(home, "[node\nid = a\n", 1, "syntax error: found `[node` without its closing ']'");
    expect_error(home, "[node]\n[tls ; x]\n", 2, "whose ']' comes after ` ;`, which starts a comment");
    expect_error(home, "[node]\nid ; = a\n", 2, "its '=' comes after ` ;`, which starts a comment");
    /* a lone word (a password pasted alone?) is not shown */
    sipc_config cfg;
    char err[1024];
    assert_int_equal(load_text(home, "[node]\nid = a\nHunter2-secret\n", &cfg, err, sizeof err),
                     SIPC_ECONFIG);
    assert_non_null(strstr(err, "sipc.conf:3: syntax error: found a line of 14 characters without '=' (not shown"));
    assert_non_null(strstr(err, must));
    assert_null(strstr(err, "Hunter"));
    assert_int_equal(load_text(home, "[node]\nid = a\nhunter two\x01\n", &cfg, err, sizeof err),
                     SIPC_ECONFIG);
    assert_null(strstr(err, "two"));
    rm_home(home);
}

/* When a file has several mistakes, the one reported is the first, with its
 * own line number and its own text. */
static void test_first_error_reported(void **state)
{
    (void)state;
    char *home = make_home();
    expect_error(home, "[tls]\nenable = maybe\nmode = lax\n", 2, "maybe");
    expect_error(home, "[tls]\nenabel = 1\n[node]\nidd = x\n", 2, "enabel");
    rm_home(home);
}

static void test_bad_values(void **state)
{
    (void)state;
    char *home = make_home();
    expect_error(home, "[tls]\nenable = maybe\n", 2, "enable");
    expect_error(home, "[tls]\nenable = 2\n", 2, "enable");
    expect_error(home, "[tls]\nenable =\n", 2, "enable");
    expect_error(home, "[tls]\nmode = lax\n", 2, "mode");
    expect_error(home, "[tls]\nmode = Strict\n", 2, "mode");
    expect_error(home, "[tls]\nrevocation = sometimes\n", 2, "revocation");
    expect_error(home, "[limits]\nmax_frame = 1023\n", 2, "max_frame");
    expect_error(home, "[limits]\nmax_frame = 268435457\n", 2, "max_frame");
    expect_error(home, "[limits]\nmax_frame = 1M\n", 2, "max_frame");
    expect_error(home, "[limits]\nmax_frame =\n", 2, "max_frame");
    expect_error(home, "[limits]\nmax_frame = -5\n", 2, "max_frame");
    expect_error(home, "[data]\nport = 65536\n", 2, "port");
    expect_error(home, "[data]\nport = -1\n", 2, "port");
    expect_error(home, "[data]\nport = http\n", 2, "port");
    expect_error(home, "[data]\nport = 80x\n", 2, "port");
    expect_error(home, "[data]\nport =\n", 2, "port");
    /* values longer than their field */
    char text[600];
    char longv[300];
    memset(longv, 'x', sizeof longv - 1);
    longv[sizeof longv - 1] = '\0';
    snprintf(text, sizeof text, "[node]\nid = %.100s\n", longv);
    expect_error(home, text, 2, "id");
    snprintf(text, sizeof text, "\n[cluster]\nname = %.64s\n", longv);
    expect_error(home, text, 3, "name");
    /* more services than SIPC_MAX_SERVICES */
    char many[1024] = "";
    for (int i = 0; i <= SIPC_MAX_SERVICES; i++) {
        char one[64];
        snprintf(one, sizeof one, "[svc%d]\nport = %d\n", i, 30000 + i);
        strcat(many, one);
    }
    expect_error(home, many, 2 * (SIPC_MAX_SERVICES + 1), "svc");
    rm_home(home);
}

/* [node] id and [cluster] name go to peers in the hello: one that is not
 * printable UTF-8 (an invisible or text-direction character included) is a
 * sipc.conf error with its line, naming the character and where it is (sipc_ctx_new refused
 * it later, as an internal failure naming options.node_id). */
static void test_names_printable(void **state)
{
    (void)state;
    char *home = make_home();
    expect_error(home, "[node]\nid = n\xe9ud\n", 2,
                 "[node] id holds the byte 0xe9 (not UTF-8) at byte 2 (peers refuse a name with "
                 "control, invisible or text-direction characters or bytes that are not UTF-8)");
    expect_error(home, "[node]\nid = n1\x1b[2J\n", 2,
                 "[node] id holds the control character 0x1b at byte 3");
    expect_error(home, "\n[cluster]\nname = r\xc2\x9bv\n", 3,
                 "[cluster] name holds the control character U+009B at byte 2");
    expect_error(home, "\n[cluster]\nname = r\xe9v\n", 3, "[cluster] name holds");
    /* what would show as another name, or reorder the line it is in: a
     * text-direction override, an isolate, a zero-width space or joiner, a
     * BOM, a soft hyphen */
    expect_error(home, "[node]\nid = n1\xe2\x80\xae" "2n\n", 2,
                 "[node] id holds U+202E (an invisible or text-direction character) at byte 3");
    expect_error(home, "[node]\nid = \xe2\x81\xa6n1\xe2\x81\xa9\n", 2, "[node] id holds U+2066");
    expect_error(home, "[node]\nid = n\xe2\x80\x8b" "1\n", 2, "[node] id holds U+200B");
    expect_error(home, "\n\n[cluster]\nname = pr\xc2\xad" "od\n", 4,
                 "[cluster] name holds U+00AD (an invisible or text-direction character) at byte 3");
    expect_error(home, "[cluster]\nname = \xef\xbb\xbfprod\n", 2, "[cluster] name holds U+FEFF");
    expect_error(home, "[cluster]\nname = p\xe2\x80\x8drod\n", 2, "[cluster] name holds U+200D");
    sipc_config cfg;
    char err[512] = "";
    assert_int_equal(load_text(home, "[node]\nid = n\xc3\xa9ud\n[cluster]\nname = \xc3\xa9\n",
                               &cfg, err, sizeof err), 0);
    assert_string_equal(cfg.node_id, "n\xc3\xa9ud");
    assert_string_equal(cfg.cluster, "\xc3\xa9");
    /* CJK, and right-to-left letters themselves, are names like any other */
    assert_int_equal(load_text(home, "[node]\nid = \xe6\x97\xa5\xe6\x9c\xac-1\n[cluster]\nname = "
                                     "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d\n", &cfg, err, sizeof err), 0);
    assert_string_equal(cfg.node_id, "\xe6\x97\xa5\xe6\x9c\xac-1");
    rm_home(home);
}

/* An empty value is refused with the line and what to do, for every key that
 * needs one: an empty [node] address was 127.0.0.1 to sipcd and nothing to
 * its clients, an empty [cluster] name or [node] id stopped sipcd with
 * "invalid argument". */
static void test_empty_values(void **state)
{
    (void)state;
    char *home = make_home();
    expect_error(home, "[node]\naddress =\n", 2,
                 "[node] address is empty: remove the line for the default (127.0.0.1), or give "
                 "a value");
    expect_error(home, "[node]\nid = n1\n[cluster]\nname =\n", 4,
                 "[cluster] name is empty: remove the line for the default (sipc), or give a "
                 "value");
    expect_error(home, "[node]\nid =   \n", 2,
                 "[node] id is empty: remove the line for the default (the host name), or give "
                 "a value");
    /* ' ;' starts a comment: what is left is empty */
    expect_error(home, "\n[cluster]\nname = ;x\n", 3, "[cluster] name is empty");
    static const char *const keys[][2] = {
        {"tls", "enable"},           {"tls", "mode"},
        {"tls", "revocation"},       {"tls", "strict_guard_window"},
        {"limits", "max_frame"},     {"limits", "max_write_queue"},
        {"limits", "max_write_queue_total"}, {"limits", "max_read_buffer_total"},
        {"limits", "max_connections"}, {"limits", "max_opening"},
        {"limits", "max_connections_per_host"},
        {"limits", "reconnect_max_ms"}, {"data", "sync"},
        {"data", "writes_slow_ms"},  {"data", "max_attributes"},
        {"search", "max_local_ms"},  {"pipeline", "tls"},
        {"logs", "max_file_size"},
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char text[128], want[128];
        snprintf(text, sizeof text, "[%s]\n%s =\n", keys[i][0], keys[i][1]);
        snprintf(want, sizeof want, "[%s] %s is empty: remove the line for the default (",
                 keys[i][0], keys[i][1]);
        expect_error(home, text, 2, want);
    }
    expect_error(home, "[search]\nport =\n", 2,
                 "[search] port is empty: remove the line for the default (23001), or give a port");
    expect_error(home, "[audit]\nport =\n", 2, "[audit] port is empty: give a port");
    /* an unknown key stays unknown, empty or not */
    expect_error(home, "[node]\nadress =\n", 2, "unknown setting [node] adress");
    /* where empty is the default itself, it is taken */
    sipc_config cfg;
    char err[512];
    assert_int_equal(load_text(home, "[cluster]\nnodes =\n[tls]\nsubject =\n[metrics]\naddress =\n",
                               &cfg, err, sizeof err),
                     0);
    assert_int_equal(cfg.nnodes, 0);
    assert_string_equal(cfg.subject, "");
    assert_string_equal(cfg.metrics_address, "");
    rm_home(home);
}

static void test_unreadable_file(void **state)
{
    (void)state;
    char *home = make_home();
    char path[600];
    snprintf(path, sizeof path, "%s/sipc.conf", home);
    assert_int_equal(mkdir(path, 0700), 0); /* a directory where the file should be */
    sipc_config cfg;
    char err[512] = "";
    assert_int_equal(sipc_config_load(&cfg, home, err, sizeof err), SIPC_ECONFIG);
    assert_non_null(strstr(err, "sipc.conf"));
    rm_home(home);
}

static const char *const commented =
    "# sipc node configuration\n"
    "; managed by hand\n"
    "\n"
    "[node]\n"
    "id = n1   ; this node\n"
    "address = 10.1.1.1\n"
    "\n"
    "# TLS below\n"
    "[tls]\n"
    "enable = 0\n"
    "mode = permissive\n"
    "\n"
    "[data]\n"
    "port = 24000\n";

static void test_set_preserves_lines(void **state)
{
    (void)state;
    char *home = make_home();
    write_conf(home, commented);
    char err[512] = "";
    assert_int_equal(sipc_config_set(home, "tls", "enable", "1", err, sizeof err), 0);
    char *after = read_conf(home);
    assert_non_null(after);
    /* exactly one line changed */
    char *want = strdup(commented);
    char *p = strstr(want, "enable = 0");
    assert_non_null(p);
    p[9] = '1';
    assert_string_equal(after, want);
    free(want);
    free(after);

    sipc_config cfg;
    assert_int_equal(sipc_config_load(&cfg, home, err, sizeof err), 0);
    assert_int_equal(cfg.tls_enable, 1);
    assert_int_equal(cfg.tls_mode, SIPC_TLS_PERMISSIVE);
    assert_string_equal(cfg.node_id, "n1");
    assert_int_equal(sipc_config_port(&cfg, "data"), 24000);
    rm_home(home);
}

/* The same key name in another section is left alone. */
static void test_set_right_section(void **state)
{
    (void)state;
    char *home = make_home();
    write_conf(home, "[data]\nport = 1\n[search]\nport = 2\n[pipeline]\nport = 3\n");
    char err[512] = "";
    assert_int_equal(sipc_config_set(home, "search", "port", "22", err, sizeof err), 0);
    char *after = read_conf(home);
    assert_string_equal(after, "[data]\nport = 1\n[search]\nport = 22\n[pipeline]\nport = 3\n");
    free(after);
    /* a key that only shares a prefix is not the key */
    write_conf(home, "[tls]\nmode_old = x\n");
    assert_int_equal(sipc_config_set(home, "tls", "mode", "strict", err, sizeof err), 0);
    after = read_conf(home);
    assert_string_equal(after, "[tls]\nmode_old = x\nmode = strict\n");
    free(after);
    /* a key written twice (the reader takes the last) is set everywhere, in
     * every instance of its section: found by fuzz_config */
    write_conf(home, "[tls]\nmode = permissive\nmode = strict\n[data]\nport = 1\n[tls]\nmode = strict\n");
    assert_int_equal(sipc_config_set(home, "tls", "mode", "permissive", err, sizeof err), 0);
    after = read_conf(home);
    assert_string_equal(after, "[tls]\nmode = permissive\nmode = permissive\n[data]\nport = 1\n[tls]\n"
                               "mode = permissive\n");
    free(after);
    /* a NUL byte: the reader refuses the file, and an edit keeps every byte
     * after it (it used to cut the file there): found by fuzz_config */
    static const char nul[] = "[node]\nid = a\0b\n[data]\nport = 1\n";
    char path[600];
    snprintf(path, sizeof path, "%s/sipc.conf", home);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    fwrite(nul, 1, sizeof nul - 1, fp);
    fclose(fp);
    sipc_config cfg;
    assert_int_equal(sipc_config_load(&cfg, home, err, sizeof err), SIPC_ECONFIG);
    assert_non_null(strstr(err, "sipc.conf:2: contains a NUL byte"));
    assert_int_equal(sipc_config_set(home, "tls", "mode", "strict", err, sizeof err), 0);
    fp = fopen(path, "rb");
    char back[200];
    size_t n = fread(back, 1, sizeof back, fp);
    fclose(fp);
    static const char want[] = "[node]\nid = a\0b\n[data]\nport = 1\n\n[tls]\nmode = strict\n";
    assert_int_equal(n, sizeof want - 1);
    assert_memory_equal(back, want, n);
    rm_home(home);
}

static void test_set_adds_key_and_section(void **state)
{
    (void)state;
    char *home = make_home();
    write_conf(home, commented);
    char err[512] = "";
    /* a new key in an existing section that is not the last: it goes into
     * that section, before the next one starts */
    assert_int_equal(sipc_config_set(home, "node", "address", "10.2.2.2", err, sizeof err), 0);
    assert_int_equal(sipc_config_set(home, "tls", "subject", "CN=x", err, sizeof err), 0);
    /* a section that does not exist yet is created at the end */
    assert_int_equal(sipc_config_set(home, "limits", "max_frame", "2048", err, sizeof err), 0);
    assert_int_equal(sipc_config_set(home, "search", "port", "24001", err, sizeof err), 0);
    /* a new key in the last section */
    assert_int_equal(sipc_config_set(home, "search", "port", "24002", err, sizeof err), 0);

    char *after = read_conf(home);
    /* every original comment is still there */
    assert_non_null(strstr(after, "# sipc node configuration\n; managed by hand\n"));
    assert_non_null(strstr(after, "id = n1   ; this node\n"));
    assert_non_null(strstr(after, "# TLS below\n"));
    /* subject landed inside [tls], before [data] */
    char *tls = strstr(after, "[tls]");
    char *subj = strstr(after, "subject = CN=x");
    char *data = strstr(after, "[data]");
    assert_non_null(tls);
    assert_non_null(subj);
    assert_true(tls < subj && subj < data);
    /* only one [search] section and one port line in it */
    char *s1 = strstr(after, "[search]");
    assert_non_null(s1);
    assert_null(strstr(s1 + 1, "[search]"));
    assert_null(strstr(after, "24001"));
    free(after);

    sipc_config cfg;
    if (sipc_config_load(&cfg, home, err, sizeof err) != 0)
        fail_msg("edited file does not load: %s", err);
    assert_string_equal(cfg.node_id, "n1");
    assert_string_equal(cfg.address, "10.2.2.2");
    assert_string_equal(cfg.subject, "CN=x");
    assert_int_equal(cfg.max_frame, 2048);
    assert_int_equal(sipc_config_port(&cfg, "search"), 24002);
    assert_int_equal(sipc_config_port(&cfg, "data"), 24000);
    assert_int_equal(cfg.tls_mode, SIPC_TLS_PERMISSIVE);
    rm_home(home);
}

/* No file, and even no home directory yet: set creates both. */
static void test_set_creates_file(void **state)
{
    (void)state;
    char *base = make_home();
    char home[700];
    snprintf(home, sizeof home, "%s/newhome", base);
    char err[512] = "";
    assert_int_equal(sipc_config_set(home, "tls", "enable", "1", err, sizeof err), 0);
    char *after = read_conf(home);
    assert_string_equal(after, "[tls]\nenable = 1\n");
    free(after);
    assert_int_equal(sipc_config_set(home, "tls", "mode", "permissive", err, sizeof err), 0);
    after = read_conf(home);
    assert_string_equal(after, "[tls]\nenable = 1\nmode = permissive\n");
    free(after);
    assert_int_equal(sipc_config_set(home, "data", "port", "23100", err, sizeof err), 0);
    after = read_conf(home);
    assert_string_equal(after, "[tls]\nenable = 1\nmode = permissive\n\n[data]\nport = 23100\n");
    free(after);
    /* no temporary file is left behind */
    char cmd[900];
    snprintf(cmd, sizeof cmd, "test -z \"$(ls -A '%s' | grep -v '^sipc.conf$')\"", home);
    assert_int_equal(system(cmd), 0);

    /* a file without a final newline */
    write_conf(home, "[node]\nid = a");
    assert_int_equal(sipc_config_set(home, "node", "address", "1.2.3.4", err, sizeof err), 0);
    after = read_conf(home);
    assert_string_equal(after, "[node]\nid = a\naddress = 1.2.3.4\n");
    free(after);
    rm_home(base);
}

/* Putting back what an edit replaced: byte for byte, a file that was not
 * there is removed, and a file changed since is left alone. */
static void test_put_back(void **state)
{
    (void)state;
    char *home = make_home();
    char err[512] = "";
    const char *before = "# ops\n[node]\nid = a\n";
    write_conf(home, before);
    assert_int_equal(sipc_config_set(home, "tls", "mode", "strict", err, sizeof err), 0);
    assert_int_equal(sipc_config_set(home, "tls", "enable", "1", err, sizeof err), 0);
    char *edited = read_conf(home);
    assert_non_null(strstr(edited, "[tls]"));
    int changed = -1;
    assert_int_equal(sipc_config_put_back(home, edited, strlen(edited), before, strlen(before),
                                          &changed, err, sizeof err),
                     0);
    assert_int_equal(changed, 0);
    char *after = read_conf(home);
    assert_string_equal(after, before);
    free(after);
    /* changed by someone else since: untouched, and no error (0 or a
     * negative code, as every library function) */
    write_conf(home, "[node]\nid = b\n");
    assert_int_equal(sipc_config_put_back(home, edited, strlen(edited), before, strlen(before),
                                          &changed, err, sizeof err),
                     0);
    assert_int_equal(changed, 1);
    assert_non_null(strstr(err, "was changed since it was written"));
    after = read_conf(home);
    assert_string_equal(after, "[node]\nid = b\n");
    free(after);
    free(edited);
    /* there was no file: it goes */
    char path[800];
    snprintf(path, sizeof path, "%s/sipc.conf", home);
    unlink(path);
    assert_int_equal(sipc_config_set(home, "tls", "enable", "1", err, sizeof err), 0);
    edited = read_conf(home);
    assert_int_equal(
        sipc_config_put_back(home, edited, strlen(edited), NULL, 0, &changed, err, sizeof err), 0);
    assert_int_equal(changed, 0);
    assert_int_equal(access(path, F_OK), -1);
    free(edited);
    /* put back keeps the file's mode (and, for root, its owner), as an edit does */
    write_conf(home, before);
    assert_int_equal(chmod(path, 0600), 0);
    int root = geteuid() == 0;
    if (root)
        assert_int_equal(chown(path, 4321, 4322), 0);
    assert_int_equal(sipc_config_set(home, "tls", "enable", "1", err, sizeof err), 0);
    edited = read_conf(home);
    assert_int_equal(sipc_config_put_back(home, edited, strlen(edited), before, strlen(before),
                                          &changed, err, sizeof err),
                     0);
    struct stat st;
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0600);
    if (root)
        assert_true(st.st_uid == 4321 && st.st_gid == 4322);
    free(edited);
    rm_home(home);
}

/* Linked with --wrap=fsync: an armed hook runs once, at the next fsync, which
 * in an edit is its temporary file's, between its read of sipc.conf and the
 * rename: an operator's edit made just then. */
int __real_fsync(int fd);
static char hook_path[700];
static const char *hook_text;
static int hook_in_place; /* appended to the file, else a new file renamed over it */
int __wrap_fsync(int fd);
int __wrap_fsync(int fd)
{
    const char *text = hook_text;
    hook_text = NULL;
    if (text) {
        char tmp[720];
        snprintf(tmp, sizeof tmp, "%s.op", hook_path);
        FILE *fp = fopen(hook_in_place ? hook_path : tmp, hook_in_place ? "a" : "w");
        if (fp) {
            fputs(text, fp);
            fclose(fp);
        }
        if (!hook_in_place)
            rename(tmp, hook_path);
    }
    return __real_fsync(fd);
}

/* An edit someone makes while sipc_config_put_back writes (after it read
 * the file and found what it expected, before its rename) is not
 * overwritten either: the put-back says the file changed and leaves it. */
/* A sipc.conf that is a symbolic link: the put-back says so, as the set
 * does, and leaves the link and its target alone (not "changed while it was
 * being removed", which compared the link with the file it points to). */
static void test_put_back_link(void **state)
{
    (void)state;
    char *home = make_home();
    char err[512] = "", path[600], target[600];
    snprintf(path, sizeof path, "%s/sipc.conf", home);
    snprintf(target, sizeof target, "%s/real.conf", home);
    FILE *f = fopen(target, "w");
    assert_non_null(f);
    fputs("[tls]\nenable = 1\n", f);
    fclose(f);
    assert_int_equal(symlink("real.conf", path), 0);
    int changed = -1;
    assert_int_equal(sipc_config_put_back(home, "[tls]\nenable = 1\n", 17, NULL, 0, &changed, err,
                                          sizeof err),
                     SIPC_ECONFIG);
    assert_int_equal(changed, 0);
    assert_non_null(strstr(err, "sipc.conf is a symbolic link (to real.conf): it is edited only as a regular"));
    assert_int_equal(sipc_config_set(home, "tls", "enable", "0", err, sizeof err), SIPC_ECONFIG);
    assert_non_null(strstr(err, "sipc.conf is a symbolic link (to real.conf): it is edited only as a regular"));
    struct stat st;
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_int_equal(stat(target, &st), 0);
    assert_int_equal(st.st_size, 17);
    rm_home(home);
}

static void test_put_back_edit_meanwhile(void **state)
{
    (void)state;
    char *home = make_home();
    char err[512] = "";
    const char *before = "# ops\n[node]\nid = a\n", *op = "[node]\nid = operator\n";
    snprintf(hook_path, sizeof hook_path, "%s/sipc.conf", home);
    write_conf(home, before);
    assert_int_equal(sipc_config_set(home, "tls", "enable", "1", err, sizeof err), 0);
    char *edited = read_conf(home);
    /* an editor that writes a new file and renames it over sipc.conf */
    hook_text = op;
    hook_in_place = 0;
    int changed = -1;
    assert_int_equal(sipc_config_put_back(home, edited, strlen(edited), before, strlen(before),
                                          &changed, err, sizeof err),
                     0);
    assert_null(hook_text); /* the edit was made */
    assert_int_equal(changed, 1);
    assert_non_null(strstr(err, "changed while"));
    assert_non_null(strstr(err, "left as it is"));
    char *after = read_conf(home);
    assert_string_equal(after, op);
    free(after);
    /* one that writes into the file itself */
    write_conf(home, edited);
    hook_text = "; and a note\n";
    hook_in_place = 1;
    changed = -1;
    assert_int_equal(sipc_config_put_back(home, edited, strlen(edited), before, strlen(before),
                                          &changed, err, sizeof err),
                     0);
    assert_null(hook_text);
    assert_int_equal(changed, 1);
    after = read_conf(home);
    assert_non_null(strstr(after, "; and a note\n"));
    assert_int_equal(strlen(after), strlen(edited) + strlen("; and a note\n"));
    free(after);
    /* there was no file after the edit, and one is made meanwhile */
    assert_int_equal(unlink(hook_path), 0);
    hook_text = op;
    hook_in_place = 0;
    changed = -1;
    assert_int_equal(
        sipc_config_put_back(home, NULL, 0, before, strlen(before), &changed, err, sizeof err), 0);
    assert_null(hook_text);
    assert_int_equal(changed, 1);
    after = read_conf(home);
    assert_string_equal(after, op);
    free(after);
    free(edited);
    /* no temporary file is left behind */
    char cmd[900];
    snprintf(cmd, sizeof cmd, "test -z \"$(ls -A '%s' | grep -v '^sipc.conf$')\"", home);
    assert_int_equal(system(cmd), 0);
    rm_home(home);
}

/* An edit someone makes while sipc_config_set writes is kept too: the set
 * reads the file again and makes its change in what that edit left. */
/* sipc_config_edit: the text sipc_config_set writes, without the file */
static void test_config_edit(void **state)
{
    (void)state;
    char *home = make_home();
    char err[512] = "", *out = NULL;
    size_t len = 0;
    static const char text[] = "# mine\n[node]\nid = a\n[tls]\nenable = 0\n";
    write_conf(home, text);
    assert_int_equal(sipc_config_set(home, "tls", "enable", "1", err, sizeof err), 0);
    char *after = read_conf(home);
    assert_int_equal(sipc_config_edit(text, strlen(text), "tls", "enable", "1", &out, &len, err,
                                      sizeof err),
                     0);
    assert_int_equal(len, strlen(after));
    assert_memory_equal(out, after, len);
    free(out);
    free(after);
    assert_int_equal(sipc_config_edit(NULL, 0, "tls", "mode", "strict", &out, &len, NULL, 0), 0);
    assert_int_equal(len, strlen("[tls]\nmode = strict\n"));
    assert_memory_equal(out, "[tls]\nmode = strict\n", len);
    free(out);
    assert_int_equal(sipc_config_edit(text, 3, "tls", "bad key", "1", &out, &len, err, sizeof err),
                     SIPC_ECONFIG);
    assert_null(out);
    assert_int_equal(sipc_config_edit(text, 3, "tls", "k", "1", NULL, &len, NULL, 0), SIPC_EINVAL);
    assert_int_equal(sipc_config_edit(text, 3, NULL, "k", "1", &out, &len, NULL, 0), SIPC_EINVAL);
    rm_home(home);
}

static void test_set_edit_meanwhile(void **state)
{
    (void)state;
    char *home = make_home();
    char err[512] = "";
    snprintf(hook_path, sizeof hook_path, "%s/sipc.conf", home);
    write_conf(home, "[node]\nid = a\n");
    hook_text = "[node]\nid = operator\n";
    hook_in_place = 0;
    assert_int_equal(sipc_config_set(home, "tls", "enable", "1", err, sizeof err), 0);
    assert_null(hook_text);
    char *after = read_conf(home);
    assert_string_equal(after, "[node]\nid = operator\n\n[tls]\nenable = 1\n");
    free(after);
    hook_text = "; a note\n";
    hook_in_place = 1;
    assert_int_equal(sipc_config_set(home, "tls", "mode", "strict", err, sizeof err), 0);
    assert_null(hook_text);
    after = read_conf(home);
    assert_string_equal(after,
                        "[node]\nid = operator\n\n[tls]\nenable = 1\n; a note\nmode = strict\n");
    free(after);
    /* no file when read, one made meanwhile: edited, not replaced */
    assert_int_equal(unlink(hook_path), 0);
    hook_text = "[node]\nid = b\n";
    hook_in_place = 0;
    assert_int_equal(sipc_config_set(home, "tls", "enable", "1", err, sizeof err), 0);
    assert_null(hook_text);
    after = read_conf(home);
    assert_string_equal(after, "[node]\nid = b\n\n[tls]\nenable = 1\n");
    free(after);
    rm_home(home);
}

/* A sipc.conf that is a symbolic link is never written through nor replaced
 * by a plain file (it could point anywhere, and a root tlstool edits homes
 * other accounts own): the edit is refused, saying so. */
static void test_set_refuses_link(void **state)
{
    (void)state;
    char *home = make_home();
    char err[512] = "", path[700], real[700];
    snprintf(real, sizeof real, "%s/real.conf", home);
    snprintf(path, sizeof path, "%s/sipc.conf", home);
    FILE *fp = fopen(real, "w");
    assert_non_null(fp);
    fputs("[node]\nid = a\n", fp);
    assert_int_equal(fclose(fp), 0);
    assert_int_equal(symlink("real.conf", path), 0);
    assert_int_equal(sipc_config_set(home, "tls", "enable", "1", err, sizeof err), SIPC_ECONFIG);
    assert_non_null(strstr(err, "is a symbolic link"));
    struct stat st;
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    char *text = read_conf(home);
    assert_string_equal(text, "[node]\nid = a\n");
    int changed = -1;
    assert_int_equal(sipc_config_put_back(home, text, strlen(text), "x", 1, &changed, err,
                                          sizeof err),
                     SIPC_ECONFIG);
    assert_int_equal(changed, 0);
    assert_non_null(strstr(err, "is a symbolic link"));
    free(text);
    text = read_conf(home);
    assert_string_equal(text, "[node]\nid = a\n");
    free(text);
    rm_home(home);
}

/* The temporary file of an edit has a name no one can foresee and is made
 * exclusively: a link planted under the name it once had (the process id)
 * is not followed, and the file it points to keeps its bytes. */
static void test_set_temporary_not_followed(void **state)
{
    (void)state;
    char *home = make_home();
    char err[512] = "", victim[700], trap[700];
    snprintf(victim, sizeof victim, "%s/victim", home);
    FILE *fp = fopen(victim, "w");
    assert_non_null(fp);
    fputs("precious\n", fp);
    assert_int_equal(fclose(fp), 0);
    snprintf(trap, sizeof trap, "%s/.sipc.conf.%ld.tmp", home, (long)getpid());
    assert_int_equal(symlink(victim, trap), 0);
    write_conf(home, "[node]\nid = a\n");
    assert_int_equal(sipc_config_set(home, "tls", "enable", "1", err, sizeof err), 0);
    fp = fopen(victim, "r");
    assert_non_null(fp);
    char line[64] = "";
    assert_non_null(fgets(line, sizeof line, fp));
    fclose(fp);
    assert_string_equal(line, "precious\n");
    char *text = read_conf(home);
    assert_string_equal(text, "[node]\nid = a\n\n[tls]\nenable = 1\n");
    free(text);
    /* and none of its own is left behind */
    char cmd[900];
    snprintf(cmd, sizeof cmd, "test -z \"$(ls -A '%s' | grep -v '^sipc.conf$\\|^victim$\\|^.sipc.conf.%ld.tmp$')\"",
             home, (long)getpid());
    assert_int_equal(system(cmd), 0);
    rm_home(home);
}

/* Setting a key to the value it has changes nothing, however often. */
static void test_set_idempotent(void **state)
{
    (void)state;
    char *home = make_home();
    write_conf(home, commented);
    char err[512] = "";
    assert_int_equal(sipc_config_set(home, "tls", "enable", "1", err, sizeof err), 0);
    assert_int_equal(sipc_config_set(home, "limits", "max_frame", "4096", err, sizeof err), 0);
    char *once = read_conf(home);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(sipc_config_set(home, "tls", "enable", "1", err, sizeof err), 0);
        assert_int_equal(sipc_config_set(home, "limits", "max_frame", "4096", err, sizeof err), 0);
        char *again = read_conf(home);
        assert_string_equal(again, once);
        free(again);
    }
    free(once);
    rm_home(home);
}

/* Replacing nodes also drops its continuation lines; comments stay. */
static void test_set_replaces_continuation(void **state)
{
    (void)state;
    char *home = make_home();
    write_conf(home, "[cluster]\nnodes = a:1, b:2\n    c:3\n  ; keep me\n    d:4\nname = x\n");
    char err[512] = "";
    assert_int_equal(sipc_config_set(home, "cluster", "nodes", "e:5", err, sizeof err), 0);
    char *after = read_conf(home);
    assert_string_equal(after, "[cluster]\nnodes = e:5\n  ; keep me\nname = x\n");
    free(after);
    sipc_config cfg;
    assert_int_equal(sipc_config_load(&cfg, home, err, sizeof err), 0);
    assert_int_equal(cfg.nnodes, 1);
    assert_string_equal(cfg.nodes[0], "e:5");
    rm_home(home);
}

/* The editor reads continuations as the reader does: an indented line after
 * a key continues it even when it looks like a section header (an IPv6
 * node), and a key inserted before an indented header does not turn that
 * header into a continuation of the new line. */
/* sipc.conf = conf; `mode = permissive` set in [tls] must read back, with
 * [cluster]'s name still "c"; want, when not NULL, is the whole file after. */
static void set_mode_keeps_cluster(const char *home, const char *conf, const char *want)
{
    char err[512] = "";
    sipc_config cfg;
    write_conf(home, conf);
    assert_int_equal(sipc_config_load(&cfg, home, err, sizeof err), 0);
    assert_int_equal(sipc_config_set(home, "tls", "mode", "permissive", err, sizeof err), 0);
    if (want) {
        char *after = read_conf(home);
        assert_string_equal(after, want);
        free(after);
    }
    assert_int_equal(sipc_config_load(&cfg, home, err, sizeof err), 0);
    assert_int_equal(cfg.tls_mode, SIPC_TLS_PERMISSIVE);
    assert_string_equal(cfg.cluster, "c");
}

static void test_set_follows_continuations(void **state)
{
    (void)state;
    char *home = make_home();
    char err[512] = "";
    write_conf(home, "[cluster]\nnodes = 10.0.0.1:1,\n  [fd00::2]:23000\n[tls]\nenable = 1\n");
    assert_int_equal(sipc_config_set(home, "cluster", "name", "x", err, sizeof err), 0);
    char *after = read_conf(home);
    assert_string_equal(after,
                        "[cluster]\nnodes = 10.0.0.1:1,\n  [fd00::2]:23000\nname = x\n[tls]\nenable = 1\n");
    free(after);
    sipc_config cfg;
    assert_int_equal(sipc_config_load(&cfg, home, err, sizeof err), 0);
    assert_int_equal(cfg.nnodes, 2);
    assert_string_equal(cfg.nodes[1], "[fd00::2]:23000");
    assert_string_equal(cfg.cluster, "x");

    /* blank lines (spaces, "\r") and an indented header after them: the
     * inserted key stays in [tls] and [cluster] keeps its name */
    set_mode_keeps_cluster(home, "[tls]\n\n \n\t\t[cluster]\nname = c\n",
                           "[tls]\n\n \nmode = permissive\n[cluster]\nname = c\n");
    /* a section whose name is too long to keep is still a section */
    char longsec[400];
    snprintf(longsec, sizeof longsec, "[tls]\n[%0150d]\n\t\t[cluster]\nname = c\n", 0);
    set_mode_keeps_cluster(home, longsec, NULL);
    /* the same with CRLF line ends: a "\r" line is blank to the reader */
    set_mode_keeps_cluster(home, "[tls]\r\n\r\n\t[cluster]\r\nname = c\r\n",
                           "[tls]\r\n\r\nmode = permissive\n[cluster]\r\nname = c\r\n");
    rm_home(home);
}

/* Nothing that would change the file's structure is written. */
static void test_set_refuses_bad_input(void **state)
{
    (void)state;
    char *home = make_home();
    write_conf(home, commented);
    char err[512];
    assert_int_equal(sipc_config_set(home, "tls", "enable", "1\n[node]\nid = evil", err, sizeof err),
                     SIPC_ECONFIG);
    assert_int_equal(sipc_config_set(home, "tls]\n[x", "enable", "1", err, sizeof err), SIPC_ECONFIG);
    assert_int_equal(sipc_config_set(home, "tls", "en able", "1", err, sizeof err), SIPC_ECONFIG);
    assert_int_equal(sipc_config_set(home, "tls", "a=b", "1", err, sizeof err), SIPC_ECONFIG);
    assert_int_equal(sipc_config_set(home, "", "enable", "1", err, sizeof err), SIPC_ECONFIG);
    assert_int_equal(sipc_config_set(home, "tls", "", "1", err, sizeof err), SIPC_ECONFIG);
    char longv[300];
    memset(longv, 'a', sizeof longv - 1);
    longv[sizeof longv - 1] = '\0';
    assert_int_equal(sipc_config_set(home, "tls", "subject", longv, err, sizeof err), SIPC_ECONFIG);
    assert_non_null(strstr(err, "longer than"));
    char *after = read_conf(home);
    assert_string_equal(after, commented);
    free(after);
    /* an empty value is fine */
    assert_int_equal(sipc_config_set(home, "tls", "subject", "", err, sizeof err), 0);
    sipc_config cfg;
    assert_int_equal(sipc_config_load(&cfg, home, err, sizeof err), 0);
    assert_string_equal(cfg.subject, "");
    rm_home(home);
}

static void test_set_unwritable(void **state)
{
    (void)state;
    char *home = make_home();
    char err[512] = "";
    char bad[700];
    /* a home below a regular file cannot be created */
    write_conf(home, "");
    snprintf(bad, sizeof bad, "%s/sipc.conf/sub", home);
    assert_int_equal(sipc_config_set(bad, "tls", "enable", "1", err, sizeof err), SIPC_ECONFIG);
    assert_true(strlen(err) > 0);
    rm_home(home);
}

static void test_home_resolve(void **state)
{
    (void)state;
    char *saved = getenv("SIPC_HOME") ? strdup(getenv("SIPC_HOME")) : NULL;

    unsetenv("SIPC_HOME");
    assert_string_equal(sipc_home_resolve(NULL), "/var/lib/sipc");
    assert_string_equal(sipc_home_resolve(""), "/var/lib/sipc");
    assert_string_equal(sipc_home_resolve("/opt/x"), "/opt/x");

    setenv("SIPC_HOME", "/srv/sipc-env", 1);
    assert_string_equal(sipc_home_resolve(NULL), "/srv/sipc-env");
    assert_string_equal(sipc_home_resolve(""), "/srv/sipc-env");
    /* explicit beats the environment */
    assert_string_equal(sipc_home_resolve("/opt/x"), "/opt/x");

    setenv("SIPC_HOME", "", 1); /* empty counts as unset */
    assert_string_equal(sipc_home_resolve(NULL), "/var/lib/sipc");

    /* sipc_config_load follows the same rule */
    char *home = make_home();
    write_conf(home, "[cluster]\nname = from-env\n");
    setenv("SIPC_HOME", home, 1);
    sipc_config cfg;
    char err[512] = "";
    assert_int_equal(sipc_config_load(&cfg, NULL, err, sizeof err), 0);
    assert_string_equal(cfg.home, home);
    assert_string_equal(cfg.cluster, "from-env");
    /* and sipc_config_set */
    assert_int_equal(sipc_config_set(NULL, "cluster", "name", "set-env", err, sizeof err), 0);
    assert_int_equal(sipc_config_load(&cfg, home, err, sizeof err), 0);
    assert_string_equal(cfg.cluster, "set-env");

    if (saved) {
        setenv("SIPC_HOME", saved, 1);
        free(saved);
    } else {
        unsetenv("SIPC_HOME");
    }
    rm_home(home);
}

/* A home that is not there is refused with the words the tools use, not
 * read as one without sipc.conf (every default, TLS off); a program that
 * makes the home, or a client that needs none, asks for the defaults. */
static void test_missing_home(void **state)
{
    (void)state;
    char *saved = getenv("SIPC_HOME") ? strdup(getenv("SIPC_HOME")) : NULL;
    char *home = make_home();
    char gone[700], file[700], err[1024] = "";
    snprintf(gone, sizeof gone, "%s/no-such-home", home);
    snprintf(file, sizeof file, "%s/sipc.conf", home);
    write_conf(home, "[cluster]\nname = here\n");
    sipc_config cfg;
    static const char fix[] = ": give the node's home, the directory holding sipc.conf and "
                              "security/, with --home DIR or SIPC_HOME";
    char want[1600];

    assert_int_equal(sipc_config_load(&cfg, gone, err, sizeof err), SIPC_ECONFIG);
    snprintf(want, sizeof want, "node home %s does not exist%s", gone, fix);
    assert_string_equal(err, want);
    /* a file where the home should be */
    assert_int_equal(sipc_config_load(&cfg, file, err, sizeof err), SIPC_ECONFIG);
    snprintf(want, sizeof want, "node home %s is not a directory%s", file, fix);
    assert_string_equal(err, want);
    /* below a file: not a bare "Not a directory" after the name */
    char under[760];
    snprintf(under, sizeof under, "%s/home", file);
    assert_int_equal(sipc_config_load(&cfg, under, err, sizeof err), SIPC_ECONFIG);
    snprintf(want, sizeof want,
             "node home %s does not exist (a part of its path is a file)%s", under, fix);
    assert_string_equal(err, want);
    assert_int_equal(sipc_config_load_or_defaults(&cfg, under, err, sizeof err), SIPC_ECONFIG);
    assert_string_equal(err, want);
    /* where it came from, when the library knows */
    setenv("SIPC_HOME", gone, 1);
    assert_int_equal(sipc_config_load(&cfg, NULL, err, sizeof err), SIPC_ECONFIG);
    snprintf(want, sizeof want, "node home %s does not exist ($SIPC_HOME)%s", gone, fix);
    assert_string_equal(err, want);
    assert_int_equal(sipc_home_check(gone, "-H", err, sizeof err), SIPC_ECONFIG);
    snprintf(want, sizeof want, "node home %s does not exist (-H)%s", gone, fix);
    assert_string_equal(err, want);
    unsetenv("SIPC_HOME");
    assert_int_equal(sipc_home_check(home, "--home", err, sizeof err), 0);
    assert_int_equal(sipc_home_check(file, NULL, NULL, 0), SIPC_ECONFIG);

    /* the defaults for a home not made yet; not for one that is a file */
    assert_int_equal(sipc_config_load_or_defaults(&cfg, gone, err, sizeof err), 0);
    assert_string_equal(cfg.home, gone);
    assert_string_equal(cfg.cluster, "sipc");
    assert_int_equal(cfg.tls_enable, 0);
    assert_int_equal(sipc_config_load_or_defaults(&cfg, file, err, sizeof err), SIPC_ECONFIG);
    /* an existing home is read as before by both */
    assert_int_equal(sipc_config_load_or_defaults(&cfg, home, err, sizeof err), 0);
    assert_string_equal(cfg.cluster, "here");
    assert_int_equal(sipc_config_load(&cfg, home, err, sizeof err), 0);

    if (saved) {
        setenv("SIPC_HOME", saved, 1);
        free(saved);
    }
    rm_home(home);
}

static void test_mode_names(void **state)
{
    (void)state;
    assert_string_equal(sipc_tls_mode_name(SIPC_TLS_OFF), "off");
    assert_string_equal(sipc_tls_mode_name(SIPC_TLS_STRICT), "strict");
    assert_string_equal(sipc_tls_mode_name(SIPC_TLS_PERMISSIVE), "permissive");
    sipc_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.tls_mode = SIPC_TLS_PERMISSIVE;
    assert_int_equal(sipc_config_effective_mode(&cfg), SIPC_TLS_OFF);
    cfg.tls_enable = 1;
    assert_int_equal(sipc_config_effective_mode(&cfg), SIPC_TLS_PERMISSIVE);
}

/* ADDRESS[:PORT] as sipcctl and tlstool check read it */
static void test_service_settings(void **state)
{
    (void)state;
    char *home = make_home();
    sipc_config cfg;
    char err[1024];
    assert_int_equal(load_text(home, "[node]\nid = n1\n", &cfg, err, sizeof err), 0);
    /* an acknowledged record is on disk unless the operator opts out */
    assert_int_equal(cfg.data_sync, SIPC_SYNC_FULL);
    assert_int_equal(cfg.pipeline_tls, -1);
    assert_string_equal(cfg.metrics_address, "");
    assert_int_equal(load_text(home,
                               "[data]\nsync = normal\nport = 24000\n[pipeline]\ntls = 1\n"
                               "[metrics]\naddress = 127.0.0.1:9323\n",
                               &cfg, err, sizeof err),
                     0);
    assert_int_equal(cfg.data_sync, SIPC_SYNC_NORMAL);
    assert_int_equal(cfg.pipeline_tls, 1);
    assert_string_equal(cfg.metrics_address, "127.0.0.1:9323");
    assert_int_equal(sipc_config_port(&cfg, "data"), 24000);
    /* [metrics] is not a service: it adds no listener */
    assert_int_equal(sipc_config_port(&cfg, "metrics"), 0);
    for (int i = 0; i < cfg.nservices; i++)
        assert_string_not_equal(cfg.services[i].name, "metrics");
    expect_error(home, "[data]\nsync = always\n", 2, "[data] sync must be normal or full");
    expect_error(home, "[pipeline]\ntls = maybe\n", 2, "[pipeline] tls must be 0 or 1");
    expect_error(home, "[metrics]\naddress = nowhere\n", 2, "[metrics] address must be host:port");
    expect_error(home, "[metrics]\nport = 9323\n", 2, "unknown setting [metrics] port");
    assert_int_equal(load_text(home, "[limits]\nmax_connections = 100\nmax_opening = 10\n", &cfg,
                               err, sizeof err),
                     0);
    sipc_options o;
    sipc_options_from_config(&o, &cfg);
    assert_int_equal(o.max_connections, 100);
    assert_int_equal(o.max_opening, 10);
    /* per source address: unset, the server derives it from max_connections */
    assert_int_equal(o.max_connections_per_host, 0);
    expect_error(home, "[limits]\nmax_opening = 0\n", 2, "[limits] max_opening must be a number");
    assert_int_equal(load_text(home, "[limits]\nmax_connections_per_host = 500\n", &cfg, err,
                               sizeof err),
                     0);
    sipc_options_from_config(&o, &cfg);
    assert_int_equal(o.max_connections_per_host, 500);
    expect_error(home, "[limits]\nmax_connections_per_host = 0\n", 2,
                 "[limits] max_connections_per_host must be a number from 1 to 1000000");
    /* the links' redial cap: default 1 s, configurable within bounds */
    assert_int_equal(o.reconnect_max_ms, 1000);
    assert_int_equal(load_text(home, "[limits]\nreconnect_max_ms = 2000\n", &cfg, err, sizeof err), 0);
    sipc_options_from_config(&o, &cfg);
    assert_int_equal(o.reconnect_max_ms, 2000);
    expect_error(home, "[limits]\nreconnect_max_ms = 50\n", 2,
                 "[limits] reconnect_max_ms must be a number of ms from 100 to 60000");
    expect_error(home, "[limits]\nreconnect_max_ms = 60001\n", 2, "[limits] reconnect_max_ms must be");
    /* keepalive and idle: the library's defaults unless set */
    assert_int_equal(o.keepalive_ms, 15000);
    assert_int_equal(o.keepalive_timeout_ms, 10000);
    assert_int_equal(o.idle_timeout_ms, 60000);
    assert_int_equal(load_text(home,
                               "[limits]\nkeepalive_ms = 500\nkeepalive_timeout_ms = 700\n"
                               "idle_timeout_ms = 9000\n",
                               &cfg, err, sizeof err),
                     0);
    sipc_options_from_config(&o, &cfg);
    assert_int_equal(o.keepalive_ms, 500);
    assert_int_equal(o.keepalive_timeout_ms, 700);
    assert_int_equal(o.idle_timeout_ms, 9000);
    expect_error(home, "[limits]\nkeepalive_timeout_ms = 50\n", 2,
                 "[limits] keepalive_timeout_ms must be 0 (off) or a number of ms from 100 to "
                 "86400000");
    expect_error(home, "[limits]\nkeepalive_ms = 10s\n", 2, "[limits] keepalive_ms must be");
    expect_error(home, "[limits]\nidle_timeout_ms = -0\n", 2, "[limits] idle_timeout_ms must be");
    /* 0 is off, as in sipc_options; the field tells it from "not set" */
    assert_int_equal(load_text(home, "[limits]\nkeepalive_ms = 0\nkeepalive_timeout_ms = 0\n",
                               &cfg, err, sizeof err),
                     0);
    assert_int_equal(cfg.keepalive_ms, SIPC_CONFIG_OFF);
    assert_int_equal(cfg.keepalive_timeout_ms, SIPC_CONFIG_OFF);
    assert_int_equal(cfg.idle_timeout_ms, 0);
    sipc_options_from_config(&o, &cfg);
    assert_int_equal(o.keepalive_ms, 0);
    assert_int_equal(o.keepalive_timeout_ms, 0);
    assert_int_equal(o.idle_timeout_ms, 60000);
    assert_int_equal(load_text(home, "[limits]\nidle_timeout_ms = 0\n", &cfg, err, sizeof err), 0);
    sipc_options_from_config(&o, &cfg);
    assert_int_equal(o.idle_timeout_ms, 0);
    assert_int_equal(o.keepalive_ms, 15000);
    /* pings that come no sooner than the idle close keep nothing open: refused
     * where the later of the two is set, defaults included */
    expect_error(home, "[limits]\nkeepalive_ms = 20000\n\nidle_timeout_ms = 20000\n", 4,
                 "[limits] keepalive_ms (20000) is not below [limits] idle_timeout_ms (20000)");
    expect_error(home, "[limits]\nidle_timeout_ms = 10000\nkeepalive_ms = 30000\n", 3,
                 "is not below");
    expect_error(home, "[limits]\nidle_timeout_ms = 10000\n", 2,
                 "[limits] keepalive_ms (15000) is not below [limits] idle_timeout_ms (10000)");
    expect_error(home, "[limits]\nkeepalive_ms = 60000\n", 2, "keepalive_ms 0 (keepalive off)");
    /* with the PINGs off an idle close that short is what was asked for */
    assert_int_equal(load_text(home, "[limits]\nidle_timeout_ms = 10000\nkeepalive_ms = 0\n",
                               &cfg, err, sizeof err),
                     0);
    /* only warned of (sipc_ctx_new logs it): a PING unanswered for longer than
     * the idle timeout leaves, a keepalive timeout longer than keepalive_ms,
     * both off with no idle close */
    char note[600], want[900];
    assert_int_equal(load_text(home, "[limits]\nidle_timeout_ms = 20000\n", &cfg, err, sizeof err),
                     0);
    /* ... and said by sipc_config_timeouts_note with the keys and the line */
    assert_int_equal(sipc_config_timeouts_note(&cfg, note, sizeof note), 1);
    snprintf(want, sizeof want,
             "%s/sipc.conf:2: [limits] keepalive_ms + [limits] keepalive_timeout_ms (15000 + "
             "10000) is not below [limits] idle_timeout_ms (20000): an unanswered PING is "
             "closed as idle (SIPC_EIDLE) 5000 ms after it went",
             home);
    if (strncmp(note, want, strlen(want)))
        fail_msg("note '%s', not '%s...'", note, want);
    assert_int_equal(load_text(home, "[limits]\nkeepalive_ms = 1000\nkeepalive_timeout_ms = 4000\n",
                               &cfg, err, sizeof err),
                     0);
    assert_int_equal(sipc_config_timeouts_note(&cfg, note, sizeof note), 0);
    assert_string_equal(note, "");
    assert_int_equal(load_text(home, "[limits]\nkeepalive_ms = 0\n\nidle_timeout_ms = 0\n", &cfg,
                               err, sizeof err),
                     0);
    assert_int_equal(sipc_config_timeouts_note(&cfg, note, sizeof note), 1);
    snprintf(want, sizeof want,
             "%s/sipc.conf:4: [limits] idle_timeout_ms and [limits] keepalive_ms are 0: nothing "
             "closes a connection whose peer went silent",
             home);
    if (strncmp(note, want, strlen(want)))
        fail_msg("note '%s', not '%s...'", note, want);
    /* a keepalive timeout set with keepalive off times nothing: said, at the
     * later of the two lines; left at its default, or 0, it is no choice */
    assert_int_equal(load_text(home, "[limits]\nkeepalive_timeout_ms = 20000\n\nkeepalive_ms = 0\n",
                               &cfg, err, sizeof err),
                     0);
    assert_int_equal(sipc_config_timeouts_note(&cfg, note, sizeof note), 1);
    snprintf(want, sizeof want,
             "%s/sipc.conf:4: [limits] keepalive_timeout_ms (20000) is set while [limits] "
             "keepalive_ms is 0 (keepalive off): no PING awaits an answer, so a silent peer is "
             "closed only by idle_timeout_ms; it only sets how often PINGs go while reading is "
             "held back",
             home);
    if (strncmp(note, want, strlen(want)))
        fail_msg("note '%s', not '%s...'", note, want);
    assert_int_equal(load_text(home, "[limits]\nkeepalive_ms = 0\n", &cfg, err, sizeof err), 0);
    assert_int_equal(sipc_config_timeouts_note(&cfg, note, sizeof note), 0);
    assert_int_equal(load_text(home, "[limits]\nkeepalive_ms = 0\nkeepalive_timeout_ms = 0\n", &cfg,
                               err, sizeof err),
                     0);
    assert_int_equal(sipc_config_timeouts_note(&cfg, note, sizeof note), 0);
    assert_int_equal(load_text(home, "[limits]\nkeepalive_ms = 0\n\nidle_timeout_ms = 0\n", &cfg,
                               err, sizeof err),
                     0);
    assert_int_equal(sipc_config_timeouts_note(&cfg, NULL, 0), 1);
    assert_int_equal(sipc_config_timeouts_note(NULL, note, sizeof note), 0);
    /* the combination sipc_config_load refuses, in a sipc_config a program
       filled or changed itself: said too, as -1 */
    assert_int_equal(load_text(home, "[limits]\nidle_timeout_ms = 30000\n", &cfg, err, sizeof err),
                     0);
    cfg.idle_timeout_ms = 10000;
    assert_int_equal(sipc_config_timeouts_note(&cfg, note, sizeof note), -1);
    snprintf(want, sizeof want,
             "%s/sipc.conf:2: [limits] keepalive_ms (15000) is not below [limits] "
             "idle_timeout_ms (10000): every connection quiet",
             home);
    if (strncmp(note, want, strlen(want)))
        fail_msg("note '%s', not '%s...'", note, want);
    assert_int_equal(load_text(home,
                               "[limits]\nmax_write_queue = 1048576\n"
                               "max_write_queue_total = 8388608\n",
                               &cfg, err, sizeof err),
                     0);
    sipc_options_from_config(&o, &cfg);
    assert_int_equal(o.max_write_queue, 1048576);
    assert_int_equal(o.max_write_queue_total, 8388608);
    assert_int_equal(load_text(home, "[limits]\nmax_frame = 1048576\n", &cfg, err, sizeof err), 0);
    sipc_options_from_config(&o, &cfg);
    assert_int_equal(o.max_write_queue, 64u << 20); /* unset: the library's defaults */
    assert_int_equal(o.max_write_queue_total, 256u << 20);
    expect_error(home, "[limits]\nmax_write_queue_total = 64M\n", 2,
                 "[limits] max_write_queue_total must be a byte count");
    expect_error(home, "[limits]\nmax_write_queue = 100\n", 2,
                 "[limits] max_write_queue must be a byte count");
    /* the input's counterpart: default 256 MiB, never below max_frame, whichever
       key comes first */
    assert_int_equal(o.max_read_buffer_total, 256u << 20);
    assert_int_equal(load_text(home, "[limits]\nmax_read_buffer_total = 33554432\n", &cfg, err,
                               sizeof err),
                     0);
    sipc_options_from_config(&o, &cfg);
    assert_int_equal(o.max_read_buffer_total, 33554432);
    expect_error(home, "[limits]\nmax_read_buffer_total = 1k\n", 2,
                 "[limits] max_read_buffer_total must be a byte count");
    assert_int_equal(load_text(home, "[limits]\nmax_read_buffer_total = 8388608\n", &cfg, err,
                               sizeof err),
                     SIPC_ECONFIG);
    assert_non_null(strstr(err, "max_read_buffer_total (8388608) must be at least max_frame (16777216)"));
    assert_int_equal(load_text(home,
                               "[limits]\nmax_read_buffer_total = 1048576\nmax_frame = 1048576\n",
                               &cfg, err, sizeof err),
                     0);
    rm_home(home);
}

/* [data] writes_slow_ms: 2000 by default (the data service's), read in
 * its range, which is the data service's own (sipcd hands it on as it
 * is), and refused outside it with the key and the range. */
static void test_writes_slow_ms(void **state)
{
    (void)state;
    char *home = make_home();
    sipc_config cfg;
    char err[1024];
    assert_int_equal(load_text(home, "[node]\nid = n1\n", &cfg, err, sizeof err), 0);
    assert_int_equal(cfg.data_writes_slow_ms, SIPC_DATA_WRITES_SLOW_MS);
    assert_int_equal(cfg.data_writes_slow_ms, 2000);
    assert_int_equal(load_text(home, "[data]\nwrites_slow_ms = 30000\nport = 24000\n", &cfg, err,
                               sizeof err),
                     0);
    assert_int_equal(cfg.data_writes_slow_ms, 30000);
    assert_int_equal(sipc_config_port(&cfg, "data"), 24000);
    char text[128];
    snprintf(text, sizeof text, "[data]\nwrites_slow_ms = %d\n", SIPC_DATA_WRITES_SLOW_MIN_MS);
    assert_int_equal(load_text(home, text, &cfg, err, sizeof err), 0);
    assert_int_equal(cfg.data_writes_slow_ms, SIPC_DATA_WRITES_SLOW_MIN_MS);
    snprintf(text, sizeof text, "[data]\nwrites_slow_ms = %d\n", SIPC_DATA_WRITES_SLOW_MAX_MS);
    assert_int_equal(load_text(home, text, &cfg, err, sizeof err), 0);
    assert_int_equal(cfg.data_writes_slow_ms, SIPC_DATA_WRITES_SLOW_MAX_MS);
    static const char want[] =
        "[data] writes_slow_ms must be a number of ms from 100 to 600000, not '";
    snprintf(text, sizeof text, "[data]\nwrites_slow_ms = %d\n", SIPC_DATA_WRITES_SLOW_MIN_MS - 1);
    expect_error(home, text, 2, want);
    snprintf(text, sizeof text, "[data]\nwrites_slow_ms = %d\n", SIPC_DATA_WRITES_SLOW_MAX_MS + 1);
    expect_error(home, text, 2, want);
    expect_error(home, "[data]\nwrites_slow_ms = 0\n", 2, want);
    expect_error(home, "[data]\nwrites_slow_ms = -1\n", 2, want);
    expect_error(home, "[data]\nwrites_slow_ms = 2s\n", 2, "not '2s'");
    expect_error(home, "[data]\nsync = full\nwrites_slow_ms =\n", 3,
                 "[data] writes_slow_ms is empty: remove the line for the default (2000)");
    expect_error(home, "[data]\nwrite_slow_ms = 5000\n", 2,
                 "unknown setting [data] write_slow_ms; did you mean `writes_slow_ms`?");
    rm_home(home);
}

/* [data] max_attributes and [search] max_local_ms: the services' defaults
 * (64, 60000) when unset, read in their ranges (max_attributes the data
 * service's own, up to SIPC_DATA_MAX_ATTRIBUTES), refused outside them
 * with the key, the range and the value. */
static void test_service_limits(void **state)
{
    (void)state;
    char *home = make_home();
    sipc_config cfg;
    char err[1024];
    assert_int_equal(load_text(home, "[node]\nid = n1\n", &cfg, err, sizeof err), 0);
    assert_int_equal(cfg.data_max_attributes, 64);
    assert_int_equal(cfg.search_max_local_ms, 60000);
    char text[160];
    snprintf(text, sizeof text, "[data]\nmax_attributes = %d\n[search]\nmax_local_ms = 100\n",
             SIPC_DATA_MAX_ATTRIBUTES);
    assert_int_equal(load_text(home, text, &cfg, err, sizeof err), 0);
    assert_int_equal(cfg.data_max_attributes, SIPC_DATA_MAX_ATTRIBUTES);
    assert_int_equal(cfg.search_max_local_ms, 100);
    assert_int_equal(load_text(home, "[data]\nmax_attributes = 1\n[search]\nmax_local_ms = 3600000\n",
                               &cfg, err, sizeof err),
                     0);
    assert_int_equal(cfg.data_max_attributes, 1);
    assert_int_equal(cfg.search_max_local_ms, 3600000);
    static const char attrs[] = "[data] max_attributes must be a number from 1 to 16000, not '";
    snprintf(text, sizeof text, "[data]\nmax_attributes = %d\n", SIPC_DATA_MAX_ATTRIBUTES + 1);
    expect_error(home, text, 2, attrs);
    expect_error(home, "[data]\nmax_attributes = 0\n", 2, attrs);
    expect_error(home, "[data]\nmax_attributes = -5\n", 2, "not '-5'");
    static const char local[] =
        "[search] max_local_ms must be a number of ms from 100 to 3600000, not '";
    expect_error(home, "[search]\nmax_local_ms = 99\n", 2, local);
    expect_error(home, "[search]\nmax_local_ms = 3600001\n", 2, local);
    expect_error(home, "[search]\nmax_local_ms = 1m\n", 2, "not '1m'");
    expect_error(home, "[search]\nmax_locl_ms = 5000\n", 2,
                 "unknown setting [search] max_locl_ms; did you mean `max_local_ms`?");
    rm_home(home);
}

/* [logs] max_file_size: the logger's own default (256 MiB) when unset, read
 * from the floor to the ceiling node.h names, and refused outside them or
 * as anything but a byte count, in the words every byte count of sipc.conf
 * is refused in: the key, the bounds and the value. */
static void test_log_max_file_size(void **state)
{
    (void)state;
    char *home = make_home();
    sipc_config cfg;
    char err[1024];
    assert_int_equal(load_text(home, "[node]\nid = n1\n", &cfg, err, sizeof err), 0);
    assert_int_equal(cfg.log_max_file_size, SIPC_LOG_FILE_CAP_DEFAULT);
    assert_int_equal(cfg.log_max_file_size, 256ull << 20);
    assert_int_equal(load_text(home, "[logs]\nmax_file_size = 1048576\n", &cfg, err, sizeof err),
                     0);
    assert_int_equal(cfg.log_max_file_size, 1048576);
    char text[128];
    snprintf(text, sizeof text, "[logs]\nmax_file_size = %llu\n", SIPC_LOG_FILE_CAP_MIN);
    assert_int_equal(load_text(home, text, &cfg, err, sizeof err), 0);
    assert_int_equal(cfg.log_max_file_size, 65536);
    snprintf(text, sizeof text, "[logs]\nmax_file_size = %llu\n", SIPC_LOG_FILE_CAP_MAX);
    assert_int_equal(load_text(home, text, &cfg, err, sizeof err), 0);
    assert_int_equal(cfg.log_max_file_size, 68719476736ull);
    expect_error(home, "[logs]\nmax_file_size = 65535\n", 2,
                 "[logs] max_file_size must be a byte count from 65536 to 68719476736, not "
                 "'65535'");
    expect_error(home, "[logs]\nmax_file_size = 68719476737\n", 2,
                 "[logs] max_file_size must be a byte count from 65536 to 68719476736, not "
                 "'68719476737'");
    expect_error(home, "\n[logs]\nmax_file_size = 0\n", 3, "not '0'");
    expect_error(home, "[logs]\nmax_file_size = -1\n", 2, "not '-1'");
    expect_error(home, "[logs]\nmax_file_size = 64M\n", 2, "not '64M'");
    expect_error(home, "[logs]\nmax_file_size = 99999999999999999999999\n", 2,
                 "to 68719476736, not '99999999999999999999999'");
    /* the same reader and words as [limits]' byte counts */
    expect_error(home, "[limits]\nmax_frame = 100\n", 2,
                 "[limits] max_frame must be a byte count from 1024 to 268435456, not '100'");
    expect_error(home, "[logs]\nmax_file_sise = 65536\n", 2,
                 "unknown setting [logs] max_file_sise; did you mean `max_file_size`?");
    expect_error(home, "[log]\nmax_file_size = 65536\n", 2,
                 "did you mean `[logs] max_file_size`?");
    /* [logs] is no service: it has no port */
    expect_error(home, "[logs]\nport = 23010\n", 2, "unknown setting [logs] port");
    rm_home(home);
}

static void test_nodes_default_to_data_port(void **state)
{
    (void)state;
    char *home = make_home();
    sipc_config cfg;
    char err[1024];
    /* the data port may come after [cluster]: nodes without a port use it */
    assert_int_equal(load_text(home,
                               "[cluster]\nnodes = 127.0.0.2, 127.0.0.3:24999, [::1]\n"
                               "[data]\nport = 24000\n",
                               &cfg, err, sizeof err),
                     0);
    char host[160];
    int port;
    assert_int_equal(sipc_config_node(&cfg, 0, host, sizeof host, &port), 0);
    assert_string_equal(host, "127.0.0.2");
    assert_int_equal(port, 24000);
    assert_int_equal(sipc_config_node(&cfg, 1, host, sizeof host, &port), 0);
    assert_int_equal(port, 24999);
    assert_int_equal(sipc_config_node(&cfg, 2, host, sizeof host, &port), 0);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 24000);
    assert_int_equal(sipc_config_node(&cfg, 3, host, sizeof host, &port), SIPC_EINVAL);
    /* another node's services: at the same offsets from its data port */
    assert_int_equal(sipc_config_node_service(&cfg, 0, "management", host, sizeof host, &port), 0);
    assert_string_equal(host, "127.0.0.2");
    assert_int_equal(port, 23002); /* no port given: this node's management port */
    /* a host of its own: the same ports, whatever its data port */
    assert_int_equal(sipc_config_node_service(&cfg, 1, "management", host, sizeof host, &port), 0);
    assert_int_equal(port, 23002);
    assert_int_equal(sipc_config_node_service(&cfg, 3, "search", host, sizeof host, &port),
                     SIPC_EINVAL);
    /* nodes sharing a host: at the offsets of their data ports */
    assert_int_equal(load_text(home,
                               "[cluster]\nnodes = [::1]:33710, [::1]:33720, 127.0.0.9:33730\n"
                               "[data]\nport = 33710\n[management]\nport = 33712\n",
                               &cfg, err, sizeof err),
                     0);
    assert_int_equal(sipc_config_node_service(&cfg, 0, "management", host, sizeof host, &port), 0);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 33712);
    assert_int_equal(sipc_config_node_service(&cfg, 1, "management", host, sizeof host, &port), 0);
    assert_int_equal(port, 33722);
    assert_int_equal(sipc_config_node_service(&cfg, 1, "search", host, sizeof host, &port), 0);
    assert_int_equal(port, 33720 - 33710 + 23001);
    assert_int_equal(sipc_config_node_service(&cfg, 2, "management", host, sizeof host, &port), 0);
    assert_int_equal(port, 33712); /* 127.0.0.9 has its host to itself */
    /* one host written two ways is shared all the same */
    assert_int_equal(load_text(home, "[cluster]\nnodes = [fd00::2]:33710, [fd00:0::2]:33720\n",
                               &cfg, err, sizeof err),
                     0);
    assert_int_equal(sipc_config_node_service(&cfg, 1, "management", host, sizeof host, &port), 0);
    assert_int_equal(port, 33720 - 23000 + 23002);
    assert_true(sipc_same_host("fd00::2", "fd00:0::2") && sipc_same_host("10.0.0.1", "10.0.0.1"));
    assert_true(sipc_same_host("Node-A", "node-a") && !sipc_same_host("10.0.0.1", "10.0.0.2"));
    assert_false(sipc_same_host("::1", "127.0.0.1"));
    /* localhost and an IPv4-mapped address are where a dial to them goes, as
     * sipc_config_node_is_self takes them: a host shared by every spelling */
    assert_true(sipc_same_host("localhost", "127.0.0.1") &&
                sipc_same_host("127.0.0.1", "LocalHost"));
    assert_true(sipc_same_host("::ffff:127.0.0.1", "127.0.0.1") &&
                sipc_same_host("[::ffff:127.0.0.1]", "localhost"));
    assert_false(sipc_same_host("localhost", "127.0.0.2") ||
                 sipc_same_host("::ffff:127.0.0.1", "::1") || sipc_same_host("localhost", "::1"));
    assert_int_equal(load_text(home,
                               "[node]\naddress = 127.0.0.1\n[cluster]\nnodes = localhost:23000, "
                               "127.0.0.1:23100, [::ffff:127.0.0.1]:23200, LOCALHOST:23300\n"
                               "[data]\nport = 23000\n[management]\nport = 23003\n"
                               "[pipeline]\nport = 23004\n",
                               &cfg, err, sizeof err),
                     0);
    assert_true(sipc_config_node_is_self(&cfg, 0));
    for (int i = 1; i < 4; i++) {
        assert_false(sipc_config_node_is_self(&cfg, i));
        assert_int_equal(sipc_config_node_service(&cfg, i, "management", host, sizeof host, &port),
                         0);
        assert_int_equal(port, 23003 + 100 * i); /* never this node's own 23003 */
    }
    /* a [node] address may be bracketed, as the listeners take it */
    assert_true(sipc_same_host("fd00::2", "[fd00::2]") && sipc_same_host("[fd00:0::2]", "fd00::2"));
    assert_false(sipc_same_host("[fd00::2]", "fd00::3") || sipc_same_host("[::1]", "127.0.0.1"));
    /* one test of a wildcard, for every spelling a listener takes */
    assert_true(sipc_address_is_wildcard("0.0.0.0") && sipc_address_is_wildcard("::"));
    assert_true(sipc_address_is_wildcard("0::0") && sipc_address_is_wildcard("[::]"));
    assert_false(sipc_address_is_wildcard("127.0.0.1") || sipc_address_is_wildcard("[::1]"));
    assert_false(sipc_address_is_wildcard("localhost") || sipc_address_is_wildcard("") ||
                 sipc_address_is_wildcard("[]") || sipc_address_is_wildcard("[0.0.0.0]"));
    /* this node's own entry: its address (as an address) and its data port */
    assert_int_equal(load_text(home,
                               "[node]\naddress = fd00::2\n[cluster]\nnodes = [fd00:0::2]:33710, "
                               "[fd00::2]:33720, [fd00::3]:33710, fd00::4\n[data]\nport = 33710\n",
                               &cfg, err, sizeof err),
                     0);
    assert_true(sipc_config_node_is_self(&cfg, 0));
    assert_false(sipc_config_node_is_self(&cfg, 1)); /* another port */
    assert_false(sipc_config_node_is_self(&cfg, 2)); /* another host */
    assert_false(sipc_config_node_is_self(&cfg, 4) || sipc_config_node_is_self(&cfg, -1));
    /* no port: the data port (one node listed once, so an entry of its own) */
    snprintf(cfg.nodes[3], sizeof cfg.nodes[3], "fd00::2");
    assert_true(sipc_config_node_is_self(&cfg, 3));
    snprintf(cfg.address, sizeof cfg.address, "[fd00::2]"); /* bracketed: still itself */
    assert_true(sipc_config_node_is_self(&cfg, 0) && sipc_config_node_is_self(&cfg, 3));
    assert_false(sipc_config_node_is_self(&cfg, 2));
    /* the source of a node's own dials: one specific address, no wildcard */
    static const struct {
        const char *address;
        int used;
    } src[] = {{"127.0.78.2", 1}, {"::1", 1},  {"[::1]", 1},         {"localhost", 1},
               {"0.0.0.0", 0},    {"::", 0},   {"0::0", 0},          {"[::]", 0},
               {"", 0},           {"[]", 0},   {"node1.example", 0}, {"[127.0.0.1]", 0}};
    for (size_t i = 0; i < sizeof src / sizeof src[0]; i++) {
        snprintf(cfg.address, sizeof cfg.address, "%s", src[i].address);
        const char *a = sipc_config_source_address(&cfg);
        assert_true(src[i].used ? a && !strcmp(a, src[i].address) : a == NULL);
    }
    char where[300];
    cfg.subject_line = 7;
    assert_string_equal(sipc_config_where(&cfg, cfg.subject_line, where, sizeof where),
                        strcat(strcpy((char[300]){0}, cfg.home), "/sipc.conf line 7"));
    assert_string_equal(sipc_config_where(&cfg, 0, where, sizeof where),
                        strcat(strcpy((char[300]){0}, cfg.home), "/sipc.conf"));
    /* an offset that leaves the port range: this node's port */
    assert_int_equal(load_text(home,
                               "[cluster]\nnodes = [::1]:65535, [::1]:1\n[data]\nport = 100\n",
                               &cfg, err, sizeof err),
                     0);
    assert_int_equal(sipc_config_node_service(&cfg, 0, "management", host, sizeof host, &port), 0);
    assert_int_equal(port, 23002);
    assert_int_equal(load_text(home, "[cluster]\nnodes = 127.0.0.2\n", &cfg, err, sizeof err), 0);
    assert_int_equal(sipc_config_node(&cfg, 0, host, sizeof host, &port), 0);
    assert_int_equal(port, 23000);
    /* a bad entry is refused when the file is loaded, naming it */
    assert_int_equal(load_text(home, "[cluster]\nnodes = 127.0.0.2:http\n", &cfg, err, sizeof err),
                     SIPC_ECONFIG);
    assert_non_null(strstr(err, "'127.0.0.2:http' is not host[:port]"));
    rm_home(home);
}

/* A node listening on a wildcard (0.0.0.0, ::) knows its own [cluster] nodes
 * entry by the data port and a host that is one of this machine's addresses
 * (loopback: 127.0.77.x, localhost, an IPv4-mapped one; an interface's), else
 * it links to itself and counts itself twice. Nothing listens here: only the
 * decision is tested. */
static void test_wildcard_self(void **state)
{
    (void)state;
    char *home = make_home();
    sipc_config cfg;
    char err[512];
    static const char nodes[] = "[cluster]\nnodes = 127.0.77.1:33710, 127.0.77.2:33720, "
                                "192.0.2.1:33710, [::1]:33710, node-a.example:33710, 127.0.77.3, "
                                "[::ffff:127.0.77.4]:33710,\n  localhost:33710, LocalHost:33720, "
                                "[::ffff:198.51.100.1]:33710, [::ffff:127.0.84.1]:33720\n"
                                "[data]\nport = 33710\n";
    char text[700];
    snprintf(text, sizeof text, "[node]\naddress = 0.0.0.0\n%s", nodes);
    assert_int_equal(load_text(home, text, &cfg, err, sizeof err), 0);
    assert_true(sipc_config_node_is_self(&cfg, 0));  /* loopback, the data port */
    assert_false(sipc_config_node_is_self(&cfg, 1)); /* another port: a node beside it */
    assert_false(sipc_config_node_is_self(&cfg, 2)); /* not this machine's (TEST-NET-1) */
    assert_false(sipc_config_node_is_self(&cfg, 3)); /* IPv6: not on an IPv4 listener */
    assert_false(sipc_config_node_is_self(&cfg, 4)); /* a name: never resolved */
    assert_true(sipc_config_node_is_self(&cfg, 5));  /* no port: the data port */
    assert_true(sipc_config_node_is_self(&cfg, 6));  /* IPv4-mapped: where it goes, IPv4 */
    assert_true(sipc_config_node_is_self(&cfg, 7));  /* localhost: 127.0.0.1 */
    assert_false(sipc_config_node_is_self(&cfg, 8) || sipc_config_node_is_self(&cfg, 9) ||
                 sipc_config_node_is_self(&cfg, 10)); /* another port; not this machine's */
    for (const char *const *a = (const char *const[]){"::", "[::]", "0::0", NULL}; *a; a++) {
        /* ::, as libuv binds it, takes IPv4 too */
        snprintf(cfg.address, sizeof cfg.address, "%s", *a);
        assert_true(sipc_config_node_is_self(&cfg, 0) && sipc_config_node_is_self(&cfg, 3));
        assert_true(sipc_config_node_is_self(&cfg, 6)); /* IPv4-mapped loopback */
        assert_true(sipc_config_node_is_self(&cfg, 7));
        assert_false(sipc_config_node_is_self(&cfg, 1) || sipc_config_node_is_self(&cfg, 2) ||
                     sipc_config_node_is_self(&cfg, 4) || sipc_config_node_is_self(&cfg, 8) ||
                     sipc_config_node_is_self(&cfg, 9) || sipc_config_node_is_self(&cfg, 10));
    }
    /* an address of one of this machine's interfaces, if it has one */
    struct ifaddrs *ifs;
    assert_int_equal(getifaddrs(&ifs), 0);
    for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
            continue;
        char ip[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, ip, sizeof ip);
        snprintf(cfg.nodes[0], sizeof cfg.nodes[0], "%s:33710", ip);
        snprintf(cfg.address, sizeof cfg.address, "0.0.0.0");
        assert_true(sipc_config_node_is_self(&cfg, 0));
    }
    freeifaddrs(ifs);
    /* a named address is still compared as itself: another local one is not it */
    snprintf(text, sizeof text, "[node]\naddress = 127.0.77.2\n%s", nodes);
    assert_int_equal(load_text(home, text, &cfg, err, sizeof err), 0);
    assert_false(sipc_config_node_is_self(&cfg, 0) || sipc_config_node_is_self(&cfg, 1));
    assert_false(sipc_config_node_is_self(&cfg, 6) || sipc_config_node_is_self(&cfg, 7));
    /* ... as the address a dial to it reaches: mapped as IPv4, localhost as 127.0.0.1 */
    snprintf(cfg.address, sizeof cfg.address, "127.0.77.4");
    assert_true(sipc_config_node_is_self(&cfg, 6));
    snprintf(cfg.address, sizeof cfg.address, "[::ffff:127.0.77.4]");
    assert_true(sipc_config_node_is_self(&cfg, 6) && !sipc_config_node_is_self(&cfg, 0));
    snprintf(cfg.address, sizeof cfg.address, "127.0.0.1");
    assert_true(sipc_config_node_is_self(&cfg, 7) && !sipc_config_node_is_self(&cfg, 6));
    snprintf(cfg.address, sizeof cfg.address, "localhost");
    assert_true(sipc_config_node_is_self(&cfg, 7) && !sipc_config_node_is_self(&cfg, 8));
    snprintf(cfg.nodes[0], sizeof cfg.nodes[0], "127.0.0.1:33710");
    assert_true(sipc_config_node_is_self(&cfg, 0));
    /* localhost in any case, as DNS names go: self here, and a dial and a
     * bind take it too (the library's one numeric reading) */
    snprintf(cfg.nodes[0], sizeof cfg.nodes[0], "LOCALHOST:33710");
    snprintf(cfg.address, sizeof cfg.address, "127.0.0.1");
    assert_true(sipc_config_node_is_self(&cfg, 0));
    snprintf(cfg.address, sizeof cfg.address, "LocalHost");
    assert_non_null(sipc_config_source_address(&cfg));
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    sipc_options o;
    sipc_options_init(&o);
    o.source_address = "LocalHost";
    sipc_ctx *ctx = NULL;
    sipc_security *plain = NULL;
    assert_int_equal(sipc_security_plain(&plain), 0);
    assert_int_equal(sipc_ctx_new(&ctx, &loop, &o, plain), 0);
    sipc_security_release(plain);
    sipc_ctx_close(ctx, NULL, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    rm_home(home);
}

/* sipc_config is allocated by callers: a field added later goes after the
 * ones a program built against an older header knows, never between them. */
static void test_layout_appends(void **state)
{
    (void)state;
    assert_true(offsetof(sipc_config, subject_line) > offsetof(sipc_config, nservices));
    assert_true(offsetof(sipc_config, cluster_line) > offsetof(sipc_config, subject_line));
    assert_true(offsetof(sipc_config, revocation) ==
                offsetof(sipc_config, subject) + sizeof(((sipc_config *)0)->subject));
    /* [limits] keys added later go after the marker, in the order added:
     * none between max_opening and reconnect_max_ms, the newest last */
    assert_true(offsetof(sipc_config, reconnect_max_ms) ==
                offsetof(sipc_config, max_opening) + sizeof(uint32_t));
    assert_true(offsetof(sipc_config, keepalive_ms) > offsetof(sipc_config, cluster_line));
    assert_true(offsetof(sipc_config, keepalive_timeout_ms) > offsetof(sipc_config, keepalive_ms));
    assert_true(offsetof(sipc_config, idle_timeout_ms) > offsetof(sipc_config, keepalive_timeout_ms));
    assert_true(offsetof(sipc_config, max_connections_per_host) >
                offsetof(sipc_config, idle_timeout_ms));
    assert_true(offsetof(sipc_config, keepalive_line) >
                offsetof(sipc_config, max_connections_per_host));
    assert_true(offsetof(sipc_config, keepalive_timeout_line) ==
                offsetof(sipc_config, keepalive_line) + sizeof(int));
    assert_true(offsetof(sipc_config, idle_line) ==
                offsetof(sipc_config, keepalive_timeout_line) + sizeof(int));
    assert_true(offsetof(sipc_config, tls_enable_line) ==
                offsetof(sipc_config, idle_line) + sizeof(int));
    assert_true(offsetof(sipc_config, node_line) ==
                offsetof(sipc_config, tls_enable_line) + sizeof(int));
    assert_true(offsetof(sipc_config, data_writes_slow_ms) ==
                offsetof(sipc_config, node_line) + sizeof(int));
    assert_true(offsetof(sipc_config, log_max_file_size) >
                offsetof(sipc_config, data_writes_slow_ms));
    assert_true(offsetof(sipc_config, data_max_attributes) ==
                offsetof(sipc_config, log_max_file_size) + sizeof(uint64_t));
    assert_true(offsetof(sipc_config, search_max_local_ms) ==
                offsetof(sipc_config, data_max_attributes) + sizeof(uint32_t));
    assert_true(offsetof(sipc_config, service_lines) ==
                offsetof(sipc_config, search_max_local_ms) + sizeof(uint32_t));
    assert_true(offsetof(sipc_config, node_lines) ==
                offsetof(sipc_config, service_lines) + SIPC_MAX_SERVICES * sizeof(int));
    assert_true(sizeof(sipc_config) - offsetof(sipc_config, node_lines) -
                    SIPC_MAX_NODES * sizeof(int) <
                _Alignof(sipc_config));
}

/* Two of the node's own services on one port (one set to the other's
 * default, or both set) fail at load at the later line, not at start as a
 * port "held by another process"; port 0 (any free one) is no clash, nor
 * a program's own service on a built-in's port */
static void test_service_ports_clash(void **state)
{
    (void)state;
    char *home = make_home();
    expect_error(home,
                 "[node]\nid = c1\naddress = 127.1.219.31\n[cluster]\nname = cfg\n"
                 "nodes = 127.1.219.31:23000\n[search]\nport = 23000\n",
                 8, "[search] port 23000 is also the data service's port (its default)");
    expect_error(home, "[management]\nport = 23003\n", 2,
                 "[management] port 23003 is also the pipeline service's port (its default)");
    expect_error(home, "[pipeline]\nport = 24000\n[data]\nport = 24000\n", 4,
                 "[data] port 24000 is also the pipeline service's port (line 2)");
    sipc_config cfg;
    char err[1024];
    assert_int_equal(load_text(home, "[search]\nport = 0\n[management]\nport = 0\n"
                                     "[kv]\nport = 23000\n",
                               &cfg, err, sizeof err),
                     0);
    /* moved out of each other's way */
    assert_int_equal(load_text(home, "[data]\nport = 23001\n[search]\nport = 23000\n",
                               &cfg, err, sizeof err),
                     0);
    rm_home(home);
}

/* [metrics] address on a port of the node's services, at an address their
 * listeners take too, is refused at its line: sipcd would start the
 * services and then fail on the endpoint's bind; another address, or a
 * wildcard of the other family, is fine */
static void test_metrics_port_clash(void **state)
{
    (void)state;
    char *home = make_home();
    expect_error(home, "[node]\naddress = 127.1.226.1\n[metrics]\naddress = 127.1.226.1:23000\n", 4,
                 "[metrics] address 127.1.226.1:23000 is on the data service's port (23000, its "
                 "default) at this node's address (127.1.226.1): each service of a node and its "
                 "metrics endpoint need a port of their own");
    expect_error(home, "[metrics]\naddress = 127.1.226.1:9323\n[node]\naddress = 127.1.226.1\n"
                       "[pipeline]\nport = 9323\n",
                 2, "on the pipeline service's port (9323, line 6)");
    /* a wildcard takes the other's address: on either side; the node's ::
     * is dual-stack */
    expect_error(home, "[node]\naddress = 0.0.0.0\n[metrics]\naddress = 127.1.226.1:23002\n", 4,
                 "on the management service's port (23002, its default)");
    expect_error(home, "[node]\naddress = 127.1.226.1\n[metrics]\naddress = 0.0.0.0:23001\n", 4,
                 "on the search service's port");
    expect_error(home, "[node]\naddress = ::\n[metrics]\naddress = 127.1.226.1:23003\n", 4,
                 "on the pipeline service's port");
    expect_error(home, "[node]\naddress = localhost\n[metrics]\naddress = 127.0.0.1:23000\n", 4,
                 "on the data service's port");
    sipc_config cfg;
    char err[1024];
    static const char *const fine[] = {
        "[node]\naddress = 127.1.226.1\n[metrics]\naddress = 127.1.226.2:23000\n",
        "[node]\naddress = 127.1.226.1\n[metrics]\naddress = 127.1.226.1:9323\n",
        "[node]\naddress = 0.0.0.0\n[metrics]\naddress = [::1]:23000\n",
        "[node]\naddress = 127.1.226.1\n[data]\nport = 24000\n[metrics]\n"
        "address = 127.1.226.1:23000\n",
        "[node]\naddress = 127.1.226.1\n[metrics]\naddress = 127.1.226.1:23000\n"
        "address =\n",
    };
    for (size_t i = 0; i < sizeof fine / sizeof fine[0]; i++)
        if (load_text(home, fine[i], &cfg, err, sizeof err) != 0)
            fail_msg("refused: %s\nfor:\n%s", err, fine[i]);
    rm_home(home);
}

/* One node twice in [cluster] nodes (the same host and port once the
 * missing port is the data port) and an entry that is not host[:port] are
 * refused at their own line */
static void test_nodes_checked_whole(void **state)
{
    (void)state;
    char *home = make_home();
    expect_error(home,
                 "[node]\nid = c1\naddress = 127.1.219.31\n[cluster]\nname = cfg\n"
                 "nodes = 127.1.219.31, 127.1.219.32, 127.1.219.33,\n  127.1.219.32\n",
                 7,
                 "[cluster] nodes lists 127.1.219.32:23000 twice: '127.1.219.32' here and "
                 "'127.1.219.32' on line 6 (an entry without a port names the data port, 23000)");
    expect_error(home, "[cluster]\nnodes = 127.1.219.31:23000, 127.1.219.32, 127.1.219.32:23000\n",
                 2, "lists 127.1.219.32:23000 twice");
    /* the data port read after the list still applies to it */
    expect_error(home, "[cluster]\nnodes = [::1]:24000\n  [0::1]\n[data]\nport = 24000\n", 3,
                 "lists [::1]:24000 twice: '[0::1]' here");
    expect_error(home, "[cluster]\nnodes = 127.1.219.31,\n  127.1.219.32:abc\n", 3,
                 "'127.1.219.32:abc' is not host[:port]");
    sipc_config cfg;
    char err[1024];
    assert_int_equal(load_text(home, "[cluster]\nnodes = 127.1.219.32, 127.1.219.32:23010\n",
                               &cfg, err, sizeof err),
                     0);
    assert_int_equal(cfg.node_lines[0], 2);
    rm_home(home);
}

/* sipc_config_check_run of text as sipc.conf, for sipcd's four services */
static int check_run_of(const char *home, const char *text, char *err, size_t errlen)
{
    static const char *const run[] = {"data", "search", "management", "pipeline"};
    sipc_config cfg;
    if (load_text(home, text, &cfg, err, errlen) != 0)
        fail_msg("refused: %s\nfor:\n%s", err, text);
    return sipc_config_check_run(&cfg, run, 4, err, errlen);
}

/* What only the program running the services can judge: a section of no
 * service it runs (a typo refused with the suggestion; another program's
 * name a warning), and its own entry in [cluster] nodes with another of
 * its ports than the data port */
static void test_check_run(void **state)
{
    (void)state;
    char *home = make_home();
    char err[1024];
    assert_int_equal(check_run_of(home,
                                  "[node]\nid = c1\naddress = 127.1.219.31\n[cluster]\nname = cfg\n"
                                  "nodes = 127.1.219.31:23000\n[serch]\nport = 23011\n",
                                  err, sizeof err),
                     SIPC_ECONFIG);
    if (!strstr(err, "/sipc.conf:8: [serch] port: this node runs no service [serch] (it runs "
                     "data, search, management and pipeline); did you mean `[search] port`?"))
        fail_msg("%s", err);
    assert_int_equal(check_run_of(home, "[kv]\nport = 7001\n", err, sizeof err), 1);
    if (!strstr(err, "/sipc.conf:2: [kv] port: this node runs no service [kv]"))
        fail_msg("%s", err);
    assert_int_equal(check_run_of(home, "[search]\nport = 24001\n", err, sizeof err), 0);
    assert_string_equal(err, "");
    /* its own address with its search port: it would dial itself */
    assert_int_equal(check_run_of(home,
                                  "[node]\nid = c1\naddress = 127.1.219.31\n[cluster]\nname = cfg\n"
                                  "nodes = 127.1.219.31:23001, 127.1.219.32:23000\n",
                                  err, sizeof err),
                     SIPC_ECONFIG);
    if (!strstr(err, "/sipc.conf:6: [cluster] nodes entry '127.1.219.31:23001' is this node's "
                     "address with its search port: an entry gives a node's data port (23000 "
                     "here)"))
        fail_msg("%s", err);
    /* with a wildcard address, an address of this machine is its own */
    assert_int_equal(check_run_of(home, "[node]\naddress = 0.0.0.0\n[cluster]\n"
                                        "nodes = 127.1.219.31:23000, 127.1.219.31:23002\n",
                                  err, sizeof err),
                     SIPC_ECONFIG);
    assert_non_null(strstr(err, "with its management port"));
    /* another node of this host at its own data port is no listener of this one */
    assert_int_equal(check_run_of(home, "[node]\naddress = 127.1.219.31\n[cluster]\n"
                                        "nodes = 127.1.219.31:23000, 127.1.219.31:23010\n",
                                  err, sizeof err),
                     0);
    rm_home(home);
}

/* A [cluster] nodes list without this node is a warning at the list's
 * line, naming this node's address, as a line of its own beside another
 * program's section; no list, no word */
static void test_check_run_self_unlisted(void **state)
{
    (void)state;
    char *home = make_home();
    char err[1024];
    assert_int_equal(check_run_of(home,
                                  "[node]\nid = c1\naddress = 127.1.226.1\n[cluster]\nname = cw\n"
                                  "nodes = 127.1.226.2,\n  127.1.226.3\n",
                                  err, sizeof err),
                     1);
    if (!strstr(err, "/sipc.conf:6: [cluster] nodes does not list this node ([node] address "
                     "127.1.226.1, data port 23000): the list names every node of the cluster, "
                     "this one included, the same on every node; add this node's entry") ||
        strchr(err, '\n'))
        fail_msg("%s", err);
    /* its entry at another node's port is another node */
    assert_int_equal(check_run_of(home,
                                  "[node]\naddress = 127.1.226.1\n[data]\nport = 23010\n"
                                  "[kv]\nport = 7001\n[cluster]\nnodes = 127.1.226.1:23000\n",
                                  err, sizeof err),
                     2);
    const char *nl = strchr(err, '\n');
    if (!nl || !strstr(err, "/sipc.conf:6: [kv] port: this node runs no service [kv]") ||
        strstr(err, "[cluster]") < nl ||
        !strstr(nl, "/sipc.conf:8: [cluster] nodes does not list this node ([node] address "
                    "127.1.226.1, data port 23010)"))
        fail_msg("%s", err);
    /* a wildcard address: an entry on an address of this machine is its own */
    assert_int_equal(check_run_of(home, "[node]\naddress = 0.0.0.0\n[cluster]\nnodes = 127.1.226.1\n",
                                  err, sizeof err),
                     0);
    assert_int_equal(check_run_of(home, "[node]\naddress = 0.0.0.0\n[cluster]\nnodes = 192.0.2.1\n",
                                  err, sizeof err),
                     1);
    assert_non_null(strstr(err, "with a wildcard address, an entry at an address of this machine"));
    /* listed: silent; no [cluster] section, or a name only: silent */
    static const char *const silent[] = {
        "[node]\naddress = 127.1.226.1\n[cluster]\nnodes = 127.1.226.2, 127.1.226.1:23000\n",
        "[node]\naddress = 127.1.226.1\n",
        "[node]\naddress = 127.1.226.1\n[cluster]\nname = cw\n",
    };
    for (size_t i = 0; i < sizeof silent / sizeof silent[0]; i++)
        if (check_run_of(home, silent[i], err, sizeof err) != 0)
            fail_msg("'%s' for:\n%s", err, silent[i]);
    rm_home(home);
}

/* sipc_config_copy_tls takes every setting of [tls] over and nothing
 * else: a sipc.conf that sets every [tls] key (test_config_doc.sh checks
 * that each key the parser accepts in [tls] is set here), copied onto the
 * defaults, gives exactly what loading it gave; the copy back gives the
 * defaults again; and the other sections of the target stay. */
static void copy_tls_covers_every_key(void **state)
{
    (void)state;
    char *home = make_home();
    static sipc_config dflt, all, x;
    char err[512] = "";
    assert_int_equal(sipc_config_load(&dflt, home, err, sizeof err), 0);
    write_conf(home, "[tls]\n"
                     "enable = 1\n"
                     "mode = permissive\n"
                     "subject = CN=copy test, O=Example\n"
                     "revocation = hard\n"
                     "strict_guard_window = 7\n");
    assert_int_equal(sipc_config_load(&all, home, err, sizeof err), 0);
    /* each of them differs from the default */
    assert_int_not_equal(all.tls_enable, dflt.tls_enable);
    assert_int_not_equal(all.tls_mode, dflt.tls_mode);
    assert_string_not_equal(all.subject, dflt.subject);
    assert_int_not_equal(all.revocation, dflt.revocation);
    assert_int_not_equal(all.strict_guard_window, dflt.strict_guard_window);
    x = dflt;
    sipc_config_copy_tls(&x, &all);
    assert_memory_equal(&x, &all, sizeof x);
    sipc_config_copy_tls(&x, &dflt);
    assert_memory_equal(&x, &dflt, sizeof x);
    /* nothing else is taken over */
    x = all;
    x.max_frame = 12345;
    snprintf(x.cluster, sizeof x.cluster, "other");
    sipc_config_copy_tls(&x, &dflt);
    assert_int_equal(x.max_frame, 12345);
    assert_string_equal(x.cluster, "other");
    sipc_config_copy_tls(NULL, &all);
    sipc_config_copy_tls(&x, NULL);
    rm_home(home);
}

/* The source host a server's per-host cap and sipcd's peer history count a
 * connection under: one IPv6 /64 is one host (such a host takes a new
 * address of it at will), an IPv4-mapped address is its IPv4 one (a
 * listener on :: sees IPv4 peers so), whatever the spelling. */
static void test_host_key(void **state)
{
    (void)state;
    char k[64], l[64];
    sipc__host_key("127.0.87.5:40000", 1, k, sizeof k);
    assert_string_equal(k, "127.0.87.5");
    sipc__host_key("[::ffff:127.0.87.5]:40001", 1, k, sizeof k);
    assert_string_equal(k, "127.0.87.5");
    sipc__host_key("::ffff:127.0.87.5", 0, k, sizeof k);
    assert_string_equal(k, "127.0.87.5");
    sipc__host_key("127.0.87.5", 1, k, sizeof k);
    assert_string_equal(k, "127.0.87.5");
    sipc__host_key("[2001:db8:1:2:a::5]:443", 1, k, sizeof k);
    assert_string_equal(k, "2001:db8:1:2::/64");
    sipc__host_key("[2001:DB8:1:2:ffff:1:2:3]:9", 1, l, sizeof l);
    assert_string_equal(k, l);
    sipc__host_key("[2001:db8:1:3::5]:443", 1, l, sizeof l);
    assert_string_equal(l, "2001:db8:1:3::/64");
    sipc__host_key("[::1]:23000", 1, k, sizeof k);
    assert_string_equal(k, "::/64");
    /* without the prefix: the whole address, without brackets or port */
    sipc__host_key("[2001:db8:1:2:a::5]:443", 0, k, sizeof k);
    assert_string_equal(k, "2001:db8:1:2:a::5");
    sipc__host_key("2001:db8:1:2:a::5", 0, k, sizeof k);
    assert_string_equal(k, "2001:db8:1:2:a::5");
    /* not an address: as it is, without the port */
    sipc__host_key("pipe:1", 1, k, sizeof k);
    assert_string_equal(k, "pipe");
    sipc__host_key("", 1, k, sizeof k);
    assert_string_equal(k, "");
    sipc__host_key("[2001:db8::1]:1", 1, k, 4); /* cut, terminated */
    assert_string_equal(k, "200");
}

static void test_parse_address(void **state)
{
    (void)state;
    char h[64];
    int port = -1;
    static const struct {
        const char *in;
        int def;
        const char *host;
        int port;
    } good[] = {
        {"10.0.0.1:23000", 0, "10.0.0.1", 23000}, {"node-a", 23000, "node-a", 23000},
        {"node-a:1", 5, "node-a", 1},             {"[::1]:23001", 0, "::1", 23001},
        {"[::1]", 23000, "::1", 23000},           {"::1", 23000, "::1", 23000},
        {"fe80::2:3", 7, "fe80::2:3", 7},        {"localhost:65535", 0, "localhost", 65535},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        assert_int_equal(sipc_parse_address(good[i].in, good[i].def, h, sizeof h, &port), 0);
        assert_string_equal(h, good[i].host);
        assert_int_equal(port, good[i].port);
    }
    static const char *const bad[] = {"", ":23000", "host:", "host:0", "host:65536", "host:x1",
                                      "[::1", "[]:1", "[::1]x", "host"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(sipc_parse_address(bad[i], 0, h, sizeof h, &port), SIPC_EINVAL);
    /* a host that does not fit is refused, not cut */
    char small[4];
    assert_int_equal(sipc_parse_address("abcdef:1", 0, small, sizeof small, &port), SIPC_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_every_key),
        cmocka_unit_test(test_value_forms),
        cmocka_unit_test(test_long_lines),
        cmocka_unit_test(test_unknown_keys),
        cmocka_unit_test(test_first_error_reported),
        cmocka_unit_test(test_syntax_error_says_what),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_empty_values),
        cmocka_unit_test(test_names_printable),
        cmocka_unit_test(test_unreadable_file),
        cmocka_unit_test(test_set_preserves_lines),
        cmocka_unit_test(test_set_right_section),
        cmocka_unit_test(test_set_adds_key_and_section),
        cmocka_unit_test(test_set_creates_file),
        cmocka_unit_test(test_set_idempotent),
        cmocka_unit_test(test_put_back),
        cmocka_unit_test(test_put_back_edit_meanwhile),
        cmocka_unit_test(test_config_edit),
        cmocka_unit_test(test_put_back_link),
        cmocka_unit_test(test_set_edit_meanwhile),
        cmocka_unit_test(test_set_refuses_link),
        cmocka_unit_test(test_set_temporary_not_followed),
        cmocka_unit_test(test_set_replaces_continuation),
        cmocka_unit_test(test_set_follows_continuations),
        cmocka_unit_test(test_set_refuses_bad_input),
        cmocka_unit_test(test_set_unwritable),
        cmocka_unit_test(test_home_resolve),
        cmocka_unit_test(test_missing_home),
        cmocka_unit_test(test_mode_names),
        cmocka_unit_test(test_parse_address),
        cmocka_unit_test(test_layout_appends),
        cmocka_unit_test(test_host_key),
        cmocka_unit_test(test_service_settings),
        cmocka_unit_test(test_writes_slow_ms),
        cmocka_unit_test(test_service_limits),
        cmocka_unit_test(test_log_max_file_size),
        cmocka_unit_test(test_nodes_default_to_data_port),
        cmocka_unit_test(test_wildcard_self),
        cmocka_unit_test(test_service_ports_clash),
        cmocka_unit_test(test_nodes_checked_whole),
        cmocka_unit_test(test_check_run),
        cmocka_unit_test(test_check_run_self_unlisted),
        cmocka_unit_test(test_metrics_port_clash),
        cmocka_unit_test(copy_tls_covers_every_key),
        cmocka_unit_test(test_did_you_mean),
    };
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
