/* start_notes.c - the lines a service's log starts with that say how this
 * process came to run: see host_start_notes (host.h). */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "host.h"
#include "rfc3339.h"
#include "services/common/shown_text.h"

/* Settings of sipcd's environment meant for tests: each shortens a wait a
 * node otherwise keeps (docs/testing.md). One left in a production node's
 * environment is said at start, and so is a SIPCD_ name sipcd does not
 * know, which would otherwise be taken for one in effect. */
static const char *const test_settings[] = {"SIPCD_PAIR_CHECK_MS", "SIPCD_RELOAD_RECHECK_MS",
                                            "SIPCD_STORAGE_PROBE_MS"};

static void log_test_settings(sipc_logger *log)
{
    extern char **environ;
    char names[200] = "";
    for (size_t k = 0; k < sizeof test_settings / sizeof *test_settings; k++)
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", k ? ", " : "",
                 test_settings[k]);
    for (char **e = environ; e && *e; e++) {
        if (strncmp(*e, "SIPCD_", 6) != 0)
            continue;
        const char *eq = strchr(*e, '=');
        int n = eq ? (int)(eq - *e) : (int)strlen(*e);
        int known = 0;
        for (size_t k = 0; k < sizeof test_settings / sizeof *test_settings; k++)
            known |= (int)strlen(test_settings[k]) == n && !strncmp(test_settings[k], *e, (size_t)n);
        if (known)
            sipc_logf(log, SIPC_LOG_WARN, "Service.Start",
                      "Test setting %.*s=%.32s in effect: it shortens a wait of this node for "
                      "tests (docs/testing.md); unset it for a node in service",
                      n, *e, eq ? eq + 1 : "");
        else
            sipc_logf(log, SIPC_LOG_WARN, "Service.Start",
                      "Unknown setting %.*s in the environment is ignored (sipcd's own are "
                      "SIPC_HOME and, for tests, %s)",
                      n, *e, names);
    }
}

/* The previous run's pid was still in the lock file, which every stop but a
 * kill or a crash removes: said once, where an operator looks first, with
 * where its end can be read. */
static void log_unclean_stop(host *h, sipc_logger *log)
{
    char started[32], word[4 * sizeof h->cfg.home + 4];
    sipc_rfc3339_format(h->prev_run.started_ms, 0, started, sizeof started);
    cli_shell_word(h->cfg.home, word, sizeof word);
    sipc_logf(log, SIPC_LOG_WARN, "Service.Start",
              "The previous run (pid %ld, started %s) did not stop cleanly (killed or crashed): "
              "it left its pid in state/sipcd.lock, which a stop removes; its logs' last lines "
              "say what it was doing (%s/logs/, or `journalctl -u sipcd`), the kernel's log "
              "whether it was killed (`journalctl -k | grep -i -e oom -e killed`), and a core "
              "dump, if core dumps were allowed (sipcd --allow-core-dumps), where it crashed "
              "(`coredumpctl list sipcd`)",
              h->prev_run.pid, started, word);
}

void host_start_notes(host *h, int i)
{
    sipc_logger *log = h->svc[i].log;
    struct rlimit rl;
    if (h->core_dumps_allowed) {
        char limit[32] = "unknown";
        if (getrlimit(RLIMIT_CORE, &rl) == 0) {
            if (rl.rlim_cur == RLIM_INFINITY)
                snprintf(limit, sizeof limit, "unlimited");
            else
                snprintf(limit, sizeof limit, "%llu bytes", (unsigned long long)rl.rlim_cur);
        }
        sipc_logf(log, SIPC_LOG_WARN, "Service.Start",
                  "Core dumps allowed (--allow-core-dumps; core file size limit: %s): a core "
                  "file of this process holds the cluster's private key, the session ticket keys "
                  "and the keys of open connections; keep it as secret as security/node.crt and "
                  "delete it once debugged",
                  limit);
    }
    log_test_settings(log);
    if (h->owner_note[0])
        sipc_logf(log, SIPC_LOG_INFO, "Service.Start", "%s", h->owner_note);
    if (h->lock_warning[0])
        sipc_logf(log, SIPC_LOG_WARN, "Service.Start", "%s", h->lock_warning);
    host_log_lines(log, SIPC_LOG_WARN, "Service.Start", h->conf_warning);
    if (h->prev_run.pid && i == HOST_DATA)
        log_unclean_stop(h, log);
}

void host_log_lines(sipc_logger *log, sipc_log_level level, const char *category,
                    const char *text)
{
    while (*text) {
        size_t n = strcspn(text, "\n");
        sipc_logf(log, level, category, "%.*s", (int)n, text);
        text += n + (text[n] == '\n');
    }
}
