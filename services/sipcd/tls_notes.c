/* tls_notes.c - what sipcd says about its TLS setup that is legal but not
 * what an operator may take it for, at start and after each reload: a
 * [tls] subject that the pinned self-signed pair never asks, and a
 * pipeline whose own TLS switch leaves its links to the data services in
 * plaintext; and the mode it runs, for its home's clients (state/). */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "host.h"

static void subject_note(host *h, const char *category)
{
    char where[PATH_MAX + 32];
    sipc_config_where(&h->cfg, h->cfg.subject_line, where, sizeof where);
    for (int i = 0; i < HOST_NSERVICES; i++) {
        host_service *s = &h->svc[i];
        char msg[800];
        int carries;
        if (!s->log || !sipc_security_subject_pinned(s->sec, &carries, msg, sizeof msg))
            continue;
        /* not an error (the pinned pair is the check), but an operator who
         * set it expects it to be asked, and it will be of an issued pair */
        sipc_logf(s->log, carries ? SIPC_LOG_INFO : SIPC_LOG_WARN, category,
                  "[tls] subject (%s) is not used with the self-signed pair: the pair is pinned, "
                  "so a peer presenting it is accepted whatever its subject; %s%s%s",
                  where, carries ? "this node's " : "and this node's certificate "
                  "does not carry it: ", msg,
                  carries ? "" : "; remove the line, or set the subject an organisation's pair "
                                 "will carry (it is asked of such a pair)");
    }
}

/* [pipeline] tls = 1 makes the pipeline's listener TLS; its links go to the
 * other nodes' data services, which follow [tls]: with that off, the
 * records cross between nodes in plaintext, whatever the switch suggests. */
static void pipeline_links_note(host *h, const char *category)
{
    host_service *p = &h->svc[HOST_PIPELINE];
    if (!p->log || sipc_security_mode(p->sec) == SIPC_TLS_OFF ||
        sipc_security_mode(h->svc[HOST_DATA].sec) != SIPC_TLS_OFF)
        return;
    sipc_logf(p->log, SIPC_LOG_WARN, category,
              "[pipeline] tls = 1 makes the pipeline's listener TLS only: its links to the data "
              "services of the [cluster] nodes follow [tls], which is off here, so records cross "
              "between nodes in plaintext; to encrypt them, enable TLS on every node "
              "(`tlstool enable --reload`, docs/operator-guide.md)");
}

void host_tls_notes(host *h, const char *category)
{
    subject_note(h, category);
    pipeline_links_note(h, category);
}

void host_tls_running_forget(host *h)
{
    (void)host_state_remove(h->cfg.home, strrchr(SIPC_HOME_TLS_FILE, '/') + 1, NULL, 0);
}

void host_tls_running_save(host *h)
{
    char err[800] = "", line[64];
    snprintf(line, sizeof line, "%ld %s\n", (long)getpid(),
             sipc_tls_mode_name(sipc_security_mode(h->svc[HOST_MANAGEMENT].sec)));
    /* a replace that fails leaves the file it would have replaced, which
     * names this pid with a mode no longer run: none is better */
    if (host_state_put(h, strrchr(SIPC_HOME_TLS_FILE, '/') + 1, line, err, sizeof err) != 0)
        host_tls_running_forget(h);
}
