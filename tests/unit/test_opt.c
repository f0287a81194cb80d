/* test_opt.c - the option tables of the programs (services/common/opt.c):
 * every accepted form, every refusal with its message, and --help written
 * from the same table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "services/common/opt.h"
#include "sipc/errno.h"

typedef struct t_opts {
    const char *home;
    int version;
    const char *name;
    int size;
    int force;
    int site;
    int verbose;
    cli_list tags;
} t_opts;

static const cli_opt GLOBAL[] = {
    {"home", 'H', CLI_STRING, "DIR", "the home", offsetof(t_opts, home), CLI_NONEMPTY, 0, 0,
     NULL},
    {"help", 'h', CLI_HELP, NULL, "this text", 0, 0, 0, 0, NULL},
    {"version", 0, CLI_FLAG, NULL, "the version", offsetof(t_opts, version), CLI_STOP, 0, 0, NULL},
    {NULL, 0, CLI_END, NULL, NULL, 0, 0, 0, 0, NULL}};

static const cli_opt MAKE[] = {
    {"name", 0, CLI_STRING, "S", "what to call it", offsetof(t_opts, name), 0, 0, 0, NULL},
    {"size", 0, CLI_INT, "N", "how big\nin units", offsetof(t_opts, size), 0, 1, 10, NULL},
    {"force", 0, CLI_FLAG, NULL, "overwrite", offsetof(t_opts, force), 0, 0, 0, NULL},
    {"site", 0, CLI_FLAG, NULL, "for the site", offsetof(t_opts, site), CLI_DASH1, 0, 0, NULL},
    {NULL, 0, CLI_END, NULL, NULL, 0, 0, 0, 0, NULL}};

static const cli_opt SHOW[] = {
    {"verbose", 'v', CLI_FLAG, NULL, "more", offsetof(t_opts, verbose), CLI_DASH1, 0, 0, NULL},
    {NULL, 0, CLI_END, NULL, NULL, 0, 0, 0, 0, NULL}};

static int run_nothing(void *o)
{
    (void)o;
    return 0;
}

static const char *const TURN_SUBS[] = {"on", "off", NULL};
static const cli_cmd CMDS[] = {
    {"make", "FILE", "make a thing", "Makes FILE.\n", MAKE, run_nothing, NULL},
    {"show", "", "show the things", NULL, SHOW, run_nothing, NULL},
    {"turn", "", "turn it on or off", NULL, NULL, run_nothing, TURN_SUBS},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL}};

static const cli_tool TOOL = {"tool",  "usage:", "[--home DIR] COMMAND", "Does things.\n",
                              "The end.\n", GLOBAL, CMDS,     CLI_HELP_WORD_ANY};

/* One parse of a NULL-terminated word list (copied: the parser moves the
 * arguments in argv). */
typedef struct parse {
    char *argv[32];
    char *owned[32]; /* argv as made, to free */
    int argc;
    t_opts o;
    cli_parsed p;
    char err[300];
    int r;
} parse;

static void run_parse(parse *x, const cli_tool *tool, ...)
{
    memset(x, 0, sizeof *x);
    va_list ap;
    va_start(ap, tool);
    x->argv[x->argc++] = strdup(tool->name);
    for (const char *w; (w = va_arg(ap, const char *));)
        x->argv[x->argc++] = strdup(w);
    va_end(ap);
    memcpy(x->owned, x->argv, sizeof x->owned);
    x->r = cli_parse(tool, x->argc, x->argv, &x->o, &x->p, x->err, sizeof x->err);
}

static void done(parse *x)
{
    for (int i = 0; i < x->argc; i++)
        free(x->owned[i]);
}

#define PARSE(x, ...) run_parse(x, &TOOL, __VA_ARGS__, (const char *)NULL)

static void test_long_forms(void **state)
{
    (void)state;
    parse x;
    PARSE(&x, "make", "--name", "n1", "--size", "3", "--force", "out.bin");
    assert_int_equal(x.r, 0);
    assert_string_equal(x.p.cmd->name, "make");
    assert_string_equal(x.o.name, "n1");
    assert_int_equal(x.o.size, 3);
    assert_int_equal(x.o.force, 1);
    assert_int_equal(x.p.nargs, 1);
    assert_string_equal(x.p.args[0], "out.bin");
    done(&x);
}

static void test_equals_form(void **state)
{
    (void)state;
    parse x;
    PARSE(&x, "--home=/h", "make", "--size=10", "--name=", "f");
    assert_int_equal(x.r, 0);
    assert_string_equal(x.o.home, "/h");
    assert_string_equal(x.o.name, "");
    assert_int_equal(x.o.size, 10);
    done(&x);
    PARSE(&x, "make", "--name=a=b");
    assert_string_equal(x.o.name, "a=b");
    done(&x);
}

static void test_short_forms(void **state)
{
    (void)state;
    parse x;
    PARSE(&x, "-H", "/h1", "show", "-v");
    assert_int_equal(x.r, 0);
    assert_string_equal(x.o.home, "/h1");
    assert_int_equal(x.o.verbose, 1);
    done(&x);
    PARSE(&x, "show", "-H/h2");
    assert_string_equal(x.o.home, "/h2");
    done(&x);
    PARSE(&x, "show", "-vh"); /* clustered flags */
    assert_int_equal(x.r, 0);
    assert_int_equal(x.o.verbose, 1);
    assert_int_equal(x.p.help, 1);
    done(&x);
    PARSE(&x, "show", "-vH", "/h3"); /* the last of a cluster takes the value */
    assert_string_equal(x.o.home, "/h3");
    done(&x);
}

/* -H=/x is not -H /x: the value would be "=/x" (a home named '='); refused,
 * saying both ways to write it; a value's later message names the option as
 * typed */
static void test_short_equals_refused(void **state)
{
    (void)state;
    parse x;
    PARSE(&x, "-H=/x", "show");
    assert_int_equal(x.r, SIPC_EINVAL);
    assert_int_equal(x.p.bad, CLI_BAD_OPTION);
    assert_string_equal(x.err, "-H=/x: write '-H /x' or '--home=/x'");
    done(&x);
    PARSE(&x, "show", "-H=");
    assert_int_equal(x.r, SIPC_EINVAL);
    assert_string_equal(x.err, "-H=: write '-H DIR' or '--home=DIR'");
    done(&x);
    PARSE(&x, "show", "-vH=/y"); /* the last of a cluster */
    assert_int_equal(x.r, SIPC_EINVAL);
    assert_string_equal(x.err, "-vH=/y: write '-H /y' or '--home=/y'");
    done(&x);
    /* a separate value may start with '=' */
    PARSE(&x, "show", "-H", "=/z");
    assert_int_equal(x.r, 0);
    assert_string_equal(x.o.home, "=/z");
    char as[40];
    assert_string_equal(cli_given_as(&x.p, "home", as, sizeof as), "-H");
    assert_string_equal(cli_given_as(&x.p, "name", as, sizeof as), "--name");
    done(&x);
    PARSE(&x, "--home=/h", "show");
    char as2[40];
    assert_string_equal(cli_given_as(&x.p, "home", as2, sizeof as2), "--home");
    done(&x);
}

static void test_single_dash_names(void **state)
{
    (void)state;
    parse x;
    PARSE(&x, "make", "-site", "f");
    assert_int_equal(x.r, 0);
    assert_int_equal(x.o.site, 1);
    done(&x);
    PARSE(&x, "show", "-verbose");
    assert_int_equal(x.o.verbose, 1);
    done(&x);
    PARSE(&x, "make", "-force", "f"); /* not marked CLI_DASH1 */
    assert_int_equal(x.r, SIPC_EINVAL);
    assert_string_equal(x.err, "unknown option '-force' (see tool make --help)");
    done(&x);
}

static void test_missing_argument(void **state)
{
    (void)state;
    parse x;
    PARSE(&x, "make", "--name");
    assert_int_equal(x.r, SIPC_EINVAL);
    assert_int_equal(x.p.bad, CLI_BAD_OPTION);
    assert_string_equal(x.err, "--name needs a value");
    done(&x);
    PARSE(&x, "show", "-H");
    assert_string_equal(x.err, "-H needs a value");
    done(&x);
    /* an option where the value should be is the value missing, not the
     * value: --home --help must not read "--help" as a home */
    PARSE(&x, "make", "f", "--name", "--force");
    assert_int_equal(x.r, SIPC_EINVAL);
    assert_int_equal(x.p.bad, CLI_BAD_OPTION);
    assert_string_equal(x.err, "--name needs a value");
    done(&x);
    PARSE(&x, "--home", "--help", "show");
    assert_string_equal(x.err, "--home needs a value");
    done(&x);
    PARSE(&x, "show", "-H", "-verbose");
    assert_string_equal(x.err, "-H needs a value");
    done(&x);
    PARSE(&x, "make", "f", "--name", "--size=3");
    assert_string_equal(x.err, "--name needs a value");
    done(&x);
    /* a short letter of the tool or a command in the value's place */
    PARSE(&x, "--home", "-v", "show");
    assert_string_equal(x.err, "--home needs a value");
    done(&x);
    PARSE(&x, "show", "-H", "-H");
    assert_string_equal(x.err, "-H needs a value");
    done(&x);
    /* any word that reads as an option, whatever the letter: whether a
     * tool has -q must not decide what `--home -q` means */
    PARSE(&x, "--home", "-q", "show"); /* -q: no option's letter */
    assert_int_equal(x.r, SIPC_EINVAL);
    assert_int_equal(x.p.bad, CLI_BAD_OPTION);
    assert_string_equal(x.err, "--home needs a value: '-q' reads as an option (to give it as the "
                               "value, write --home=-q)");
    done(&x);
    PARSE(&x, "make", "f", "--name", "--forced");
    assert_string_equal(x.err, "--name needs a value: '--forced' reads as an option (to give it "
                               "as the value, write --name=--forced)");
    done(&x);
    PARSE(&x, "show", "-H", "-x1");
    assert_string_equal(x.err, "-H needs a value: '-x1' reads as an option (to give it as the "
                               "value, write --home=-x1)");
    done(&x);
    /* other words that start with a dash are values; --name=VALUE takes any */
    PARSE(&x, "make", "f", "--name=--force", "--size", "-1");
    assert_string_equal(x.err, "--size must be a number between 1 and 10");
    done(&x);
    PARSE(&x, "make", "f", "--name=-q", "-H", "-", "--size", "-1");
    assert_string_equal(x.err, "--size must be a number between 1 and 10");
    done(&x);
    PARSE(&x, "make", "f", "--name", "-- x", "-H", "-");
    assert_int_equal(x.r, 0);
    assert_string_equal(x.o.name, "-- x");
    assert_string_equal(x.o.home, "-");
    done(&x);
    PARSE(&x, "make", "f", "--name=-q");
    assert_int_equal(x.r, 0);
    assert_string_equal(x.o.name, "-q");
    done(&x);
    PARSE(&x, "make", "--force=yes");
    assert_int_equal(x.r, SIPC_EINVAL);
    assert_string_equal(x.err, "--force takes no value");
    done(&x);
}

static void test_unknown_option_and_command(void **state)
{
    (void)state;
    parse x;
    PARSE(&x, "make", "--x");
    assert_int_equal(x.r, SIPC_EINVAL);
    assert_int_equal(x.p.bad, CLI_BAD_OPTION);
    assert_string_equal(x.err, "unknown option '--x' (see tool make --help)");
    done(&x);
    PARSE(&x, "--x", "make"); /* before the command, still judged against it */
    assert_string_equal(x.err, "unknown option '--x' (see tool make --help)");
    done(&x);
    PARSE(&x, "--x");
    assert_string_equal(x.err, "unknown option '--x' (see tool --help)");
    done(&x);
    PARSE(&x, "frob", "--force");
    assert_int_equal(x.r, SIPC_EINVAL);
    assert_int_equal(x.p.bad, CLI_BAD_COMMAND);
    assert_string_equal(x.err, "unknown command 'frob' (see tool --help)");
    done(&x);
}

/* A command's sub-command is checked with --help too: `tool turn bogus
 * --help` is a mistake, not a request for help. */
static void test_sub_command(void **state)
{
    (void)state;
    parse x;
    PARSE(&x, "turn", "bogus", "--help");
    assert_int_equal(x.r, SIPC_EINVAL);
    assert_int_equal(x.p.bad, CLI_BAD_COMMAND);
    assert_string_equal(x.err, "unknown turn command 'bogus': use on or off (see tool turn --help)");
    done(&x);
    PARSE(&x, "turn", "bogus");
    assert_int_equal(x.r, SIPC_EINVAL);
    done(&x);
    PARSE(&x, "turn", "--help");
    assert_int_equal(x.r, 0);
    assert_int_equal(x.p.help, 1);
    done(&x);
    PARSE(&x, "turn", "off", "now");
    assert_int_equal(x.r, 0);
    assert_int_equal(x.p.nargs, 2);
    done(&x);
}

/* A failed parse is one line with a pointer to the help, before a command
 * too (not the whole help after it). */
static void test_usage_line(void **state)
{
    (void)state;
    parse x;
    char line[300];
    PARSE(&x, "--home");
    assert_int_equal(x.r, SIPC_EINVAL);
    assert_string_equal(cli_usage_text(&TOOL, &x.p, x.err, line, sizeof line),
                        "--home needs a value (see tool --help)");
    done(&x);
    PARSE(&x, "make", "--size", "99");
    assert_string_equal(cli_usage_text(&TOOL, &x.p, x.err, line, sizeof line),
                        "--size must be a number between 1 and 10");
    done(&x);
    PARSE(&x, "make", "--size");
    assert_string_equal(cli_usage_text(&TOOL, &x.p, x.err, line, sizeof line),
                        "--size needs a value (see tool make --help)");
    done(&x);
    PARSE(&x, "frob");
    assert_string_equal(cli_usage_text(&TOOL, &x.p, x.err, line, sizeof line),
                        "unknown command 'frob' (see tool --help)");
    done(&x);
}

static void test_option_of_another_command(void **state)
{
    (void)state;
    parse x;
    PARSE(&x, "--force", "make", "f"); /* before the command: fine when it applies */
    assert_int_equal(x.r, 0);
    assert_int_equal(x.o.force, 1);
    done(&x);
    PARSE(&x, "show", "--force");
    assert_int_equal(x.r, SIPC_EINVAL);
    assert_int_equal(x.p.bad, CLI_BAD_PLACE);
    assert_string_equal(x.err, "option '--force' does not apply to 'show' (see tool show --help)");
    done(&x);
    PARSE(&x, "--force", "show");
    assert_int_equal(x.p.bad, CLI_BAD_PLACE);
    assert_string_equal(x.err, "option '--force' does not apply to 'show' (see tool show --help)");
    done(&x);
    /* named as typed, without its value; the first one given */
    PARSE(&x, "show", "--size=3", "-site");
    assert_string_equal(x.err, "option '--size' does not apply to 'show' (see tool show --help)");
    done(&x);
    PARSE(&x, "show", "--size", "3");
    assert_string_equal(x.err, "option '--size' does not apply to 'show' (see tool show --help)");
    done(&x);
    PARSE(&x, "show", "-site");
    assert_string_equal(x.err, "option '-site' does not apply to 'show' (see tool show --help)");
    done(&x);
    PARSE(&x, "make", "f", "-v");
    assert_string_equal(x.err, "option '-v' does not apply to 'make' (see tool make --help)");
    done(&x);
    PARSE(&x, "show", "--force", "--help"); /* asking for help is no mistake */
    assert_int_equal(x.r, 0);
    assert_int_equal(x.p.help, 1);
    assert_string_equal(x.p.cmd->name, "show");
    done(&x);
}

static void test_int_range(void **state)
{
    (void)state;
    parse x;
    static const char *bad[] = {"0", "11", "3x", "", "-1", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        PARSE(&x, "make", "--size", bad[i]);
        assert_int_equal(x.r, SIPC_EINVAL);
        assert_int_equal(x.p.bad, CLI_BAD_VALUE);
        assert_string_equal(x.err, "--size must be a number between 1 and 10");
        done(&x);
    }
    static const cli_opt OWN[] = {
        {"n", 'n', CLI_INT, "N", "n", offsetof(t_opts, size), 0, 5, 6, "n is 5 or 6"},
        {NULL, 0, CLI_END, NULL, NULL, 0, 0, 0, 0, NULL}};
    const cli_tool plain = {"plain", "Usage:", "", NULL, NULL, OWN, NULL, CLI_HELP_WORD_NONE};
    run_parse(&x, &plain, "-n", "7", (const char *)NULL);
    assert_string_equal(x.err, "n is 5 or 6");
    done(&x);
    run_parse(&x, &plain, "-n6", (const char *)NULL);
    assert_int_equal(x.r, 0);
    assert_int_equal(x.o.size, 6);
    done(&x);
}

/* A repeatable option keeps every value in order, in any form, up to its
 * capacity; one more is refused rather than dropped. */
static void test_list(void **state)
{
    (void)state;
    static const cli_opt OWN[] = {
        {"tag", 't', CLI_LIST, "K=V", "a tag", offsetof(t_opts, tags), 0, 0, 2, NULL},
        {NULL, 0, CLI_END, NULL, NULL, 0, 0, 0, 0, NULL}};
    const cli_tool plain = {"plain", "Usage:", "", NULL, NULL, OWN, NULL, CLI_HELP_WORD_NONE};
    parse x;
    run_parse(&x, &plain, "--tag", "a=1", "x", "-tb=2", (const char *)NULL);
    assert_int_equal(x.r, 0);
    assert_int_equal(x.o.tags.n, 2);
    assert_string_equal(x.o.tags.items[0], "a=1");
    assert_string_equal(x.o.tags.items[1], "b=2");
    assert_int_equal(x.p.nargs, 1);
    done(&x);
    run_parse(&x, &plain, "--tag=a", "--tag", "b", "--tag", "c", (const char *)NULL);
    assert_int_equal(x.r, SIPC_EINVAL);
    assert_int_equal(x.p.bad, CLI_BAD_VALUE);
    assert_string_equal(x.err, "--tag may be given at most 2 times");
    done(&x);
    run_parse(&x, &plain, "--tag", (const char *)NULL);
    assert_int_equal(x.p.bad, CLI_BAD_OPTION);
    assert_string_equal(x.err, "--tag needs a value");
    done(&x);
}

/* An option of one value given twice is a mistake in any form (which one
 * was meant?), even with the same value; a flag may be repeated, and a
 * CLI_LIST is repeatable by design (test_list). */
static void test_given_twice(void **state)
{
    (void)state;
    parse x;
    PARSE(&x, "make", "f", "--name", "a", "--name=b");
    assert_int_equal(x.r, SIPC_EINVAL);
    assert_int_equal(x.p.bad, CLI_BAD_OPTION);
    assert_string_equal(x.err, "--name given twice ('a', then 'b'): give it once");
    char line[300];
    assert_string_equal(cli_usage_text(&TOOL, &x.p, x.err, line, sizeof line),
                        "--name given twice ('a', then 'b'): give it once (see tool make --help)");
    done(&x);
    PARSE(&x, "-H", "h", "show", "--home", "h");
    assert_int_equal(x.r, SIPC_EINVAL);
    assert_string_equal(x.err, "--home given twice ('h', then 'h'): give it once");
    done(&x);
    PARSE(&x, "make", "f", "--size", "2", "--size", "3");
    assert_int_equal(x.r, SIPC_EINVAL);
    assert_string_equal(x.err, "--size given twice ('2', then '3'): give it once");
    done(&x);
    PARSE(&x, "make", "f", "--force", "--force", "--name", "a");
    assert_int_equal(x.r, 0);
    assert_int_equal(x.o.force, 1);
    assert_string_equal(x.o.name, "a");
    done(&x);
}

/* A path given empty (--home="$UNSET") is a mistake, never "not given";
 * an option without CLI_NONEMPTY takes an empty value. */
static void test_empty_value(void **state)
{
    (void)state;
    parse x;
    PARSE(&x, "--home=", "show");
    assert_int_equal(x.r, SIPC_EINVAL);
    assert_int_equal(x.p.bad, CLI_BAD_VALUE);
    assert_string_equal(x.err, "--home needs a value: it is empty");
    done(&x);
    PARSE(&x, "show", "--home", "");
    assert_int_equal(x.r, SIPC_EINVAL);
    assert_string_equal(x.err, "--home needs a value: it is empty");
    done(&x);
    PARSE(&x, "-H", "", "show"); /* named as typed */
    assert_int_equal(x.r, SIPC_EINVAL);
    assert_string_equal(x.err, "-H needs a value: it is empty");
    done(&x);
    PARSE(&x, "make", "--name=", "f");
    assert_int_equal(x.r, 0);
    assert_string_equal(x.o.name, "");
    done(&x);
}

static void test_double_dash(void **state)
{
    (void)state;
    parse x;
    PARSE(&x, "make", "a", "--", "--force", "-", "help");
    assert_int_equal(x.r, 0);
    assert_int_equal(x.o.force, 0);
    assert_int_equal(x.p.help, 0); /* after --, help is a word */
    assert_int_equal(x.p.nargs, 4);
    assert_string_equal(x.p.args[0], "a");
    assert_string_equal(x.p.args[1], "--force");
    assert_string_equal(x.p.args[2], "-");
    assert_string_equal(x.p.args[3], "help");
    done(&x);
    PARSE(&x, "--", "make"); /* the command may follow -- */
    assert_int_equal(x.r, 0);
    assert_string_equal(x.p.cmd->name, "make");
    done(&x);
}

static void test_arguments_keep_their_order(void **state)
{
    (void)state;
    parse x;
    PARSE(&x, "a", "make", "b", "--size", "2", "c", "--force", "d");
    /* "a" is the first word, so it is the command */
    assert_int_equal(x.p.bad, CLI_BAD_COMMAND);
    done(&x);
    PARSE(&x, "make", "b", "--size", "2", "c", "--force", "d");
    assert_int_equal(x.r, 0);
    assert_int_equal(x.p.nargs, 3);
    assert_string_equal(x.p.args[0], "b");
    assert_string_equal(x.p.args[1], "c");
    assert_string_equal(x.p.args[2], "d");
    done(&x);
}

static void test_stop_and_help_word(void **state)
{
    (void)state;
    parse x;
    PARSE(&x, "--version", "--bogus", "frob");
    assert_int_equal(x.r, 0);
    assert_int_equal(x.o.version, 1);
    assert_non_null(x.p.stop);
    assert_string_equal(x.p.stop->name, "version");
    done(&x);
    PARSE(&x, "--bogus", "--version");
    assert_int_equal(x.r, SIPC_EINVAL);
    done(&x);
    PARSE(&x, "help", "make"); /* CLI_HELP_WORD_ANY */
    assert_int_equal(x.r, 0);
    assert_int_equal(x.p.help, 1);
    assert_string_equal(x.p.cmd->name, "make");
    done(&x);
    const cli_tool cmdword = {"t2", "Usage:", "", NULL, NULL, GLOBAL, CMDS, CLI_HELP_WORD_COMMAND};
    run_parse(&x, &cmdword, "help", (const char *)NULL);
    assert_int_equal(x.r, 0);
    assert_int_equal(x.p.help, 1);
    assert_null(x.p.cmd);
    done(&x);
    run_parse(&x, &cmdword, "make", "help", (const char *)NULL);
    assert_int_equal(x.p.help, 0); /* only as the command word */
    assert_int_equal(x.p.nargs, 1);
    done(&x);
    const cli_tool noword = {"t3", "Usage:", "", NULL, NULL, GLOBAL, CMDS, CLI_HELP_WORD_NONE};
    run_parse(&x, &noword, "help", (const char *)NULL);
    assert_int_equal(x.p.bad, CLI_BAD_COMMAND);
    done(&x);
}

static char *help_text(const cli_cmd *cmd)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    cli_help(f, &TOOL, cmd);
    fclose(f);
    return buf;
}

static void test_help_from_the_table(void **state)
{
    (void)state;
    char *h = help_text(NULL);
    assert_non_null(strstr(h, "usage: tool [--home DIR] COMMAND\n"));
    assert_non_null(strstr(h, "Does things.\n"));
    assert_non_null(strstr(h, "  make FILE  make a thing\n"));
    assert_non_null(strstr(h, "  show       show the things\n"));
    assert_non_null(strstr(h, "  -H, --home DIR  the home\n"));
    assert_non_null(strstr(h, "  -h, --help      this text\n"));
    assert_non_null(strstr(h, "  --version       the version\n"));
    assert_non_null(strstr(h, "The end.\n"));
    assert_null(strstr(h, "--size")); /* a command's options are in its own help */
    free(h);

    h = help_text(&CMDS[0]);
    assert_non_null(strstr(h, "usage: tool make FILE [OPTIONS]\nMakes FILE.\n"));
    /* every option of the command's table, with its help, in one column;
     * a help text's further lines stand under its first */
    assert_non_null(strstr(h, "  --name S       what to call it\n"));
    assert_non_null(strstr(h, "  --size N       how big\n                 in units\n"));
    assert_non_null(strstr(h, "  --force        overwrite\n"));
    assert_non_null(strstr(h, "  -site, --site  for the site\n"));
    for (const cli_opt *o = MAKE; o->kind != CLI_END; o++) {
        char name[40], first[40];
        snprintf(name, sizeof name, "--%s", o->name);
        snprintf(first, sizeof first, "%.*s", (int)strcspn(o->help, "\n"), o->help);
        assert_non_null(strstr(h, name));
        assert_non_null(strstr(h, first));
    }
    assert_non_null(strstr(h, "  -H, --home DIR")); /* the options of every command too */
    free(h);

    h = help_text(&CMDS[1]); /* no about: the summary */
    assert_non_null(strstr(h, "usage: tool show [OPTIONS]\nshow the things\n"));
    assert_non_null(strstr(h, "  -v, -verbose, --verbose  more\n"));
    free(h);
}

/* cli_fail: one line "who: message" on stderr, and the code back. */
static void test_fail_line(void **state)
{
    (void)state;
    FILE *cap = tmpfile();
    assert_non_null(cap);
    fflush(stderr);
    int saved = dup(fileno(stderr));
    assert_true(saved >= 0);
    assert_true(dup2(fileno(cap), fileno(stderr)) >= 0);
    int rc = cli_fail("tool: error", 42, "cannot read %s: %d", "x.pfx", 7);
    int rc0 = cli_fail("tool", 0, "no arguments");
    fflush(stderr);
    assert_true(dup2(saved, fileno(stderr)) >= 0);
    close(saved);
    assert_int_equal(rc, 42);
    assert_int_equal(rc0, 0);
    char got[200] = "";
    rewind(cap);
    size_t n = fread(got, 1, sizeof got - 1, cap);
    got[n] = 0;
    fclose(cap);
    assert_string_equal(got, "tool: error: cannot read x.pfx: 7\ntool: no arguments\n");
}

/* An argument too many: by its value where arguments are no secrets, by its
 * position alone where one may be a password. */
static void test_extra_arg(void **state)
{
    (void)state;
    char line[200];
    char *make[] = {"f", "Secret-Word-3"};
    assert_int_equal(cli_extra_arg(&TOOL, &CMDS[0], make, 2, 2, 0, line, sizeof line), 0);
    assert_int_equal(cli_extra_arg(&TOOL, &CMDS[0], make, 2, 1, 1, line, sizeof line), 1);
    assert_string_equal(line, "unexpected argument 'Secret-Word-3' to make (see tool make --help)");
    assert_int_equal(cli_extra_arg(&TOOL, &CMDS[0], make, 2, 1, 0, line, sizeof line), 1);
    assert_string_equal(line, "unexpected second argument to make (see tool make --help)");
    char *turn[] = {"on", "a", "Secret-Word-3"};
    assert_int_equal(cli_extra_arg(&TOOL, &CMDS[2], turn, 3, 2, 0, line, sizeof line), 1);
    assert_string_equal(line, "unexpected second argument to turn on (see tool turn --help)");
    assert_null(strstr(line, "Secret"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_long_forms),
        cmocka_unit_test(test_equals_form),
        cmocka_unit_test(test_short_forms),
        cmocka_unit_test(test_single_dash_names),
        cmocka_unit_test(test_missing_argument),
        cmocka_unit_test(test_unknown_option_and_command),
        cmocka_unit_test(test_sub_command),
        cmocka_unit_test(test_usage_line),
        cmocka_unit_test(test_option_of_another_command),
        cmocka_unit_test(test_int_range),
        cmocka_unit_test(test_list),
        cmocka_unit_test(test_given_twice),
        cmocka_unit_test(test_empty_value),
        cmocka_unit_test(test_double_dash),
        cmocka_unit_test(test_arguments_keep_their_order),
        cmocka_unit_test(test_stop_and_help_word),
        cmocka_unit_test(test_help_from_the_table),
        cmocka_unit_test(test_fail_line),
        cmocka_unit_test(test_extra_arg),
        cmocka_unit_test(test_short_equals_refused),
    };
    return cmocka_run_group_tests_name("opt", tests, NULL, NULL);
}
