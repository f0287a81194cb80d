/* home_dial.h - how a command-line client on a node's machine (sipcctl,
 * tlstool's --reload, status and import) dials that home's own node: as the
 * node runs, which its sipcd writes to state/tls-running
 * (ipc/node/home_lock_read.h), where that differs from what the home says.
 * A home changes before its node does (tlstool enable or disable without
 * --reload); a node known to run TLS is never asked in plaintext, and what
 * answers it so is not that node. */
#ifndef SIPC_CLI_HOME_DIAL_H
#define SIPC_CLI_HOME_DIAL_H

#include <stddef.h>

#include "sipc/node.h"

/* The client security for a dial from cfg's home (sipc_security_load_client
 * as the home says), set by the mode its node runs (running: a
 * sipc_tls_mode from sipc__home_tls_running, -1 when it cannot be told):
 * - toward the home's own node (home_node) known to run TLS: TLS only,
 *   whatever the home says; a TLS client that cannot be loaded is the
 *   error, never a plaintext dial;
 * - the home set to TLS while its node runs TLS off (the change not
 *   applied): TLS offered first and a plaintext answer taken, as that
 *   node's own links dial, toward any node;
 * - unknown_off: a mode that cannot be told is taken as TLS off, for a
 *   client that applies the home's change to its node (tlstool --reload);
 *   else the home's rule stands (sipcctl: TLS only under enable = 1).
 * Where the home is set to TLS, a trust that TLS refuses is that reason
 * (err), never a silent plaintext dial. 0; 1 when the home says TLS and
 * the dial takes a plaintext answer all the same (said by the caller, in
 * its words); or a negative sipc code with err. */
int sipc_cli_home_dial_security(const sipc_config *cfg, int home_node, int running, int unknown_off,
                                sipc_security **sec, char *err, size_t errlen);

/* What a plaintext answer at target from the home's own node means when
 * that node is known to run TLS (sipc__home_tls_running, lock holder pid):
 * not that node, and prog does not fall back to plaintext toward it. Then 1
 * and " (this home's node, sipcd pid N, runs TLS MODE, ...: what answered
 * in plaintext at TARGET is not it ...)" in fix, naming the [service] port
 * to compare; else 0 and fix untouched. */
int sipc_cli_home_plaintext_impostor(const char *prog, const sipc_config *cfg, const char *target,
                                     const char *service, char *fix, size_t flen);

#endif
