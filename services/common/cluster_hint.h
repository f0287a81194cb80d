/* cluster_hint.h - a command-line client (sipcctl, tlstool --reload) that a
 * node turned away for being of another cluster (SIPC_ECLUSTER) says what to
 * change in its own home: the line of sipc.conf that names its cluster, or
 * where to add one, with the node's name as sipc.conf must hold it. */
#ifndef SIPC_CLI_CLUSTER_HINT_H
#define SIPC_CLI_CLUSTER_HINT_H

#include <stddef.h>

#include "sipc/node.h"

/* The fix for this home (cfg) to reach a node of cluster theirs (what the
 * node's hello named: sipc_link_info's peer_cluster; "" or NULL when no hello
 * came; theirs_cut: its peer_cluster_cut, the hello's name was longer and
 * theirs is its start), to append to the failure's line, in fix: "; is it
 * the node you meant? It is in cluster 'b': if not, correct the address; if
 * so, this home's [cluster] name is 'a' (HOME/sipc.conf line 4): write `name
 * = b` on that line to reach the node" (without the question when no hello
 * named the node's cluster), "; this home's [cluster] name is not set (the
 * default 'sipc'): add `name = b` under [cluster] in HOME/sipc.conf to reach
 * the node" (without that section: "add a [cluster] section with `name = b`
 * to HOME/sipc.conf ..."; without the file: "create HOME/sipc.conf with a
 * [cluster] section holding `name = b` ...") (`name=;b` for a name with a ';' first, which "name = ;b" would
 * make a comment); for a name sipc.conf cannot hold as a value (white space
 * at either end or before a ';', a control character or a byte that is not
 * printable UTF-8) why no line can name it, and for a cut one that it is too
 * long to suggest. The node's name is shown with every byte that is not part
 * of a printable character as \xNN: no escape sequence of a peer's reaches a
 * terminal. Returns fix. */
const char *sipc_cli_cluster_fix(const sipc_config *cfg, const char *theirs, int theirs_cut,
                                 char *fix, size_t len);

#endif
