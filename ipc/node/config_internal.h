/* config_internal.h - what the files of the sipc.conf reader share:
 * config_load.c reads the file and checks each key, config_known_keys.c
 * knows the keys (defaults, hints), config_edit.c edits the file in place,
 * config_nodes.c reads the nodes and ports of a loaded configuration. */
#ifndef SIPC_NODE_CONFIG_INTERNAL_H
#define SIPC_NODE_CONFIG_INTERNAL_H

#include <stddef.h>

#include "sipc/node.h"

/* What inih skips as white space around a line: isspace() in the C locale
 * (a CRLF file's blank lines are blank). The reader's continuation check and
 * the editor both use it, so the two agree on what is indented. */
extern const char sipc__ini_space[];

/* The built-in port of a service (data 23000, search 23001, management
 * 23002, pipeline 23003), 0 for another name. */
int sipc__config_default_port(const char *service);

/* 0 with err set when value is empty where [section] key needs a value
 * (the message names the default a missing line gives), else 1. */
int sipc__config_check_not_empty(const char *section, const char *key, const char *value,
                                 char *err, size_t errlen);

/* "; did you mean `mode`?" for an unknown setting that is a near miss of a
 * key of its section, or "; did you mean `[tls] mode`?" (or `[tls]`) for a
 * section that is a near miss of one this reader knows; "" when nothing is
 * near. */
void sipc__config_did_you_mean(const char *section, const char *key, char *out, size_t len);

/* The name of built-in service i (data, search, management, pipeline),
 * NULL past the last. */
const char *sipc__config_builtin_service(int i);

/* The line of sipc.conf that set service's port, 0 for its default. */
int sipc__config_port_line(const sipc_config *cfg, const char *service);

/* 1 if host (of a [cluster] nodes entry) is where this node listens: its
 * [node] address, or with a wildcard one an address of this machine. */
int sipc__config_host_is_self(const sipc_config *cfg, const char *host);

/* The [cluster] nodes of a loaded cfg (path: its sipc.conf) checked as a
 * whole: each entry host[:port], none listed twice (the same host and
 * port). 0, or SIPC_ECONFIG with "PATH:LINE: ..." in err. */
int sipc__config_nodes_check(const sipc_config *cfg, const char *path, char *err, size_t errlen);

/* The ports of the node's four services (set or default) checked: no two
 * the same (0, any free port, aside). 0, or SIPC_ECONFIG with
 * "PATH:LINE: [search] port 23000 is also the data service's port ...". */
int sipc__config_ports_check(const sipc_config *cfg, const char *path, char *err, size_t errlen);

/* [metrics] address (set at line of path) checked against the node's four
 * services: on one of their ports, at an address their listeners take too,
 * it is SIPC_ECONFIG with "PATH:LINE: [metrics] address ... is on the data
 * service's port ..."; else 0. */
int sipc__config_metrics_check(const sipc_config *cfg, const char *path, int line, char *err,
                               size_t errlen);

#endif
