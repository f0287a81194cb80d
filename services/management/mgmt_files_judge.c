/* mgmt_files_judge.c - what the cluster judge (sipc_mgmt_judge) says of a
 * node's files failing: its database's closing advice, its log files and
 * its state/ files (the node runs, but loses what it would tell or keep),
 * each advice fitted to the reason the node gives. */
#include <string.h>

#include "management_impl.h"
#include "mgmt_health.h"

/* The advice for a failure whose reason says the process ran out of file
 * descriptors (sipc_fd_explain's words): its disk is not the cause. */
#define FD_FIX                                                                                   \
    "not its disk: its connections or files hold every descriptor the process may open (its "    \
    "log's Transport.Listen lines name the services; docs/configuration.md, [limits] "           \
    "max_connections); this clears by itself once they are free"
static const char *fd_fix(const char *why)
{
    return strstr(why, "run out of file descriptors") ? FD_FIX : NULL;
}

/* Files a node cannot write (its log files, its state/), in the storage's
 * shape ("failing", "since", "failures", "last_failure", "last_error"): the
 * node runs, but what it would tell (its log) or keep (its state) is lost
 * while it lasts. */
void mgmt_files_failing(json_t *list, json_t *n)
{
    static const struct {
        const char *section, *sub, *kind, *what, *fix;
    } files[] = {
        {"logs", NULL, "logs_failing", "its log files",
         "the node writes them again by itself, with the lines it held; until then its log "
         "lines go only to its stderr (sipcd.out, the journal)"},
        {"storage", "state", "state_failing", "its state/ files",
         "the node saves them again by itself; until then a lost records.db-wal could go "
         "unnoticed at its next start and its strict guard's peer history is not kept"},
    };
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
        json_t *h = json_object_get(n, files[k].section);
        if (files[k].sub)
            h = json_object_get(h, files[k].sub);
        if (!json_is_true(json_object_get(h, "failing")))
            continue;
        long long failed = json_integer_value(json_object_get(h, "failures"));
        const char *fix = fd_fix(mgmt_str_at(h, "last_error", NULL));
        /* the directory as the node names it (an older node does not: its
         * error above names the file) */
        const char *dir = mgmt_str_at(h, "dir", NULL);
        mgmt_problem(list, n, files[k].kind,
                "%s cannot write %s since %s (%lld write%s failed; the latest at %s: %s): "
                "%s%s%s%s",
                mgmt_node_name(n), files[k].what, mgmt_str_at(h, "since", NULL), failed,
                failed == 1 ? "" : "s", mgmt_str_at(h, "last_failure", NULL),
                mgmt_str_at(h, "last_error", NULL),
                fix ? "" : dir[0] ? "free space in (or repair) the file system of "
                                  : "free space in (or repair) that file system",
                fix ? "" : dir, fix ? "" : ": ", fix ? fix : files[k].fix);
    }
}

/* The closing advice of a storage_failing problem, from its reason: one
 * that carries its own fix (a file size limit: raise it and restart; a
 * read-only file system: remount; damage found: repair) is not followed by
 * another that contradicts it; a full disk gets its own alone. */
const char *mgmt_storage_fix(const char *why)
{
    if (fd_fix(why))
        return "; " FD_FIX;
    if (strstr(why, "file size limit") || strstr(why, "read-only file system") ||
        strstr(why, "repair the database"))
        return "";
    if (strstr(why, "disk is full"))
        return "; free disk space (docs/services.md, \"A full or damaged database\")";
    return "; free disk space or repair the database (docs/services.md, \"A full or damaged "
           "database\")";
}
