/* reload_job.h - one reload of sipcd, or one check of a refused reload's
 * files (dry): what was asked, what the thread pool loaded, and the
 * verdict. Private to the reload (reload.c) and the guards that judge it
 * (strict_guard.c, off_guard.c, crl_guard.c with reload_dials.c). */
#ifndef SIPCD_RELOAD_JOB_H
#define SIPCD_RELOAD_JOB_H

#include <stdint.h>
#include <sys/types.h>

#include "host.h"

#define RELOAD_MAX_CHANGES 32

typedef struct reload_job {
    uv_work_t work;
    host *h;
    char by[240];
    char caller_address[64], caller_node[64]; /* "" when not asked over a connection */
    int force;
    int dry; /* only whether the files load (the recheck timer, reload.c): nothing applied */
    int overridden; /* dry: the guard would refuse, but the override is in place */
    /* the override state/force-strict as load_all found it, before it read
     * sipc.conf (tlstool writes sipc.conf first, the override second):
     * seen and which file it was, so that a check judges one moment and
     * removes no override written after it looked */
    int override_seen;
    ino_t override_ino;
    unsigned gen; /* a dry job's h->refused_gen when it began */
    int ack; /* a forced reload may acknowledge the peers it cuts off */
    uint64_t deadline; /* uv_now when the asker stops waiting, 0: no limit */
    int no_time; /* going off, but too little of the deadline left to ask */
    void (*done)(void *arg, json_t *answer);
    void *done_arg;
    /* filled on the thread pool */
    sipc_config cfg;
    sipc_security *sec[HOST_NSERVICES];
    sipc_security *probe;
    sipc_security *probe_as[2]; /* probe without revocation checks, and with soft ones (hard
                                   only): the CRL guard's (crl_guard.c), NULL if none */
    host_files trust, crl, rotation;
    int failed;
    char err[1500];
    char conf_warning[2048]; /* sipc_config_check_run's warnings, one a line ("": none) */
    /* the verdict */
    char changes[RELOAD_MAX_CHANGES][600];
    int nchanges;
    int settings_only; /* the changes are the node's own settings: no new security */
    char restart[RELOAD_MAX_CHANGES][6000];
    int nrestart;
    /* a forced reload: the peers it cut off, for the answer (NULL if none) */
    json_t *cut_off;
    int cut_off_ack;
    /* a reload that turns TLS off: the mode each other node runs, as they
     * answered (sipc_mgmt_peer_modes); NULL when not going off */
    json_t *modes;
    /* a forced reload that went off: the nodes running strict it cut
     * itself off from, for the answer (NULL if none) */
    json_t *cut_off_strict;
    /* the CRL or trust guard's dials (reload_dials.h; NULL when none were
     * made), and what an applied reload says of it ("" when nothing) */
    struct reload_dials *dials;
    char crl_note[1500];
    const char *note_head; /* the WARN's words before crl_note ("Reload applied new CRLs") */
    int crl_skip; /* dry: the guard's latest dials judged these files, not dialled again */
    /* the entries that answered with this node's own id, not counted as
     * peers ("" when none): said with the answer */
    char self_note[1400];
} reload_job;

/* One line in the log of every service (Service.Reload): fmt takes a and b. */
void reload_log_each(host *h, sipc_log_level level, const char *fmt, const char *a,
                     const char *b);

/* reload_retire.c: the connections made before the reload just applied
 * replaced, on the timer host_reload_init made. */
void reload_retire_start(host *h);

#endif
