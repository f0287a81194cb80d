/* verify_exit.h - tlstool's exit code for each verification status (the
 * table "Exit codes" in docs/tlstool.md). */
#ifndef SIPC_TLSTOOL_VERIFY_EXIT_H
#define SIPC_TLSTOOL_VERIFY_EXIT_H

#include "certs/trust.h"

/* 0 only for SIPC_VFY_OK; 20..38 for the failures, 1 for an unknown status. */
int tlstool_verify_exit_code(sipc_vfy_status s);

#endif
