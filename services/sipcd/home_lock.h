/* home_lock.h - one sipcd per home: an exclusive flock(2) on the home
 * directory itself, taken at start once sipc.conf has been read (only read)
 * and before the home's store, state files or ports are touched, and held for
 * the process's lifetime. The kernel drops it when the process ends, however
 * it ends, so a lock is never stale; and as the directory is locked, not a
 * file in it, deleting state/ or any file cannot let a second sipcd in. The
 * holder's pid is written to state/sipcd.lock for the refusal to name;
 * whether the home is locked, not the pid in the file, says whether a node
 * runs (ipc/node/home_lock_read.h). */
#ifndef SIPCD_HOME_LOCK_H
#define SIPCD_HOME_LOCK_H

#include <stddef.h>
#include <stdint.h>

#include "ipc/node/home_lock_read.h"

/* The run before this one on the home, when it did not stop cleanly: the
 * pid its lock file still named once this process held the lock (0: it
 * stopped cleanly, or none ran) and when it started (the file's time). */
typedef struct home_lock_prev {
    long pid;
    int64_t started_ms;
} home_lock_prev;

/* Locks the home without waiting, then writes this process's pid to
 * SIPC_HOME_LOCK_FILE (creating state/ 0700; the file is replaced whole, 0600,
 * and so a file left by another account is replaced too). The home's descriptor stays open (close-on-exec) until the
 * process ends. 0 when this process holds the lock; 1 when the filesystem
 * refuses flock (ENOLCK, EOPNOTSUPP, EINVAL, ENOSYS: some network or FUSE
 * filesystems), the warning in err, nothing locked but the pid written;
 * -EWOULDBLOCK (UV_EAGAIN) when another process holds it, the home and the
 * holder's pid (or that the file names none) in err; -ENAMETOOLONG for a
 * home too long to name its files (never cut); SIPC_ECONFIG when state/ is
 * not fit to be one (a link, no directory, another account's); another
 * negative errno when the home cannot be opened or the folder or file
 * written, with the path in err. *prev: when the lock was taken, the previous run that left its pid
 * behind (home_lock_drop removes it on every stop but a kill or a crash),
 * else zero. */
int home_lock_take(const char *home, home_lock_prev *prev, char *err, size_t errlen);

/* Removes SIPC_HOME_LOCK_FILE when it names this process: called as sipcd exits
 * (still holding the lock), so that the file names a dead process only after
 * a kill or a crash, never after a start refused beside a running sipcd that
 * takes no lock (an older version). */
void home_lock_drop(const char *home);

#endif
