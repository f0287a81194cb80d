/* swap_at_fsync.c - an LD_PRELOAD library for test_store_links: a home's
 * owner who swaps a directory for a symbolic link while tlstool writes in
 * it. When a file whose name starts with $SWAP_MATCH is synced and the file
 * $SWAP_ONCE exists, that file is removed, the directory $SWAP_DIR renamed
 * to $SWAP_DIR.real and a link to $SWAP_TO put in its place: once, between
 * tlstool's check of the directory and its later writes there. */
#include <stdlib.h>
#include <string.h>

#include "fsync_hook.h"

static void at_fsync(char *path)
{
    const char *match = getenv("SWAP_MATCH"), *once = getenv("SWAP_ONCE");
    const char *dir = getenv("SWAP_DIR"), *to = getenv("SWAP_TO");
    char real[PATH_MAX];
    if (!match || !once || !dir || !to)
        return;
    const char *base = strrchr(path, '/');
    if (!base || strncmp(base + 1, match, strlen(match)) != 0 || unlink(once) != 0)
        return;
    snprintf(real, sizeof real, "%s.real", dir);
    if (rename(dir, real) != 0 || symlink(to, dir) != 0)
        perror("swap_at_fsync");
}
