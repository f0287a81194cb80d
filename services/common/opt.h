/* opt.h - the command line of sipc's programs, from one declarative table.
 *
 * A program describes its options (name, short letter, argument, help text and
 * the field of its own options struct that receives the value) and, when it
 * has commands, a table of commands each with its own options. The same
 * tables drive parsing (cli_parse) and the generated --help text (cli_help),
 * so an option cannot be accepted without being documented.
 *
 * Accepted forms: --name VALUE, --name=VALUE, -x VALUE, -xVALUE (but not
 * -x=VALUE, refused as a usage error that says both forms), clustered
 * short flags (-vh), -name for options marked CLI_DASH1 (as OpenSSL spells
 * them), options before or after the command, and -- to end the options.
 * A separate VALUE that reads as an option (a dash and a letter, or two
 * dashes and a letter: --json, -j, -x, whether the tool has it or not) is
 * not taken: the option lacks its value; --name=VALUE takes any. */
#ifndef SIPC_CLI_OPT_H
#define SIPC_CLI_OPT_H

#include <stddef.h>
#include <stdio.h>

typedef enum {
    CLI_END = 0, /* ends a table */
    CLI_FLAG,    /* int field set to 1 */
    CLI_STRING,  /* const char * field set to the argument */
    CLI_INT,     /* int field: a decimal number within [min, max] */
    CLI_LIST,    /* cli_list field: each occurrence appends its argument (at most
                    CLI_LIST_MAX; max, when set, is a lower limit) */
    CLI_HELP     /* asks for help: cli_parsed.help is set */
} cli_kind;

enum {
    CLI_DASH1 = 1, /* also accepted as -name */
    CLI_STOP = 2,  /* parsing ends right after this option (--version) */
    CLI_NONEMPTY = 4 /* CLI_STRING, CLI_LIST: an empty value (--home= or --home "$UNSET")
                        is a usage error, never "not given" */
};

#define CLI_LIST_MAX 64
/* The field of a CLI_LIST option: its arguments in the order given. */
typedef struct cli_list {
    const char *items[CLI_LIST_MAX];
    int n;
} cli_list;

typedef struct cli_opt {
    const char *name;  /* long name, without dashes */
    char letter;       /* short form -x, or 0 */
    cli_kind kind;
    const char *arg;   /* the argument's name in the help (CLI_STRING, CLI_INT, CLI_LIST) */
    const char *help;  /* one or more lines ('\n' continues the text) */
    size_t offset;     /* offsetof() the field in the caller's struct */
    int flags;         /* CLI_DASH1, CLI_STOP, CLI_NONEMPTY */
    long min, max;     /* CLI_INT range; CLI_LIST: offsetof its count, capacity */
    const char *bad;   /* CLI_INT: the whole error text when out of range
                          (default: "--NAME must be a number between MIN and MAX") */
} cli_opt;

typedef struct cli_cmd {
    const char *name;
    const char *args;    /* what follows the name in the usage line */
    const char *summary; /* for the program's command list */
    const char *about;   /* paragraph(s) of the command's --help, or NULL */
    const cli_opt *opts; /* the command's own options, or NULL */
    int (*run)(void *o); /* the handler; o is the caller's options struct */
    const char *const *subs; /* its sub-commands (NULL-terminated): the first
                                argument must be one, even with --help; or NULL */
} cli_cmd;

typedef enum {
    CLI_HELP_WORD_NONE = 0,
    CLI_HELP_WORD_COMMAND, /* `tool help` is `tool --help` */
    CLI_HELP_WORD_ANY      /* a `help` argument anywhere (before --) asks for help */
} cli_help_word;

typedef struct cli_tool {
    const char *name;
    const char *usage_label; /* "usage:" or "Usage:" */
    const char *synopsis;    /* what follows the name in the usage line */
    const char *about;       /* text between the usage line and the commands, or NULL */
    const char *epilog;      /* text after the options, or NULL */
    const cli_opt *opts;     /* options of every command (--home, --help) */
    const cli_cmd *cmds;     /* NULL-name terminated, or NULL: no commands */
    cli_help_word help_word;
} cli_tool;

/* What a failed parse stumbled on. */
typedef enum {
    CLI_BAD_NONE = 0,
    CLI_BAD_OPTION,  /* unknown, without its value, with a value it does not take, or (one
                        of CLI_STRING, CLI_INT) given twice */
    CLI_BAD_VALUE,   /* a CLI_INT out of range, a CLI_LIST given too often */
    CLI_BAD_COMMAND, /* unknown command or sub-command */
    CLI_BAD_PLACE    /* an option of another command */
} cli_bad;

#define CLI_GIVEN_MAX 16
typedef struct cli_parsed {
    const cli_cmd *cmd;   /* NULL: none given, or the tool has no commands */
    int help;             /* --help (or the help word) was given */
    const cli_opt *stop;  /* the CLI_STOP option that ended parsing, or NULL */
    char **args;          /* the remaining arguments, in order */
    int nargs;
    cli_bad bad;          /* on failure: what kind of mistake */
    /* the options of one value given (CLI_STRING, CLI_INT), each as typed
     * without its value ("-H", "--home", "-name"), for cli_given_as */
    const cli_opt *given[CLI_GIVEN_MAX];
    char given_as[CLI_GIVEN_MAX][40];
    int ngiven;
} cli_parsed;

/* Parses argv[1..argc-1] into the struct at dest and out. The arguments that
 * are neither options, their values nor the command are moved, in order, to
 * the front of argv + 1 (out->args). Returns 0, or SIPC_EINVAL with one line
 * in err and its kind in out->bad: "unknown option '--x' (see tool cmd
 * --help)", "--home needs a value", "-H=/x: write '-H /x' or '--home=/x'",
 * "--force takes no value", a CLI_INT out of
 * range, "--home needs a value: it is empty" (CLI_NONEMPTY; the option named as
 * typed: "-H needs a value: it is empty"), "unknown command
 * 'x' (see tool --help)", "--node given twice ('a', then 'b'): give it once"
 * (a CLI_STRING or CLI_INT; only a CLI_LIST takes several values), "unknown
 * cmd command 'x': use a, b or c (see tool
 * cmd --help)" (a sub-command, checked with --help too) or "option '--x' does not apply to 'cmd' (see tool cmd --help)"; the
 * last is no error when help was asked for. Options are applied as they come, so the first mistake is the
 * one reported. Options of one name in several commands must agree on taking
 * a value (the command is looked for before it is known). */
int cli_parse(const cli_tool *tool, int argc, char **argv, void *dest, cli_parsed *out, char *err,
              size_t errlen);

/* How option name (its long name) was typed, without its value, in buf:
 * "-H", "--home" or "-home", so that a message about its value names what
 * the user wrote; "--name" when it was not given. Returns buf. */
const char *cli_given_as(const cli_parsed *p, const char *name, char *buf, size_t buflen);

/* Writes the --help text of cmd, or of the tool when cmd is NULL: usage line,
 * about, commands with their summaries, every option with its help, epilog. */
void cli_help(FILE *out, const cli_tool *tool, const cli_cmd *cmd);

/* The one line that reports a failed parse: err, and for a mistaken option
 * a pointer to the command's --help (the tool's, before any command) unless
 * err names one already; in buf, returned. */
const char *cli_usage_text(const cli_tool *tool, const cli_parsed *p, const char *err, char *buf,
                           size_t buflen);
/* Whether the command got more than max arguments (args, nargs; a command
 * with sub-commands counts the sub-command as its first). Then 1 and one line
 * in buf naming the first one too many: with echo, by its value ("unexpected
 * argument 'b' to ping (see sipcctl ping --help)"); without, by its position
 * only, for a tool whose arguments may be passwords ("unexpected third
 * argument to verify (see tlstool verify --help)", "unexpected second
 * argument to trust add (see tlstool trust --help)", counted after the
 * sub-command); else 0. A missing argument is each command's own message. */
int cli_extra_arg(const cli_tool *tool, const cli_cmd *cmd, char *const *args, int nargs, int max,
                  int echo, char *buf, size_t buflen);

/* Reports a failed parse: "tool: <cli_usage_text>" on stderr. */
void cli_usage_error(const cli_tool *tool, const cli_parsed *p, const char *err);

/* Reports a failure as every sipc program does: one line "<who>: <message>"
 * on stderr, who being the program's name (and, for some, more: "tlstool:
 * error"), the message shown as cli_shown shows text (err_line.h: a byte that
 * is not printable UTF-8, of a path or a node's words, as \xNN; its '\n's
 * kept). Returns code, the exit code that goes with it, so that a command
 * ends with `return cli_fail("sipcctl", EX_USAGE, "...", ...)`. Each program
 * binds its who once, in a macro of its own header (fail, ctl_fail,
 * load_fail). */
int cli_fail(const char *who, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* cli_fail on one line: a newline in the message is shown as \x0a too (a
 * program whose every failure is one line, while a path or the library's
 * words in it may hold a newline). */
int cli_fail_line(const char *who, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same for a line that is no failure (a warning), on f: "<who>:
 * <message>", shown so. */
void cli_say(FILE *f, const char *who, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* ... on one line: a newline in the message is shown as \x0a too (a line
 * that names a path, which may hold one). */
void cli_say_line(FILE *f, const char *who, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
