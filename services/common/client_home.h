/* client_home.h - whether a home is client-only: one that holds the
 * cluster's pair for dialing its nodes but runs no node of its own
 * (docs/operator-guide.md, 1.3). sipcctl and tlstool decide here, and
 * only here, so that no command gives a node's advice in a client's home,
 * nor a client's in a node's. */
#ifndef SIPC_CLI_CLIENT_HOME_H
#define SIPC_CLI_CLIENT_HOME_H

#include "sipc/node.h"

/* The rule, as the programs' messages give it in parentheses. */
#define SIPC_CLI_CLIENT_ONLY_RULE                                                              \
    "no [node] key in its sipc.conf, its [cluster] nodes all others, and no sipcd running "    \
    "or ever run from it (no state/): docs/operator-guide.md, 1.3"

/* Whether cfg's home (cfg->home) is client-only: all of
 * - its sipc.conf sets no [node] key (cfg->node_line is 0);
 * - it lists [cluster] nodes, and none of them is its own node by [node]'s
 *   defaults (sipc_config_node_is_self: 127.0.0.1 at its [data] port);
 * - it has no state/ directory, which every sipcd run from it made;
 * - no sipcd runs from it (its lock is free; a lock that cannot be read
 *   leaves that open, and the home is not taken for a client's).
 * Anything else is a node's home, its node running or stopped (a home
 * without sipc.conf is one, a node on the defaults): its operator is told
 * to start that node and to reload it, never to give --node. */
int sipc_cli_home_client_only(const sipc_config *cfg);

/* Whom a home's pair, trust and rotation serve, as a message names them,
 * chosen by the rule above and nowhere else: a node's home its node, a
 * client-only home its clients (sipcctl, programs linking sipc). */
typedef struct sipc_cli_home_words {
    int client;        /* sipc_cli_home_client_only */
    const char *here;  /* whose pair or state it is: "this node" / "this home" */
    const char *heres; /* the same as an owner: "this node's" / "this home's" */
    const char *users; /* who presents the pair, dials and is refused or cut off:
                          "this node" / "this home's clients" */
} sipc_cli_home_words;

/* The words for cfg's home. */
sipc_cli_home_words sipc_cli_home_words_of(const sipc_config *cfg);
/* The same for the home at path, its sipc.conf read quietly; a node's
 * words when it cannot be read (the command says that failure itself). */
sipc_cli_home_words sipc_cli_home_words_at(const char *home);

#endif
