/* password.h - where a program gets a secret from, without it ever showing in
 * argv, a log or a file: --password-file, --password-stdin, an argument
 * (blanked from argv at once, with a warning), an environment variable or a
 * prompt on the terminal without echo. */
#ifndef SIPC_CLI_PASSWORD_H
#define SIPC_CLI_PASSWORD_H

#include <stddef.h>

typedef struct cli_password {
    /* set by the program */
    const char *prog;   /* names the program in the warning about argv */
    const char *env;    /* the environment variable consulted, e.g. "SIPC_PFX_PASSWORD" */
    const char *prompt; /* the terminal prompt, e.g. "PKCS#12 password: " */
    /* set by the options (CLI_PASSWORD_OPTS in opt.h) */
    const char *file;
    int from_stdin;
    /* set by cli_password_take_arg */
    const char *argument;
} cli_password;

/* The two options that name a password source, as entries of an option
 * table (services/common/opt.h); S is the caller's struct, F its
 * cli_password field. */
#define CLI_PASSWORD_OPTS(S, F)                                                                 \
    {"password-file", 0, CLI_STRING, "F", "read the password from the first line of F",         \
     offsetof(S, F.file), CLI_NONEMPTY, 0, 0, NULL},                                                       \
    {"password-stdin", 0, CLI_FLAG, NULL, "read the password from standard input",              \
     offsetof(S, F.from_stdin), 0, 0, 0, NULL}

/* The longest password accepted, and the buffer cli_password_get fills. */
enum { CLI_PASSWORD_MAX = 1024, CLI_PASSWORD_BUF = 1100 };

/* Keeps a copy of a password given as an argument and blanks arg in place,
 * so that it no longer shows in /proc/<pid>/cmdline and ps. Returns the copy,
 * valid until cli_password_forget(). One argument per process. */
const char *cli_password_take_arg(char *arg);
/* Wipes that copy. */
void cli_password_forget(void);
/* Overwrites the value of the environment variable name in place, then
 * removes it: for a program that never reads a password (sipcd) but may be
 * started from a shell that exported one for tlstool. unsetenv alone leaves
 * the bytes where /proc/<pid>/environ shows them. */
void cli_password_env_scrub(const char *name);

/* Fills pw (CLI_PASSWORD_BUF bytes) from the first source p has: the file,
 * standard input, the argument (warning on stderr that argv is visible), the
 * environment variable, the terminal (asked twice when confirm). The password
 * must be printable ASCII without spaces, 8 to CLI_PASSWORD_MAX characters.
 * Returns 0; minus the errno when the password file cannot be opened or
 * read (err names the file and why); else SIPC_EINVAL (no password, an empty
 * file, the rule broken) with the reason and the fix in err. */
int cli_password_get(const cli_password *p, int confirm, char *pw, size_t pwlen, char *err,
                     size_t errlen);

#endif
