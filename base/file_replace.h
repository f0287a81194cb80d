/* file_replace.h - a file of a node's home replaced whole, safely also when
 * a more privileged program (root's tlstool) writes into a home another
 * account controls. */
#ifndef SIPC_FILE_REPLACE_H
#define SIPC_FILE_REPLACE_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* A temporary file of this name pattern older than this many seconds is
 * left from a write that was killed: the next write there removes it. */
#define SIPC__FILE_REPLACE_STALE 3600

/* A file written beside the one it will replace, not yet in place: its
 * name in its directory (".NAME.XXXXXX.tmp"), and the descriptor
 * (close-on-exec) that holds its flock while it exists, so a sweep never takes a write in
 * progress for a killed one's leftover (sipc__file_tmp_remove). */
typedef struct sipc__file_tmp {
    int fd;
    char name[300];
} sipc__file_tmp;

/* Replaces path with len bytes of data: a new file beside it under a name no
 * one can foresee (".NAME.XXXXXX.tmp": created exclusively, so never through
 * a link planted under that name, and flock'd until it is renamed), written, given mode with fchmod (the
 * umask aside) and, unless uid is (uid_t)-1, that owner and gid, synced,
 * then renamed over path; the directory is synced after (a filesystem that
 * cannot, EINVAL, is let be). A symbolic link at path is refused (err: "PATH
 * is a symbolic link (to TARGET), which is not followed: nothing was
 * written; remove the link ..."), neither written through nor replaced;
 * so is anything else but a regular file there ("PATH is not a regular
 * file (a directory): nothing was written; move it out of the way ...").
 * First, temporary files of path's pattern older than
 * SIPC__FILE_REPLACE_STALE are removed (a killed write's), but never one
 * whose lock a write holds, however old it looks. 0, or
 * SIPC_ECONFIG with err naming path: the temporary file is removed, and path
 * is as it was, except when only the directory's sync failed (an I/O error):
 * path is then replaced, and err says so. */
int sipc__file_replace(const char *path, const void *data, size_t len, mode_t mode, uid_t uid,
                       gid_t gid, char *err, size_t errlen);
/* sipc__file_replace of the file name in the directory dfd, which the
 * caller opened and checked (sipc__private_dir_open); path names it in err.
 * Nothing is looked up by path: a directory swapped for a link after the
 * caller's check is not followed. */
int sipc__file_replace_at(int dfd, const char *path, const char *name, const void *data,
                          size_t len, mode_t mode, uid_t uid, gid_t gid, char *err, size_t errlen);
/* The first half of sipc__file_replace_at, for a caller that puts several
 * files in place together (tlstool's import: node.crt and node.p12, renamed
 * only once both are written): the same refusals, the same temporary file,
 * written, its mode and owner set, synced, but not renamed: *t holds it.
 * 0, or SIPC_ECONFIG with err naming path (nothing left behind). Then
 * sipc__file_tmp_put, or sipc__file_tmp_drop to give it up. */
int sipc__file_tmp_write_at(int dfd, const char *path, const char *name, const void *data,
                            size_t len, mode_t mode, uid_t uid, gid_t gid, sipc__file_tmp *t,
                            char *err, size_t errlen);
/* Renames t over name in dfd (path names it in err) and lets t go: 0, or
 * SIPC_ECONFIG ("cannot replace PATH: ...", the temporary file removed).
 * The directory is not synced: sipc__dir_sync once the last file is in. */
int sipc__file_tmp_put(int dfd, sipc__file_tmp *t, const char *path, const char *name, char *err,
                       size_t errlen);
/* Removes t's temporary file (while it is still locked) and lets t go;
 * also after sipc__file_tmp_put, which leaves nothing to do. */
void sipc__file_tmp_drop(int dfd, sipc__file_tmp *t);
/* Whether entry, a name in a directory, has the pattern of the temporary
 * files above (".NAME.XXXXXX.tmp", of any NAME). */
int sipc__file_tmp_name(const char *entry);
/* Removes entry in dfd, a temporary file of the pattern above, when it is
 * a killed write's leftover: no write holds its lock (on a file system
 * without flock: older than SIPC__FILE_REPLACE_STALE). Opened without
 * following a link; only a regular file goes. 0 (removed), 1 (left: a
 * write in progress, or gone meanwhile) or -errno (-EINVAL: not a regular
 * file). Whose file it is, is the caller's to check first. */
int sipc__file_tmp_remove(int dfd, const char *entry);

/* Opens the directory of path (a link there followed: the caller named it)
 * for the *at calls that write path: its descriptor, with the directory's
 * path in dir and the last part of path in *name (a pointer into path); or
 * SIPC_ECONFIG with err naming path. */
int sipc__open_dir_of(const char *path, char *dir, size_t dirlen, const char **name, char *err,
                      size_t errlen);
/* The refusal of sipc__file_replace(_at) for a link at name, alone, for a
 * caller that checks before it writes anything: 0, or SIPC_ECONFIG with err
 * as above. */
int sipc__file_not_link(int dfd, const char *name, const char *path, char *err, size_t errlen);
/* Syncs the directory dfd after path in it was done ("replaced",
 * "removed"), so that the change outlasts a power loss: 0 (also where the
 * filesystem cannot sync a directory), or SIPC_ECONFIG with err "PATH was
 * DONE, but its directory could not be synced (...) ...". */
int sipc__dir_sync(int dfd, const char *path, const char *done, char *err, size_t errlen);
/* sipc__file_replace, but only while path is still the file *was describes
 * (lstat'd or fstat'd when it was read: the same device and inode, size,
 * modification and change times), checked again right before the rename,
 * after the write and its sync; with was NULL, only while there is still
 * no file at path (renameat2's RENAME_NOREPLACE). 1, with err saying that
 * path changed meanwhile and was left as it is, when it no longer is: an
 * edit someone made after the caller read the file is never overwritten
 * (only one made in the moment between that check and the rename could
 * be, or, where the file system keeps whole seconds (NFSv3, ext3, FAT), an
 * in-place edit of the same size within the second of the read). Otherwise
 * as sipc__file_replace. */
int sipc__file_replace_if(const char *path, const struct stat *was, const void *data, size_t len,
                          mode_t mode, uid_t uid, gid_t gid, char *err, size_t errlen);
/* Removes path only while it is still the file *was describes (as above):
 * 0, 1 (changed meanwhile, left as it is; err says so) or SIPC_ECONFIG. */
int sipc__file_remove_if(const char *path, const struct stat *was, char *err, size_t errlen);

#endif
