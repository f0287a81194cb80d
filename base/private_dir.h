/* private_dir.h - a directory of a node's home that only the home's account
 * may read or change (security/ and its folders, state/), made and checked
 * without following a link: a root tlstool or sipcd writes into homes that
 * other accounts control. */
#ifndef SIPC_PRIVATE_DIR_H
#define SIPC_PRIVATE_DIR_H

#include <stddef.h>
#include <sys/types.h>

/* Makes path with mode 0700 when it is missing and, when uid is not
 * (uid_t)-1, gives the directory made here to uid:gid. Then opens it with
 * O_NOFOLLOW: a symbolic link there is refused, never followed (err names
 * the path, where it points and what to do), as is anything but a
 * directory; a mode other than 0700 is set to 0700 on the opened directory,
 * not through its name. 0 or SIPC_ECONFIG with err naming path. */
int sipc__private_dir(const char *path, uid_t uid, gid_t gid, char *err, size_t errlen);
/* Opens the directory name (relative to the directory fd at, or AT_FDCWD)
 * without following a link, for the *at calls of a caller that must not
 * write or delete through one: 0 with *fd; 1 when there is none (*fd -1);
 * SIPC_ECONFIG with err naming shown (a link: "SHOWN is a symbolic link (to
 * TARGET), which is not followed"; "SHOWN is not a directory"). */
int sipc__dir_open(int at, const char *name, const char *shown, int *fd, char *err,
                   size_t errlen);

#endif
