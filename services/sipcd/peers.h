/* peers.h - the peer history behind the strict guard: for every peer (its
 * IP address without the port, ::ffff:a.b.c.d as a.b.c.d, and the node id
 * of its hello; a command-line
 * client's id without its process, services/common/client_id.h) the transport
 * of its latest connection to any service of this node, on which service and
 * when (wall clock). Kept in memory (at most HOST_PEERS_MAX, and at most
 * HOST_PEERS_PER_ADDRESS node ids per source host, an IPv6 /64 being one:
 * the node id is the peer's unchecked word, so one host naming itself anew
 * on every connection evicts only its own entries; a full history evicts
 * from the host holding the most) and in $SIPC_HOME/state/peers (JSON, 0600, written atomically), so
 * that a restart still knows who spoke plaintext. */
#ifndef SIPCD_PEERS_H
#define SIPCD_PEERS_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "sipc/node.h"

#define HOST_PEERS_MAX 1024
/* node ids one source host keeps (a host running a few nodes and tools):
 * an IPv4 address, or an IPv6 /64 (sipc__host_key) */
#define HOST_PEERS_PER_ADDRESS 16

typedef struct host_peer {
    char address[64]; /* "127.0.0.3", "::1" */
    char node[64];    /* from the hello */
    char service[16]; /* "data" */
    int tls;           /* no plaintext service left (plain is 0): TLS wherever it spoke */
    int64_t last_seen; /* Unix time */
    int cut_off;       /* forced strict cut off every service it spoke plaintext to: it
                        * holds nothing up until it connects again */
    int64_t cut_at;    /* when that force was (Unix time) */
    unsigned plain;    /* HOST_SVC_* bits of the services it spoke plaintext to, each
                        * since its last TLS connection to that service: a reload that
                        * makes only some listeners strict cuts off only their peers */
} host_peer;

/* The node's services: the index of each in host.svc[], its name
 * (host_svc_names, the one table) and its bit in host_peer.plain and a
 * guard's scope all follow this order. */
enum { HOST_DATA, HOST_SEARCH, HOST_MANAGEMENT, HOST_PIPELINE, HOST_NSERVICES };
extern const char *const host_svc_names[HOST_NSERVICES];
#define HOST_SVC_DATA (1u << HOST_DATA)
#define HOST_SVC_SEARCH (1u << HOST_SEARCH)
#define HOST_SVC_MANAGEMENT (1u << HOST_MANAGEMENT)
#define HOST_SVC_PIPELINE (1u << HOST_PIPELINE)
#define HOST_SVC_ALL ((1u << HOST_NSERVICES) - 1)
/* The bit of a service's name ("pipeline"), 0 for another name. */
unsigned host_svc_bit(const char *service);
/* The listeners whose peers the strict guard judges for cfg: those it makes
 * strict (sipc_config_service_mode) that are not strict already (running:
 * their bits, 0 at a start). A start, a reload and tlstool's warning judge
 * one sipc.conf alike. */
unsigned host_guard_scope(const sipc_config *cfg, unsigned running);

/* How long a peer a forced strict cut off is listed after the force
 * (cut_off_peers), unless the guard's window still holds its last connection
 * longer: the operator sees whom it cut off, and the list of a node whose
 * clients come and go (changing addresses, retired hosts) does not grow
 * without end. */
#define HOST_CUT_OFF_LISTED_S (7 * 86400)

typedef struct host_peers {
    host_peer p[HOST_PEERS_MAX];
    int n;
    int dirty; /* changed since last saved */
    char path[700];
    char last_error[800]; /* the last save or load problem, "" when none; logged once */
} host_peers;

/* Empty, then $home/state/peers when it exists (a damaged file is reported
 * in err and left for the next save to replace). 0 or a negative SIPC_*. */
int host_peers_load(host_peers *ps, const char *home, char *err, size_t errlen);
/* A connection came up: address is "ip:port" or "[ip]:port". tlstool's
 * connections (its reload requests, and `tlstool check`'s probes, hello
 * "tlstool-check") are not recorded. Returns 1 when this is news the
 * strict guard acts on (a peer not known to speak plaintext just did). */
int host_peers_seen(host_peers *ps, const char *address, const char *node, int tls,
                    const char *service, int64_t now);
/* Writes the file (state/ 0700, the file 0600, temporary + rename) when it
 * changed. 0 or a negative SIPC_* with the reason in err. */
int host_peers_save(host_peers *ps, char *err, size_t errlen);
/* The peers that going strict would cut off: latest connection plaintext,
 * seen within window_s seconds of now, not cut off by a forced strict since,
 * and not this node itself (self: its node id; its own links follow its
 * setup). Fills out (up to max), returns
 * how many there are in all; 0 when window_s is 0. Most recently seen
 * first, the newest of each address before the rest. */
int host_peers_plaintext(const host_peers *ps, int window_s, const char *self, int64_t now,
                         host_peer *out, int max);
/* The same for the listeners going strict only (services: HOST_SVC_* bits):
 * a peer counts when it spoke plaintext to one of them since its last TLS
 * connection. */
int host_peers_plaintext_in(const host_peers *ps, int window_s, const char *self,
                            unsigned services, int64_t now, host_peer *out, int max);
/* 1 when p is the peer whose connection is address ("ip:port") with hello
 * id node (a command-line client's id stands for its home, as recorded). */
int host_peer_is(const host_peer *p, const char *address, const char *node);
/* A forced strict (--force asked over TLS, or the override of `tlstool mode
 * strict --force` at a start that came up; the caller judges which)
 * acknowledges the peers it cuts off: each peer host_peers_plaintext would
 * list is marked cut off, so that the guard counts it again only once it
 * connects after the force. Returns how many were marked. */
int host_peers_cut_off(host_peers *ps, int window_s, const char *self, int64_t now);
/* The same for the peers host_peers_plaintext_in lists for services: only
 * those services leave their plaintext record (the peer still holds back
 * the others it spoke plaintext to), and a peer is marked cut off once none
 * is left. */
int host_peers_cut_off_in(host_peers *ps, int window_s, const char *self, unsigned services,
                          int64_t now);
/* "127.0.0.3 (node n3) 45 s ago on the data service, ..." for n of them. */
void host_peers_text(const host_peer *list, int n, int total, int64_t now, char *out,
                     size_t len);
/* {"window_s", "plaintext_peers": [{"address", "node", "service", "last_seen",
 * "seconds_ago"}], "cut_off_peers": [...]} for the management status:
 * plaintext_peers those host_peers_plaintext lists, cut_off_peers (the same
 * fields) those a forced strict cut off and acknowledged, still marked (they
 * have not connected since), for HOST_CUT_OFF_LISTED_S after the force or
 * while their last connection is within the window; both newest first
 * (plaintext_peers the newest of each address first). */
json_t *host_peers_guard_json(const host_peers *ps, int window_s, const char *self, int64_t now);

/* The one-shot override of the guard that `tlstool mode strict --force`
 * (and `tlstool enable --mode strict --reload --force` from TLS off) leaves
 * in $home/state/force-strict, 0600. It lives as long as the sipc.conf
 * change it was written with: the next start or reload of sipcd takes it,
 * and tlstool removes it when that change goes (docs/tlstool.md). */
/* Takes it: 1 when it was there as a regular file (it is removed), 0 when
 * not (anything else under its name is removed too). */
int host_force_strict_take(const char *home);
/* HOME/state in path (sipc__private_dir_open): made 0700 when missing (for
 * the home's owner when root makes it), refused when it is not a directory,
 * is a link or (not as root) is another account's, set to 0700 when its
 * mode is another; fd (may be NULL) gets it open, for the *at calls that
 * write in it. 0 or SIPC_ECONFIG with err saying what to do, and *unfit
 * (may be NULL) 1 when something was there but not fit to be state/ (a
 * link, no directory, another account's), 0 when a call failed (it could
 * not be made or opened). */
int host_state_dir(const char *home, char *path, size_t len, int *fd, int *unfit, char *err,
                   size_t errlen);
/* The refusals of host_state_dir, and of a write of HOME/state/name (a
 * link there), alone, nothing made or changed: 0 when HOME/state is missing
 * or would be taken and name is no link. */
int host_state_dir_check(const char *home, const char *name, char *err, size_t errlen);
/* Removes HOME/state/name (a link there itself, never its target) through
 * state/ opened without following a link, and syncs state/: 1 when it was
 * there, 0 when not, SIPC_ECONFIG with err (may be NULL) when it was
 * removed but state/ could not be synced. */
int host_state_remove(const char *home, const char *name, char *err, size_t errlen);
/* Writes it (state/ made 0700 when missing, for the home's owner when root
 * makes it; neither state/ nor the file followed as a link): the path in
 * path. 0 or SIPC_ECONFIG with err. */
int host_force_strict_write(const char *home, char *path, size_t len, char *err, size_t errlen);
/* 1 when it is there (a regular file), with its path and when it was
 * written (*since, Unix time; since may be NULL); 0 when not. */
int host_force_strict_pending(const char *home, char *path, size_t len, int64_t *since);
/* Removes it: as host_state_remove (1 when it was there; SIPC_ECONFIG with
 * err when state/ could not be synced after). Its path into path either
 * way. */
int host_force_strict_drop(const char *home, char *path, size_t len, char *err, size_t errlen);

#endif
