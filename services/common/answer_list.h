/* answer_list.h - a list of strings in a node's JSON answer (a reload's
 * changes, the peers it cut off), printed as the tools print them. */
#ifndef SIPC_CLI_ANSWER_LIST_H
#define SIPC_CLI_ANSWER_LIST_H

#include <jansson.h>

/* One line "  LABEL ENTRY" per string of list (nothing when list is not an
 * array), each entry as cli_shown shows it: the strings come from the node,
 * and some name its peers. */
void cli_print_list(const char *label, const json_t *list);

#endif
