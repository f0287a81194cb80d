/* client_id.h - the node id a command-line client (sipcctl, tlstool) says in
 * its hello: "TOOL:USER@HOST/TAG:PID", TAG the home tag of the home it runs
 * from, so that a node's logs (connection lines, "Reload requested by ...")
 * tell two operators' sessions apart, and the strict guard can count every
 * session of one tool, user and home on one machine as one peer, and no more:
 * a TLS session from a home with the key pair must not stand for a plaintext
 * one from a home without it. */
#ifndef SIPC_CLI_CLIENT_ID_H
#define SIPC_CLI_CLIENT_ID_H

#include <stddef.h>

/* The home tag of home into out[5]: the first 4 hex digits of the SHA-256
 * of its absolute path (the path as given when it cannot be resolved). Short
 * and stable, and no path in other nodes' logs. `tlstool status` prints it. */
void sipc_cli_home_tag(const char *home, char out[5]);

/* Writes tool's id for this process, run from home, into out (at most 63
 * characters, as a node id; the user and host are cut short to fit, and any
 * byte other than a letter, a digit, '.', '_' or '-' becomes '_'). */
void sipc_cli_client_id(const char *tool, const char *home, char *out, size_t len);

/* 1 if node is such an id of one of sipc's command-line clients, with the
 * tool's name ("sipcctl") in tool; else 0. The form before the home tag,
 * "TOOL:USER@HOST:PID" (an older client), is one too. */
int sipc_cli_client_tool(const char *node, char *tool, size_t len);

/* The peer such an id stands for in the strict guard, into out: without the
 * process, "sipcctl:alice@ops1 home a1b2" ("sipcctl:alice@ops1" for an
 * older client's id). 1 if node is a client's id, else 0 (out untouched). */
int sipc_cli_client_peer(const char *node, char *out, size_t len);

#endif
