/* conf_edit_at_fsync.c - an LD_PRELOAD library for test_enable_undo: an
 * operator's edit of sipc.conf made while a tool writes it. When a
 * temporary file of sipc.conf (.sipc.conf.XXXXXX.tmp, base/file_replace.c)
 * is synced and the file $CONF_EDIT_ONCE exists, that file is removed and
 * the line $CONF_EDIT_LINE appended to the sipc.conf beside the temporary
 * one, in place: once, between the tool's read and its rename. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "fsync_hook.h"

static void at_fsync(char *path)
{
    const char *once = getenv("CONF_EDIT_ONCE"), *line = getenv("CONF_EDIT_LINE");
    if (!once || !line)
        return;
    char *slash = strrchr(path, '/');
    if (!slash || strncmp(slash + 1, ".sipc.conf.", 11) != 0 || unlink(once) != 0)
        return;
    snprintf(slash + 1, PATH_MAX - (size_t)(slash + 1 - path), "sipc.conf");
    int c = open(path, O_WRONLY | O_APPEND);
    if (c < 0)
        return;
    if (write(c, line, strlen(line)) < 0 || write(c, "\n", 1) < 0)
        perror("conf_edit_at_fsync");
    close(c);
}
