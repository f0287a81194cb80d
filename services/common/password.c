/* password.c - getting a password from the sources password.h lists. */
#include "services/common/password.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "sipc/errno.h"

static char arg_copy[CLI_PASSWORD_BUF];

const char *cli_password_take_arg(char *arg)
{
    snprintf(arg_copy, sizeof arg_copy, "%s", arg);
    explicit_bzero(arg, strlen(arg));
    return arg_copy;
}

void cli_password_forget(void)
{
    explicit_bzero(arg_copy, sizeof arg_copy);
}

extern char **environ;

void cli_password_env_scrub(const char *name)
{
    size_t n = strlen(name);
    for (char **e = environ; e && *e; e++)
        if (!strncmp(*e, name, n) && (*e)[n] == '=')
            explicit_bzero(*e + n + 1, strlen(*e + n + 1));
    unsetenv(name);
}

static int refuse(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int refuse(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return SIPC_EINVAL;
}

/* The rule keeps passwords typeable on every keyboard and in every tool that
 * reads PKCS#12 files (Windows, Java, OpenSSL agree on printable ASCII). */
static const char *rule_broken(const char *pw)
{
    size_t n = strlen(pw);
    if (n < 8)
        return "it is shorter than 8 characters";
    if (n > CLI_PASSWORD_MAX)
        return "it is too long";
    /* which rule, never which character: the password stays unsaid */
    if (pw[n - 1] == ' ' || pw[n - 1] == '\t')
        return "it ends with a space or a tab (left at the end of a password file's line, or of "
               "the variable?)";
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)pw[i] < 0x21 || (unsigned char)pw[i] > 0x7e)
            return "it has a space, a tab, a control character or a non-ASCII character";
    return NULL;
}

/* One line from fd, without its line break, read with read(2) one byte at a
 * time: a stdio buffer would keep the password after the line is taken (and
 * glibc frees it unwiped), and nothing past the line is consumed. -1 when
 * nothing could be read, or reading failed before the line ended. */
static int read_line(int fd, char *out, size_t outlen)
{
    size_t n = 0;
    ssize_t r = 0;
    char c = 0;
    while (n + 1 < outlen) {
        r = read(fd, &c, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0 || c == '\n')
            break;
        out[n++] = c;
    }
    explicit_bzero(&c, sizeof c);
    out[n] = '\0';
    /* a read error mid-line would leave a cut password: none rather than that */
    if ((n == 0 && r <= 0) || r < 0) {
        explicit_bzero(out, n);
        return -1;
    }
    while (n && out[n - 1] == '\r')
        out[--n] = '\0';
    return 0;
}

static void say(int fd, const char *s)
{
    while (*s) {
        ssize_t w = write(fd, s, strlen(s));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        s += w;
    }
}

static int prompt_tty(const char *prompt, char *out, size_t outlen)
{
    int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct termios old, noecho;
    if (tcgetattr(fd, &old) != 0) {
        close(fd);
        return -1;
    }
    noecho = old;
    noecho.c_lflag &= (tcflag_t) ~(ECHO | ECHONL);
    noecho.c_lflag |= ICANON;
    say(fd, prompt);
    tcsetattr(fd, TCSAFLUSH, &noecho);
    int r = read_line(fd, out, outlen);
    tcsetattr(fd, TCSAFLUSH, &old);
    say(fd, "\n");
    close(fd);
    return r;
}

static int from_terminal(const cli_password *p, int confirm, char *pw, size_t pwlen, char *err,
                         size_t errlen)
{
    if (prompt_tty(p->prompt, pw, pwlen) != 0)
        return refuse(err, errlen, "cannot read the password from the terminal");
    if (!confirm)
        return 0;
    char again[CLI_PASSWORD_BUF];
    int same = prompt_tty("Repeat the password: ", again, sizeof again) == 0 && !strcmp(again, pw);
    explicit_bzero(again, sizeof again);
    return same ? 0 : refuse(err, errlen, "the passwords differ: run the command again");
}

/* Fills pw from the first source p has; 0 or a refusal in err. */
static int from_source(const cli_password *p, int confirm, char *pw, size_t pwlen, char *err,
                       size_t errlen)
{
    const char *env = p->env ? getenv(p->env) : NULL;
    if (p->file) {
        int fd = open(p->file, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            int e = errno;
            refuse(err, errlen, "cannot read the password file %s: %s", p->file, strerror(e));
            return -e;
        }
        /* warned, not refused: the password is read either way, and a
         * refusal would not make the file private */
        struct stat st;
        /* one who can write it chooses the password of what is made with it */
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077))
            fprintf(stderr,
                    "%s: warning: the password file %s can be %s by other users (mode %04o): "
                    "chmod 600 %s\n",
                    p->prog, p->file,
                    (st.st_mode & 044) && (st.st_mode & 022) ? "read and changed"
                    : (st.st_mode & 022)                     ? "changed"
                                                             : "read",
                    (unsigned)(st.st_mode & 07777), p->file);
        else if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid != geteuid())
            fprintf(stderr,
                    "%s: warning: the password file %s belongs to another user (uid %u), who can "
                    "read and change it\n",
                    p->prog, p->file, (unsigned)st.st_uid);
        errno = 0;
        int r = read_line(fd, pw, pwlen);
        int e = errno;
        close(fd);
        if (r && e && e != EINTR) { /* a directory, an I/O error: not an empty file */
            refuse(err, errlen, "cannot read the password file %s: %s", p->file, strerror(e));
            return -e;
        }
        if (r)
            return refuse(err, errlen, "the password file %s is empty", p->file);
        /* not "too short": the rest of the file is never read */
        return pw[0] ? 0
                     : refuse(err, errlen,
                              "the first line of the password file %s is empty (the password is "
                              "the file's first line)",
                              p->file);
    }
    if (p->from_stdin) {
        if (read_line(STDIN_FILENO, pw, pwlen))
            return refuse(err, errlen, "no password on standard input");
        return pw[0] ? 0
                     : refuse(err, errlen,
                              "the first line of standard input is empty (the password is its "
                              "first line)");
    }
    if (p->argument) {
        fprintf(stderr,
                "%s: warning: a password on the command line is visible to other users of this "
                "machine; prefer --password-file, --password-stdin or %s\n",
                p->prog, p->env);
        snprintf(pw, pwlen, "%s", p->argument);
        return 0;
    }
    if (env) {
        snprintf(pw, pwlen, "%s", env);
        return 0;
    }
    if (isatty(STDIN_FILENO))
        return from_terminal(p, confirm, pw, pwlen, err, errlen);
    return refuse(err, errlen,
                  "no password given: use --password-file F, --password-stdin, the environment "
                  "variable %s or run on a terminal",
                  p->env);
}

int cli_password_get(const cli_password *p, int confirm, char *pw, size_t pwlen, char *err,
                     size_t errlen)
{
    pw[0] = '\0';
    int r = from_source(p, confirm, pw, pwlen, err, errlen);
    const char *broken = r == 0 ? rule_broken(pw) : NULL;
    if (broken)
        r = refuse(err, errlen,
                   "the password must be printable ASCII without spaces, at least 8 characters "
                   "(e.g. MyPassW0RD784): %s",
                   broken);
    if (r != 0)
        explicit_bzero(pw, pwlen);
    return r;
}
