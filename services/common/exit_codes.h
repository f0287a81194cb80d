/* exit_codes.h - the exit codes sipc's programs share, named once.
 *
 * One meaning, one code, in every program: an operator's script reads 64 as
 * a bad command line and 78 as a home, run folder or configuration that is
 * missing or bad, whichever program it ran. The values are sysexits.h's
 * (not included: tlstool names its own codes EX_*). A program's codes of its
 * own meaning sit beside its commands: tlstool's 1 to 43 (tlstool.h),
 * sipcctl's 1 to 3 (sipcctl.h), sipc-load's 1 (load.h). sipc-cluster, a
 * shell program, gives the same values (tests/harness/lib/common.sh; its
 * test compares them with these). The words each program's --help says
 * them with are below, so that the helps say one thing; docs/ say the same.
 * Constants only. */
#ifndef SIPC_CLI_EXIT_CODES_H
#define SIPC_CLI_EXIT_CODES_H

#define SIPC_EXIT_OK 0
#define SIPC_EXIT_USAGE 64       /* a bad command line (EX_USAGE) */
#define SIPC_EXIT_DATAERR 65     /* bad input data (EX_DATAERR) */
#define SIPC_EXIT_NOINPUT 66     /* an input file cannot be read (EX_NOINPUT) */
#define SIPC_EXIT_UNAVAILABLE 69 /* a node or a cluster cannot be reached (EX_UNAVAILABLE) */
#define SIPC_EXIT_SOFTWARE 70    /* an internal failure (EX_SOFTWARE) */
#define SIPC_EXIT_OSERR 71       /* the system refused a resource: a port (EX_OSERR) */
#define SIPC_EXIT_CANTCREAT 73   /* a file or folder could not be created (EX_CANTCREAT) */
#define SIPC_EXIT_TEMPFAIL 75    /* in use, or not answered in time: try again (EX_TEMPFAIL) */
#define SIPC_EXIT_PROTOCOL 76    /* the other side speaks another protocol or mode (EX_PROTOCOL) */
#define SIPC_EXIT_NOPERM 77      /* TLS, a certificate, an account (EX_NOPERM) */
#define SIPC_EXIT_CONFIG 78      /* the home, a run folder or a configuration: missing or bad
                                    (EX_CONFIG) */

/* --help's words for the code every program gives alike. */
#define SIPC_EXIT_HELP_USAGE "64 usage"

#endif
