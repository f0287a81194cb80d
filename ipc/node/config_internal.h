/* config_internal.h - what the files of the sipc.conf reader share:
 * config_load.c reads the file and checks each key, config_known_keys.c
 * knows the keys (defaults, hints), config_edit.c edits the file in place,
 * config_nodes.c reads the nodes and ports of a loaded configuration. */
#ifndef SIPC_NODE_CONFIG_INTERNAL_H
#define SIPC_NODE_CONFIG_INTERNAL_H

#include <stddef.h>

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

#endif
