/* raw_peer.h - for a test's peer that speaks sipc's plaintext framing
 * itself over a blocking socket (a thread of the test), to do what a sipc
 * peer would not: send at a chosen moment, read slowly or not at all. */
#ifndef SIPC_RAW_PEER_H
#define SIPC_RAW_PEER_H

#include "ipc/envelope.h"

/* Sends e as one frame, all of it (a short send goes on); stops at an
 * error, or when e cannot be encoded. */
void tu_send_env(int fd, const sipc_env_out *e);

/* The next frame's envelope (free it with sipc__envelope__free_unpacked);
 * NULL at EOF, an error, the socket's receive timeout (SO_RCVTIMEO) or a
 * frame of more than 1 MiB. */
Sipc__Envelope *tu_recv_env(int fd);

#endif
