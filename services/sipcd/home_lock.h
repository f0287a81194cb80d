/* home_lock.h - one sipcd per home: an exclusive flock(2) on the home
 * directory itself, taken at start once sipc.conf has been read (only read)
 * and before the home's store, state files or ports are touched, and held for
 * the process's lifetime. The kernel drops it when the process ends, however
 * it ends, so a lock is never stale; and as the directory is locked, not a
 * file in it, deleting state/ or any file cannot let a second sipcd in. The
 * holder's pid is written to state/sipcd.lock for the refusal to name;
 * whether the home is locked, not the pid in the file, says whether a node
 * runs (sipc-cluster asks the kernel, /proc/locks, for the home's inode). */
#ifndef SIPCD_HOME_LOCK_H
#define SIPCD_HOME_LOCK_H

#include <stddef.h>

/* The file naming the lock's holder (its pid), relative to the home. */
#define HOME_LOCK_FILE "state/sipcd.lock"

/* Locks the home without waiting, then writes this process's pid to
 * HOME_LOCK_FILE (creating state/ 0700; the file is replaced whole, 0600,
 * and so a file left by another account is replaced too). The home's descriptor stays open (close-on-exec) until the
 * process ends. 0 when this process holds the lock; 1 when the filesystem
 * refuses flock (ENOLCK, EOPNOTSUPP, EINVAL, ENOSYS: some network or FUSE
 * filesystems), the warning in err, nothing locked but the pid written;
 * -EWOULDBLOCK (UV_EAGAIN) when another process holds it, the home and the
 * holder's pid (or that the file names none) in err; -ENAMETOOLONG for a
 * home too long to name its files (never cut); another negative errno when
 * the home cannot be opened or the folder or file written, with the path in
 * err. */
int home_lock_take(const char *home, char *err, size_t errlen);

/* Removes HOME_LOCK_FILE when it names this process: called as sipcd exits
 * (still holding the lock), so that the file names a dead process only after
 * a kill or a crash, never after a start refused beside a running sipcd that
 * takes no lock (an older version). */
void home_lock_drop(const char *home);

/* Whether a sipcd runs from home, asked without taking the lock (which would
 * stand in a starting sipcd's way): the pid HOME_LOCK_FILE names when the
 * kernel's list of locks (/proc/locks) has that process's flock on the home
 * directory; 0 when the lock is free (no sipcd, or one that has just locked
 * and not yet written its pid); -1 when this cannot be told (the list, the
 * home or its lock file unreadable; the pid a running sipcd's without the
 * lock, as on a filesystem without flock), the reason in err. The same test as sipc-cluster's
 * sc_home_lock_pid (tests/harness/lib/common.sh). */
long home_lock_holder(const char *home, char *err, size_t errlen);

#endif
