/* home_subject.h - a command-line client (sipcctl, tlstool --reload) that
 * runs from a node's home judges the node by that home's [tls] subject: when
 * an edit there is what is wrong, the home is named, not the node. */
#ifndef SIPC_CLI_HOME_SUBJECT_H
#define SIPC_CLI_HOME_SUBJECT_H

#include <stddef.h>

#include "sipc/node.h"

/* Whether this home's own certificate lacks this home's [tls] subject (as
 * sec judges it; never with TLS off): then 1 and "this home's [tls] subject
 * (HOME/sipc.conf line N) does not match this home's own certificate: <the
 * verifier's reason>" in why; else 0. A client that will present this
 * certificate to a node of the same home knows the answer before dialing. */
int sipc_cli_home_subject_wrong(const sipc_security *sec, const sipc_config *cfg, char *why,
                                size_t len);

/* Whether a call that failed with err failed because this home's own [tls]
 * subject is wrong: the node's certificate was refused by sec for its
 * subject, and this home's own certificate (the cluster's pair) does not
 * carry it either. Then 1 and, unless why is NULL, "this home's [tls]
 * subject (HOME/sipc.conf line N) does not match this home's own
 * certificate: <the verifier's reason>" in why (with peer_reason, the
 * refusal's detail, when it says something else); else 0. */
int sipc_cli_home_subject_fault(const sipc_security *sec, const sipc_config *cfg, int err,
                                const char *peer_reason, char *why, size_t len);

#endif
