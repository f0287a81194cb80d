/* opt.c - parsing a command line and writing --help, both from the tables of
 * opt.h. */
#include "services/common/opt.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "services/common/shown_text.h"
#include "sipc/errno.h"

typedef struct scan {
    const cli_tool *tool;
    const cli_cmd *cmd; /* the command, known from the first pass */
    void *dest;         /* NULL in the first pass: nothing is stored or checked */
    int misplaced;      /* an option of another command was given */
    char misplaced_name[64]; /* the first such, as typed (without a value) */
    cli_parsed *out;
    char *err;
    size_t errlen;
    /* the options of one value given so far, and their values */
    const cli_opt *given[64];
    const char *given_value[64];
    int ngiven;
    /* the option being applied, as typed without its value: "-H", "--home" */
    const char *as;
    int aslen;
} scan;

/* A name of n characters (long, or -name when dash1), or a short letter. */
static const cli_opt *find(const cli_opt *t, const char *name, size_t n, char letter, int dash1)
{
    for (; t && t->kind != CLI_END; t++) {
        if (letter ? t->letter == letter
                   : (strlen(t->name) == n && !strncmp(t->name, name, n) &&
                      (!dash1 || (t->flags & CLI_DASH1))))
            return t;
    }
    return NULL;
}

/* The tool's options and the command's apply; another command's option is
 * found too (so that the error can say it does not apply), as is, before the
 * command is known, any command's. */
static const cli_opt *lookup(scan *s, const char *name, size_t n, char letter, int dash1)
{
    const cli_opt *o = find(s->tool->opts, name, n, letter, dash1);
    if (!o && s->cmd)
        o = find(s->cmd->opts, name, n, letter, dash1);
    if (o)
        return o;
    for (const cli_cmd *c = s->tool->cmds; c && c->name; c++)
        if ((o = find(c->opts, name, n, letter, dash1))) {
            if (s->cmd)
                s->misplaced = 1;
            return o;
        }
    return NULL;
}

static int fail(scan *s, cli_bad bad, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(scan *s, cli_bad bad, const char *fmt, ...)
{
    s->out->bad = bad;
    if (s->err && s->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(s->err, s->errlen, fmt, ap);
        va_end(ap);
    }
    return SIPC_EINVAL;
}

static int unknown_option(scan *s, const char *arg)
{
    return fail(s, CLI_BAD_OPTION, "unknown option '%s' (see %s %s%s--help)", arg, s->tool->name,
                s->cmd ? s->cmd->name : "", s->cmd ? " " : "");
}

/* Stores value (NULL for a flag) where o says. */
static int apply(scan *s, const cli_opt *o, const char *value)
{
    if (!s->dest)
        return 0;
    char *field = (char *)s->dest + o->offset;
    /* an unset shell variable must not pick the default home or node; the
     * option named as typed (-H, --home), as cli_given_as names it */
    if ((o->flags & CLI_NONEMPTY) && value && !value[0])
        return fail(s, CLI_BAD_VALUE, "%.*s needs a value: it is empty", s->aslen, s->as);
    /* an option of one value given twice: taking either would hide a
     * mistake (two --expect-mode, a wrapper's --home and the user's) */
    if (o->kind == CLI_STRING || o->kind == CLI_INT) {
        for (int i = 0; i < s->ngiven; i++)
            if (s->given[i] == o)
                return fail(s, CLI_BAD_OPTION, "--%s given twice ('%s', then '%s'): give it once",
                            o->name, s->given_value[i], value);
        if (s->ngiven < (int)(sizeof s->given / sizeof s->given[0])) {
            s->given[s->ngiven] = o;
            s->given_value[s->ngiven++] = value;
        }
        cli_parsed *p = s->out;
        if (p->ngiven < CLI_GIVEN_MAX) {
            p->given[p->ngiven] = o;
            snprintf(p->given_as[p->ngiven++], sizeof p->given_as[0], "%.*s", s->aslen, s->as);
        }
    }
    switch (o->kind) {
    case CLI_FLAG:
        *(int *)field = 1;
        break;
    case CLI_HELP:
        s->out->help = 1;
        break;
    case CLI_STRING:
        *(const char **)field = value;
        break;
    case CLI_LIST: {
        cli_list *l = (cli_list *)field;
        int cap = o->max > 0 && o->max < CLI_LIST_MAX ? (int)o->max : CLI_LIST_MAX;
        if (l->n >= cap)
            return fail(s, CLI_BAD_VALUE, "--%s may be given at most %d times", o->name, cap);
        l->items[l->n++] = value;
        break;
    }
    case CLI_INT: {
        char *end;
        errno = 0;
        long v = strtol(value, &end, 10);
        if (errno || end == value || *end || v < o->min || v > o->max) {
            if (o->bad)
                return fail(s, CLI_BAD_VALUE, "%s", o->bad);
            return fail(s, CLI_BAD_VALUE, "--%s must be a number between %ld and %ld", o->name,
                        o->min, o->max);
        }
        *(int *)field = (int)v;
        break;
    }
    case CLI_END:
        break;
    }
    return 0;
}

static int takes_value(const cli_opt *o)
{
    return o->kind == CLI_STRING || o->kind == CLI_INT || o->kind == CLI_LIST;
}

/* Whether table t has the option a word names: --name or -name (dash1), or
 * its short letter (0: none). */
static int names_option(const cli_opt *t, const char *name, size_t n, int dash1, char letter)
{
    return find(t, name, n, 0, dash1) != NULL || (letter && find(t, NULL, 0, letter, 0) != NULL);
}

/* The separate value of an option taking one: argv[*i + 1], unless there is
 * none or it reads as an option: --name or -x... starting with a letter,
 * whether or not this tool has such an option (`--home --json` or `--home
 * -j` lacks the home in every tool alike; taking the word would turn a
 * usage mistake into a missing home or an unreachable node). -1 and - stay
 * values; a value that starts like an option is given as --name=VALUE.
 * *unknown: the word names no option of the tool (the error says how to
 * give it as the value). */
static const char *separate_value(const scan *s, int argc, char **argv, int *i, int *unknown)
{
    *unknown = 0;
    if (*i + 1 >= argc)
        return NULL;
    const char *a = argv[*i + 1];
    int dash1 = a[0] == '-' && a[1] != '-';
    const char *name = a + (dash1 ? 1 : 2);
    if (a[0] == '-' && isalpha((unsigned char)name[0])) {
        const char *eq = strchr(name, '=');
        size_t n = eq ? (size_t)(eq - name) : strlen(name);
        char letter = dash1 && !a[2] ? a[1] : 0;
        int known = names_option(s->tool->opts, name, n, dash1, letter);
        for (const cli_cmd *c = s->tool->cmds; !known && c && c->name; c++)
            known = names_option(c->opts, name, n, dash1, letter);
        *unknown = !known;
        return NULL;
    }
    return argv[++*i];
}

/* "--home needs a value", and when the word in its place names no option,
 * how to give that word as the value. */
static int needs_value(scan *s, const cli_opt *o, const char *opt, int optlen, int argc,
                       char **argv, int i, int unknown)
{
    if (unknown && i + 1 < argc)
        return fail(s, CLI_BAD_OPTION,
                    "%.*s needs a value: '%s' reads as an option (to give it as the value, "
                    "write --%s=%s)",
                    optlen, opt, argv[i + 1], o->name, argv[i + 1]);
    return fail(s, CLI_BAD_OPTION, "%.*s needs a value", optlen, opt);
}

/* Handles the option at argv[*i] (a long or -name form: dashes already
 * skipped in name); advances *i past a separate value. */
static int long_option(scan *s, int argc, char **argv, int *i, const char *name, int dash1,
                       const cli_opt **found)
{
    const char *arg = argv[*i];
    const char *eq = strchr(name, '=');
    size_t n = eq ? (size_t)(eq - name) : strlen(name);
    const cli_opt *o = lookup(s, name, n, 0, dash1);
    *found = o;
    if (!o)
        return dash1 ? 1 : (s->dest ? unknown_option(s, arg) : 0); /* 1: try short */
    if (s->misplaced && !s->misplaced_name[0])
        snprintf(s->misplaced_name, sizeof s->misplaced_name, "%.*s", (int)(name - arg + n), arg);
    const char *value = NULL;
    if (takes_value(o)) {
        int unknown = 0;
        if (eq)
            value = eq + 1;
        else
            value = separate_value(s, argc, argv, i, &unknown);
        if (!value && s->dest)
            return needs_value(s, o, arg, (int)(name - arg + n), argc, argv, *i, unknown);
    } else if (eq && s->dest) {
        return fail(s, CLI_BAD_OPTION, "%.*s takes no value", (int)(name - arg + n), arg);
    }
    s->as = arg;
    s->aslen = (int)(name - arg + n);
    return apply(s, o, value);
}

/* -abc: short flags, the last of which may take a value (-t5000, -t 5000). */
static int short_options(scan *s, int argc, char **argv, int *i, const cli_opt **last)
{
    const char *arg = argv[*i];
    for (size_t j = 1; arg[j]; j++) {
        const cli_opt *o = lookup(s, NULL, 0, arg[j], 0);
        *last = o;
        if (!o)
            return s->dest ? unknown_option(s, arg) : 0;
        if (s->misplaced && !s->misplaced_name[0])
            snprintf(s->misplaced_name, sizeof s->misplaced_name, "-%c", arg[j]);
        if (!takes_value(o)) {
            int r = apply(s, o, NULL);
            if (r || (o->flags & CLI_STOP))
                return r;
            continue;
        }
        const char *value = NULL;
        int unknown = 0;
        if (arg[j + 1] == '=' && s->dest) {
            /* -H=/x is no -H /x: the value would start with '=' (a home
             * named "=/x"); say both ways the user may have meant */
            const char *v = arg[j + 2] ? arg + j + 2 : o->arg ? o->arg : "VALUE";
            return fail(s, CLI_BAD_OPTION, "%s: write '-%c %s' or '--%s=%s'", arg, arg[j], v,
                        o->name, v);
        }
        if (arg[j + 1])
            value = arg + j + 1;
        else
            value = separate_value(s, argc, argv, i, &unknown);
        if (!value && s->dest) {
            char opt[3] = {'-', arg[j], '\0'};
            return needs_value(s, o, opt, 2, argc, argv, *i, unknown);
        }
        char opt[3] = {'-', arg[j], '\0'};
        s->as = opt;
        s->aslen = 2;
        return apply(s, o, value);
    }
    return 0;
}

static const cli_cmd *command_named(const cli_tool *tool, const char *name)
{
    for (const cli_cmd *c = tool->cmds; c && c->name; c++)
        if (!strcmp(c->name, name))
            return c;
    return NULL;
}

/* A command's first argument must be one of its sub-commands: `tool cmd
 * bogus --help` is a mistake, not a request for help. */
static int check_sub(scan *s, const cli_cmd *c, const char *word)
{
    char list[200] = "";
    size_t w = 0;
    for (int i = 0; c->subs[i]; i++) {
        if (!strcmp(c->subs[i], word))
            return 0;
        if (w < sizeof list)
            w += (size_t)snprintf(list + w, sizeof list - w, "%s%s",
                                  !i ? "" : c->subs[i + 1] ? ", " : " or ", c->subs[i]);
    }
    return fail(s, CLI_BAD_COMMAND, "unknown %s command '%s': use %s (see %s %s --help)", c->name,
                word, list, s->tool->name, c->name);
}

/* One walk over argv. In the first pass (s->dest NULL) it only finds the
 * command word and returns its index in *cmd_at. */
static int walk(scan *s, int argc, char **argv, int *cmd_at)
{
    int literal = 0, have_cmd = 0;
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        if (!literal && a[0] == '-' && a[1] != '\0') {
            const cli_opt *o = NULL;
            int r;
            if (!strcmp(a, "--")) {
                literal = 1;
                continue;
            }
            if (a[1] == '-') {
                r = long_option(s, argc, argv, &i, a + 2, 0, &o);
            } else {
                r = long_option(s, argc, argv, &i, a + 1, 1, &o);
                if (r == 1)
                    r = short_options(s, argc, argv, &i, &o);
            }
            if (r)
                return r;
            if (s->dest && o && (o->flags & CLI_STOP)) {
                s->out->stop = o;
                return 0;
            }
            continue;
        }
        int help_word = !literal && !strcmp(a, "help");
        if (help_word && s->tool->help_word == CLI_HELP_WORD_ANY) {
            s->out->help = s->dest != NULL;
            continue;
        }
        if (s->tool->cmds && !have_cmd) {
            have_cmd = 1;
            if (!s->dest) {
                *cmd_at = i;
                return 0;
            }
            if (help_word && s->tool->help_word == CLI_HELP_WORD_COMMAND) {
                s->out->help = 1;
                continue;
            }
            if (!s->cmd)
                return fail(s, CLI_BAD_COMMAND, "unknown command '%s' (see %s --help)", a,
                            s->tool->name);
            s->out->cmd = s->cmd;
            continue;
        }
        if (s->dest)
            s->out->args[s->out->nargs++] = a;
    }
    return 0;
}

int cli_parse(const cli_tool *tool, int argc, char **argv, void *dest, cli_parsed *out, char *err,
              size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->args = argv + 1;
    if (err && errlen)
        err[0] = '\0';
    scan s = {tool, NULL, NULL, 0, "", out, err, errlen, {NULL}, {NULL}, 0, "", 0};
    if (tool->cmds) {
        /* options may precede the command: find it first, so that each
         * option is judged against the command it is given to */
        int at = 0;
        walk(&s, argc, argv, &at);
        if (at)
            s.cmd = command_named(tool, argv[at]);
    }
    s.dest = dest;
    int r = walk(&s, argc, argv, NULL);
    if (r == 0 && !out->stop && out->cmd && out->cmd->subs && out->nargs > 0)
        r = check_sub(&s, out->cmd, out->args[0]);
    if (r == 0 && s.misplaced && !out->help && !out->stop)
        r = fail(&s, CLI_BAD_PLACE, "option '%s' does not apply to '%s' (see %s %s --help)",
                 s.misplaced_name, s.cmd->name, tool->name, s.cmd->name);
    return r;
}

const char *cli_given_as(const cli_parsed *p, const char *name, char *buf, size_t buflen)
{
    for (int i = p->ngiven - 1; i >= 0; i--)
        if (!strcmp(p->given[i]->name, name)) {
            snprintf(buf, buflen, "%s", p->given_as[i]);
            return buf;
        }
    snprintf(buf, buflen, "--%s", name);
    return buf;
}

/* ------------------------------------------------------------------ help */

/* Labels up to this long share one column; a longer one has its text below. */
enum { OPT_LABEL_MAX = 24, CMD_LABEL_MAX = 30 };

static void opt_label(const cli_opt *o, char *buf, size_t n)
{
    int k = 0;
    if (o->letter)
        k += snprintf(buf + k, n - (size_t)k, "-%c, ", o->letter);
    if (o->flags & CLI_DASH1)
        k += snprintf(buf + k, n - (size_t)k, "-%s, ", o->name);
    snprintf(buf + k, n - (size_t)k, "--%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
}

static void cmd_label(const cli_cmd *c, char *buf, size_t n)
{
    snprintf(buf, n, "%s%s%s", c->name, c->args && c->args[0] ? " " : "", c->args ? c->args : "");
}

/* "  label   text", the text's further lines under its first; a label longer
 * than width puts the text on the next line. */
static void column(FILE *out, const char *label, int width, const char *text)
{
    int len = (int)strlen(label);
    fprintf(out, "  %s", label);
    if (len > width)
        fprintf(out, "\n%*s", width + 4, "");
    else
        fprintf(out, "%*s", width - len + 2, "");
    for (const char *p = text; *p; p++) {
        fputc(*p, out);
        if (*p == '\n' && p[1])
            fprintf(out, "%*s", width + 4, "");
    }
    fputc('\n', out);
}

static int fit(int len, int width, int most)
{
    return len > width && len <= most ? len : width;
}

static void options(FILE *out, const char *title, const cli_opt *t)
{
    if (!t || t->kind == CLI_END)
        return;
    char label[128];
    int width = 0;
    for (const cli_opt *o = t; o->kind != CLI_END; o++) {
        opt_label(o, label, sizeof label);
        width = fit((int)strlen(label), width, OPT_LABEL_MAX);
    }
    fprintf(out, "\n%s\n", title);
    for (const cli_opt *o = t; o->kind != CLI_END; o++) {
        opt_label(o, label, sizeof label);
        column(out, label, width, o->help);
    }
}

static void text(FILE *out, const char *s, int blank_before)
{
    if (!s)
        return;
    if (blank_before)
        fputc('\n', out);
    fputs(s, out);
}

void cli_help(FILE *out, const cli_tool *tool, const cli_cmd *cmd)
{
    if (cmd) {
        int own = cmd->opts && cmd->opts->kind != CLI_END;
        fprintf(out, "%s %s %s%s%s%s\n", tool->usage_label, tool->name, cmd->name,
                cmd->args && cmd->args[0] ? " " : "", cmd->args ? cmd->args : "",
                own ? " [OPTIONS]" : "");
        if (cmd->about)
            text(out, cmd->about, 0);
        else
            fprintf(out, "%s\n", cmd->summary);
        options(out, "Options:", cmd->opts);
        options(out, "Options of every command:", tool->opts);
        return;
    }
    fprintf(out, "%s %s %s\n", tool->usage_label, tool->name, tool->synopsis);
    text(out, tool->about, 1);
    if (tool->cmds) {
        char label[160];
        int width = 0;
        for (const cli_cmd *c = tool->cmds; c->name; c++) {
            cmd_label(c, label, sizeof label);
            width = fit((int)strlen(label), width, CMD_LABEL_MAX);
        }
        fprintf(out, "\nCommands:\n");
        for (const cli_cmd *c = tool->cmds; c->name; c++) {
            cmd_label(c, label, sizeof label);
            column(out, label, width, c->summary);
        }
    }
    options(out, "Options:", tool->opts);
    text(out, tool->epilog, 1);
}

const char *cli_usage_text(const cli_tool *tool, const cli_parsed *p, const char *err, char *buf,
                           size_t buflen)
{
    /* one line naming the help to read: the whole help would bury the
     * message (a bad value's message gives the range itself) */
    if (p->bad != CLI_BAD_OPTION || strstr(err, "--help"))
        snprintf(buf, buflen, "%s", err);
    else
        snprintf(buf, buflen, "%s (see %s %s%s--help)", err, tool->name, p->cmd ? p->cmd->name : "",
                 p->cmd ? " " : "");
    return buf;
}

int cli_extra_arg(const cli_tool *tool, const cli_cmd *cmd, char *const *args, int nargs, int max,
                  int echo, char *buf, size_t buflen)
{
    if (nargs <= max)
        return 0;
    /* a sub-command is part of the name the mistake is made to */
    int sub = cmd->subs && nargs > 0 && max > 0;
    char what[300];
    if (echo) {
        snprintf(what, sizeof what, "argument '%s'", args[max]);
    } else {
        /* its position only: the word may be a password put in the wrong place */
        static const char *const nth[] = {"first", "second", "third", "fourth", "fifth",
                                          "sixth", "seventh", "eighth", "ninth", "tenth"};
        int pos = max - sub; /* 0-based, after the sub-command */
        if (pos < 10)
            snprintf(what, sizeof what, "%s argument", nth[pos]);
        else
            snprintf(what, sizeof what, "argument number %d", pos + 1);
    }
    snprintf(buf, buflen, "unexpected %s to %s%s%s (see %s %s --help)", what, cmd->name, sub ? " " : "", sub ? args[0] : "", tool->name, cmd->name);
    return 1;
}

void cli_usage_error(const cli_tool *tool, const cli_parsed *p, const char *err)
{
    char line[700];
    fprintf(stderr, "%s: %s\n", tool->name, cli_usage_text(tool, p, err, line, sizeof line));
}

static void say(FILE *f, int one_line, const char *who, const char *fmt, va_list ap)
{
    char *text = NULL, *shown = NULL;
    int n = vasprintf(&text, fmt, ap);
    fprintf(f, "%s: ", who);
    /* what came from outside (a path, a node's words, a certificate's name)
     * shown as the logs and every other line show it, its lines kept
     * unless it is one line's (each byte takes at most 4, "\xNN") */
    if (n >= 0 && one_line && (shown = malloc(4 * (size_t)n + 6)) != NULL) {
        cli_shown_n(text, (size_t)n, shown, 4 * (size_t)n + 6);
        fputs(shown, f);
    } else if (n < 0 || one_line || cli_shown_lines(f, text, (size_t)n) != 0) {
        fputs("out of memory", f);
    }
    fputc('\n', f);
    free(shown);
    free(text);
}

int cli_fail(const char *who, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say(stderr, 0, who, fmt, ap);
    va_end(ap);
    return code;
}

int cli_fail_line(const char *who, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say(stderr, 1, who, fmt, ap);
    va_end(ap);
    return code;
}

void cli_say(FILE *f, const char *who, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say(f, 0, who, fmt, ap);
    va_end(ap);
}

void cli_say_line(FILE *f, const char *who, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say(f, 1, who, fmt, ap);
    va_end(ap);
}
