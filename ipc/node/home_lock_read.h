/* home_lock_read.h - whether a sipcd runs from a home, read without taking
 * its lock. sipcd (services/sipcd/home_lock.c) holds an exclusive flock(2)
 * on the home directory for its life and writes its pid to
 * SIPC_HOME_LOCK_FILE; it removes the file when it stops cleanly, so a file
 * naming a process that holds no lock is what a kill or a crash left.
 * sipcd, sipcctl and tlstool all decide here; sipc-cluster's
 * sc_home_lock_pid (tests/harness/lib/common.sh) asks /proc/locks the same
 * way in shell. */
#ifndef SIPC_NODE_HOME_LOCK_READ_H
#define SIPC_NODE_HOME_LOCK_READ_H

#include <stddef.h>
#include <stdint.h>

/* The file naming the lock's holder (its pid), relative to the home. */
#define SIPC_HOME_LOCK_FILE "state/sipcd.lock"

/* The pid the lock file at path names, 0 when it names none (not there,
 * unreadable, empty: its holder writes it just after locking); *written_ms,
 * when not NULL, the file's modification time (Unix ms: when that sipcd
 * started, which wrote it whole then), 0 when it names none. */
long sipc__home_lock_named(const char *path, int64_t *written_ms);

/* Whether process pid exists and has not exited: a zombie (killed, not yet
 * reaped) has dropped its locks and runs nothing. */
int sipc__pid_alive(long pid);

/* Whether a sipcd runs from home, asked without taking the lock (which would
 * stand in a starting sipcd's way): the pid SIPC_HOME_LOCK_FILE names when
 * the kernel's list of locks (/proc/locks) has that process's flock on the
 * home directory (its device and inode both); 0 when the lock is free (no sipcd, one killed or crashed
 * whose pid the file still names, or one that has just locked and not yet
 * written its pid); -1 when this cannot be told (the list, the home or its
 * lock file unreadable; the pid a live sipcd's without the lock, as on a
 * filesystem without flock), the reason in err. */
long sipc__home_lock_holder(const char *home, char *err, size_t errlen);

/* The running sipcd's TLS mode on its management listener, relative to the
 * home: "PID MODE\n" (MODE off, permissive or strict), written whole by
 * sipcd at its start and after each reload it applies. */
#define SIPC_HOME_TLS_FILE "state/tls-running"

/* The mode SIPC_HOME_TLS_FILE names, a sipc_tls_mode, when the sipcd holding
 * home's lock wrote it: the pid it names is sipc__home_lock_holder's; the
 * file, a regular one, and state/, not a link, belong to home's owner and
 * can be written by no other account; that process runs as that owner
 * (its effective uid) and started before the file was last written. -1
 * when that cannot be told: no sipcd runs, the file is missing, unreadable
 * (another account's state/), malformed, another account's or writable by
 * one, or a run before this one's (its pid now another process's: one of
 * any account may take the lock of a home it can read). */
int sipc__home_tls_running(const char *home);

#endif
