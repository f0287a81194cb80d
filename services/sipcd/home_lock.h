/* home_lock.h - one sipcd per home: an exclusive flock(2) on
 * $SIPC_HOME/state/sipcd.lock (0600, in the home's 0700 state/), taken at
 * start before the home's store, state files or ports are touched, and held
 * for the process's lifetime. The kernel drops it when the process ends,
 * however it ends, so a lock is never stale. The holder's pid is written
 * into the file for the refusal to name; whether the lock is held, not the
 * pid in the file, says whether a node runs (sipc-cluster asks the kernel,
 * /proc/locks). */
#ifndef SIPCD_HOME_LOCK_H
#define SIPCD_HOME_LOCK_H

#include <stddef.h>

/* The lock file of a home, relative to it. */
#define HOME_LOCK_FILE "state/sipcd.lock"

/* Takes the home's lock without waiting (creating state/ 0700 and the file
 * 0600 when missing) and writes this process's pid into it; the descriptor
 * stays open (close-on-exec) until the process ends. 0 when this process
 * holds it; -EWOULDBLOCK (UV_EAGAIN) when another process holds it, the home
 * and the holder's pid (or that the file names none) in err; another
 * negative errno when the folder or file cannot be created or locked, with
 * the path in err. */
int home_lock_take(const char *home, char *err, size_t errlen);

#endif
