/* client_id.h - the node id a command-line client (sipcctl, tlstool) says in
 * its hello: "TOOL:USER@HOST:PID", so that a node's logs (connection lines,
 * "Reload requested by ...") tell two operators' sessions apart, and the
 * strict guard can still count every session of one tool on one machine as
 * one peer. */
#ifndef SIPC_CLI_CLIENT_ID_H
#define SIPC_CLI_CLIENT_ID_H

#include <stddef.h>

/* Writes tool's id for this process into out (at most 63 characters, as a
 * node id; the user and host are cut short to fit, and any byte other than
 * a letter, a digit, '.', '_' or '-' becomes '_'). */
void sipc_cli_client_id(const char *tool, char *out, size_t len);

/* 1 if node is such an id of one of sipc's command-line clients, with the
 * tool's name ("sipcctl") in tool; else 0. */
int sipc_cli_client_tool(const char *node, char *tool, size_t len);

#endif
