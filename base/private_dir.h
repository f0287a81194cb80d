/* private_dir.h - a directory only one account may read or change, made
 * and checked without following a link: for a program that writes, maybe
 * as root, into directories other accounts control. What to do about a
 * refused one is its caller's to say (sipc_dir_problem). */
#ifndef SIPC_PRIVATE_DIR_H
#define SIPC_PRIVATE_DIR_H

#include <stddef.h>
#include <sys/types.h>

/* Why sipc__private_dir refused a directory. */
typedef enum {
    SIPC_DIR_OK = 0,
    SIPC_DIR_LINK,      /* a symbolic link: "PATH is a symbolic link (to TARGET), ..." */
    SIPC_DIR_NOT_DIR,   /* something else than a directory */
    SIPC_DIR_NOT_OWNER, /* another account's: "PATH belongs to uid N (mode M), ..." */
    SIPC_DIR_FAILED     /* a call failed (err names it) */
} sipc_dir_problem;

/* Makes path with mode 0700 when it is missing and, when uid is not
 * (uid_t)-1, gives the directory made here to uid:gid. Then opens it with
 * O_NOFOLLOW: a symbolic link there is refused, never followed, as is
 * anything but a directory, and (unless this process is root) one another
 * account owns; a mode other than 0700 is set to 0700 on the opened
 * directory, not through its name. 0, or SIPC_ECONFIG with *why (may be
 * NULL) and err stating what was found at path. */
int sipc__private_dir(const char *path, uid_t uid, gid_t gid, sipc_dir_problem *why, char *err,
                      size_t errlen);
/* sipc__private_dir that keeps the directory open in *fd (-1 on a
 * refusal): the caller writes, renames and removes in it with the *at
 * calls, so that a directory swapped for a link after the check is not
 * followed. */
int sipc__private_dir_open(const char *path, uid_t uid, gid_t gid, int *fd,
                           sipc_dir_problem *why, char *err, size_t errlen);
/* The check of sipc__private_dir alone, for a caller that must refuse
 * before it writes anything: 0 when path is missing (nothing is made) or
 * would be taken (a directory, not a link, this account's; any account's
 * when this process is root); its mode is not looked at (sipc__private_dir
 * sets it). SIPC_ECONFIG as
 * sipc__private_dir. */
int sipc__private_dir_check(const char *path, sipc_dir_problem *why, char *err, size_t errlen);
/* Opens the directory name (relative to the directory fd at, or AT_FDCWD)
 * without following a link, for the *at calls of a caller that must not
 * write or delete through one: 0 with *fd; 1 when there is none (*fd -1);
 * SIPC_ECONFIG with *why (may be NULL) and err naming shown (a link: "SHOWN
 * is a symbolic link (to TARGET), which is not followed"; "SHOWN is not a
 * directory"). */
int sipc__dir_open(int at, const char *name, const char *shown, int *fd, sipc_dir_problem *why,
                   char *err, size_t errlen);
/* Whether name in the directory at is a symbolic link, for a writer that
 * replaces a file there and must neither write through a link nor silently
 * put a file where someone chose to put one: 0 when it is not (or there is
 * nothing); SIPC_ECONFIG, *why (may be NULL) SIPC_DIR_LINK, with err "SHOWN
 * is a symbolic link (to TARGET), which is not followed". */
int sipc__name_not_link(int at, const char *name, const char *shown, sipc_dir_problem *why,
                        char *err, size_t errlen);
/* Appends to err what to do about path, refused with why: if_link for a
 * link (the caller's words: what the directory holds decides), "move it out
 * of the way" for something else than a directory, and for another
 * account's "OWNER_BEFORE (`chown -R EUID PATH`, as root)OWNER_AFTER";
 * nothing for SIPC_DIR_FAILED, whose err says it all. */
void sipc__dir_advice(sipc_dir_problem why, const char *path, const char *if_link,
                      const char *owner_before, const char *owner_after, char *err,
                      size_t errlen);

#endif
