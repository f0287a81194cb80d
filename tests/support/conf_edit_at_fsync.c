/* conf_edit_at_fsync.c - an LD_PRELOAD library for test_enable_undo: an
 * operator's edit of sipc.conf made while a tool writes it. When a
 * temporary file of sipc.conf (.sipc.conf.XXXXXX.tmp, base/file_replace.c)
 * is synced and the file $CONF_EDIT_ONCE exists, that file is removed and
 * the line $CONF_EDIT_LINE appended to the sipc.conf beside the temporary
 * one, in place: once, between the tool's read and its rename. */
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void edit_beside(int fd)
{
    const char *once = getenv("CONF_EDIT_ONCE"), *line = getenv("CONF_EDIT_LINE");
    char link[64], path[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (!once || !line || n <= 0)
        return;
    path[n] = '\0';
    char *slash = strrchr(path, '/');
    if (!slash || strncmp(slash + 1, ".sipc.conf.", 11) != 0 || unlink(once) != 0)
        return;
    snprintf(slash + 1, sizeof path - (size_t)(slash + 1 - path), "sipc.conf");
    int c = open(path, O_WRONLY | O_APPEND);
    if (c < 0)
        return;
    if (write(c, line, strlen(line)) < 0 || write(c, "\n", 1) < 0)
        perror("conf_edit_at_fsync");
    close(c);
}

int fsync(int fd)
{
    static int (*real)(int);
    if (!real)
        real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    edit_beside(fd);
    return real(fd);
}
