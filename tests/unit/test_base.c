/* test_base.c - the base layer's containers: the byte buffer (what a partial write left), the
 * id map, spare-block lists and the log rate limiter; the string copy that stands in for
 * snprintf("%s"); printable UTF-8 (what names may hold and logs show as they are). */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

#include "base/buf.h"
#include "base/file_replace.h"
#include "base/freelist.h"
#include "base/private_dir.h"
#include "base/idmap.h"
#include "base/ratelimit.h"
#include "base/str_copy.h"
#include "base/utf8_text.h"
#include "sipc/errno.h"

static void idmap_put_take_grow(void **state)
{
    (void)state;
    sipc_idmap m = {0};
    static int vals[5000];
    for (uint64_t id = 1; id <= 5000; id++)
        assert_int_equal(sipc_idmap_put(&m, id * 7919, &vals[id - 1]), 0);
    assert_int_equal(sipc_idmap_count(&m), 5000);
    /* take every other one, then the rest: removals must not hide keys */
    for (uint64_t id = 1; id <= 5000; id += 2)
        assert_ptr_equal(sipc_idmap_take(&m, id * 7919), &vals[id - 1]);
    assert_null(sipc_idmap_take(&m, 1 * 7919));
    for (uint64_t id = 2; id <= 5000; id += 2)
        assert_ptr_equal(sipc_idmap_take(&m, id * 7919), &vals[id - 1]);
    assert_int_equal(sipc_idmap_count(&m), 0);
    assert_null(sipc_idmap_take(&m, 12345));
    /* reuse after many removals */
    for (uint64_t id = 1; id <= 100; id++)
        assert_int_equal(sipc_idmap_put(&m, id, &vals[0]), 0);
    assert_int_equal(sipc_idmap_count(&m), 100);
    sipc_idmap_free(&m);
    assert_null(sipc_idmap_take(&m, 1));
}

/* A connection's calls: ids only grow, a window of them is live, answers
 * come back in any order. Checked against a plain array, and the table must
 * not grow with the ids that came and went. */
static void idmap_sliding_window(void **state)
{
    (void)state;
    enum { WIN = 40, OPS = 200000 };
    sipc_idmap m = {0};
    uint64_t live[WIN];
    static int vals[WIN];
    uint64_t next = 1, rnd = 88172645463325252ULL;
    for (int i = 0; i < WIN; i++) {
        live[i] = next++;
        assert_int_equal(sipc_idmap_put(&m, live[i], &vals[i]), 0);
    }
    for (int op = 0; op < OPS; op++) {
        rnd ^= rnd << 13;
        rnd ^= rnd >> 7;
        rnd ^= rnd << 17;
        int i = (int)(rnd % WIN);
        assert_ptr_equal(sipc_idmap_take(&m, live[i]), &vals[i]);
        assert_null(sipc_idmap_take(&m, live[i]));
        /* a neighbour is still found after the shift that removal did */
        int k = (i + 1) % WIN;
        assert_ptr_equal(sipc_idmap_take(&m, live[k]), &vals[k]);
        assert_int_equal(sipc_idmap_put(&m, live[k], &vals[k]), 0);
        live[i] = next++;
        assert_int_equal(sipc_idmap_put(&m, live[i], &vals[i]), 0);
        assert_int_equal(sipc_idmap_count(&m), WIN);
    }
    assert_true(m.ring_cap + m.cap <= 8 * WIN);
    for (int i = 0; i < WIN; i++)
        assert_ptr_equal(sipc_idmap_take(&m, live[i]), &vals[i]);
    assert_int_equal(sipc_idmap_count(&m), 0);
    assert_int_equal(m.ring_cap, 64); /* back to its smallest */
    assert_true(m.cap <= 64);
    sipc_idmap_free(&m);
}

/* A burst of calls does not keep its large table once it is answered. */
static void idmap_shrinks_after_burst(void **state)
{
    (void)state;
    sipc_idmap m = {0};
    static int v;
    for (uint64_t id = 1; id <= 100000; id++)
        assert_int_equal(sipc_idmap_put(&m, id, &v), 0);
    assert_true(m.cap >= 400000);
    for (uint64_t id = 1; id <= 99990; id++)
        assert_ptr_equal(sipc_idmap_take(&m, id), &v);
    assert_true(m.cap <= 256);
    assert_true(m.ring_cap <= 256);
    for (uint64_t id = 99991; id <= 100000; id++)
        assert_ptr_equal(sipc_idmap_take(&m, id), &v);
    assert_int_equal(sipc_idmap_count(&m), 0);
    sipc_idmap_free(&m);
}

/* A call that outlives many newer ones (a slow handler) leaves the index
 * for the hash (the index grows on the way while the map is over half as
 * full as it, and is back at its smallest at the end), and is still found. */
static void idmap_long_lived(void **state)
{
    (void)state;
    sipc_idmap m = {0};
    static int old, v[32];
    assert_int_equal(sipc_idmap_put(&m, 1, &old), 0);
    uint64_t next = 2;
    for (int i = 0; i < 32; i++)
        assert_int_equal(sipc_idmap_put(&m, next + (uint64_t)i, &v[i]), 0);
    for (int round = 0; round < 1000; round++) {
        for (int i = 0; i < 32; i++)
            assert_ptr_equal(sipc_idmap_take(&m, next + (uint64_t)i), &v[i]);
        next += 32;
        for (int i = 0; i < 32; i++)
            assert_int_equal(sipc_idmap_put(&m, next + (uint64_t)i, &v[i]), 0);
    }
    assert_int_equal(sipc_idmap_count(&m), 33);
    assert_int_equal(m.ring_cap, 64);
    assert_int_equal(m.count, 1);
    assert_ptr_equal(sipc_idmap_take(&m, 1), &old);
    assert_null(sipc_idmap_take(&m, 1));
    /* an id older than the one in its slot, put after it, goes to the hash */
    assert_int_equal(sipc_idmap_put(&m, next - 64, &old), 0);
    assert_ptr_equal(sipc_idmap_take(&m, next - 64), &old);
    for (int i = 0; i < 32; i++)
        assert_ptr_equal(sipc_idmap_take(&m, next + (uint64_t)i), &v[i]);
    assert_int_equal(sipc_idmap_count(&m), 0);
    sipc_idmap_free(&m);
}

/* More in flight than the index grows to: the hash holds the older ones,
 * answers come back newest first (so the last to leave are in the hash),
 * and both parts are back to their smallest once all are answered. */
static void idmap_wide_window(void **state)
{
    (void)state;
    enum { N = 3000 };
    sipc_idmap m = {0};
    static int vals[N];
    for (int i = 0; i < N; i++)
        assert_int_equal(sipc_idmap_put(&m, (uint64_t)i + 1, &vals[i]), 0);
    assert_int_equal(sipc_idmap_count(&m), N);
    assert_int_equal(m.ring_cap, 1024);
    assert_int_equal(m.ring_count + m.count, N);
    for (int i = N - 1; i >= 0; i--) {
        assert_ptr_equal(sipc_idmap_take(&m, (uint64_t)i + 1), &vals[i]);
        assert_null(sipc_idmap_take(&m, (uint64_t)i + 1));
    }
    assert_int_equal(sipc_idmap_count(&m), 0);
    assert_int_equal(m.ring_cap, 64);
    assert_true(m.cap <= 64);
    sipc_idmap_free(&m);
}

/* Two calls left from a burst that would share a slot of the smallest
 * index: it shrinks to the next size up rather than staying at its largest
 * (where every take would try the shrink again). */
static void idmap_shrink_blocked(void **state)
{
    (void)state;
    sipc_idmap m = {0};
    static int v;
    for (uint64_t id = 1; id <= 600; id++)
        assert_int_equal(sipc_idmap_put(&m, id, &v), 0);
    assert_int_equal(m.ring_cap, 1024);
    /* 5 and 69 share a slot of 64, not of 128 */
    for (uint64_t id = 1; id <= 600; id++)
        if (id != 5 && id != 69)
            assert_ptr_equal(sipc_idmap_take(&m, id), &v);
    assert_int_equal(sipc_idmap_count(&m), 2);
    assert_int_equal(m.ring_cap, 128);
    assert_ptr_equal(sipc_idmap_take(&m, 69), &v);
    assert_ptr_equal(sipc_idmap_take(&m, 5), &v);
    assert_int_equal(sipc_idmap_count(&m), 0);
    assert_int_equal(m.ring_cap, 64);
    /* 5 and 517 share a slot of every size below 1024: the shrink is not
     * tried again on the very next takes of a window that goes on (each try
     * allocates and reads the whole index), yet it is once they are done */
    for (uint64_t id = 1; id <= 600; id++)
        assert_int_equal(sipc_idmap_put(&m, id, &v), 0);
    for (uint64_t id = 1; id <= 600; id++)
        if (id != 5 && id != 517)
            assert_ptr_equal(sipc_idmap_take(&m, id), &v);
    assert_int_equal(m.ring_cap, 1024);
    uint64_t next = 601;
    for (int i = 0; i < 32; i++)
        assert_int_equal(sipc_idmap_put(&m, next++, &v), 0);
    assert_ptr_equal(sipc_idmap_take(&m, 601), &v);
    assert_int_equal(m.ring_cap, 1024);
    assert_true(m.shrink_wait > 0 && m.shrink_wait <= 17);
    for (uint64_t id = 602; id < next; id++)
        assert_ptr_equal(sipc_idmap_take(&m, id), &v);
    assert_ptr_equal(sipc_idmap_take(&m, 517), &v);
    assert_int_equal(m.ring_cap, 64);
    assert_ptr_equal(sipc_idmap_take(&m, 5), &v);
    assert_int_equal(sipc_idmap_count(&m), 0);
    sipc_idmap_free(&m);
}

/* Touches dir/name (a file, or a link to target) with an mtime age seconds
 * ago. */
static void aged(const char *dir, const char *name, const char *target, int age)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    if (target) {
        assert_int_equal(symlink(target, p), 0);
    } else {
        int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "x", 1), 1);
        close(fd);
    }
    struct timespec ts[2] = {{time(NULL) - age, 0}, {time(NULL) - age, 0}};
    assert_int_equal(utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW), 0);
}

static int exists(const char *dir, const char *name)
{
    char p[512];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return lstat(p, &st) == 0;
}

/* A private directory of a home: made 0700 (given to the owner asked for,
 * run as root), a wider one narrowed, and a symbolic link refused, naming
 * where it points, with neither the link nor its target changed. */
static void private_dir_refuses_link(void **state)
{
    (void)state;
    char dir[] = "/tmp/sipc-test-base-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char p[600], elsewhere[600], err[512] = "";
    struct stat st;
    snprintf(p, sizeof p, "%s/made", dir);
    int root = geteuid() == 0;
    assert_int_equal(sipc__private_dir(p, root ? 4321 : (uid_t)-1, root ? 4322 : (gid_t)-1,
                                       NULL, err, sizeof err),
                     0);
    assert_int_equal(lstat(p, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0700);
    if (root)
        assert_true(st.st_uid == 4321 && st.st_gid == 4322);
    /* an existing one: its owner kept, a wider mode narrowed */
    assert_int_equal(chmod(p, 0755), 0);
    assert_int_equal(sipc__private_dir(p, (uid_t)-1, (gid_t)-1, NULL, err, sizeof err), 0);
    assert_int_equal(lstat(p, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0700);
    /* a link to a directory elsewhere */
    snprintf(elsewhere, sizeof elsewhere, "%s/elsewhere", dir);
    assert_int_equal(mkdir(elsewhere, 0755), 0);
    snprintf(p, sizeof p, "%s/security", dir);
    assert_int_equal(symlink(elsewhere, p), 0);
    sipc_dir_problem why = SIPC_DIR_OK;
    assert_int_equal(sipc__private_dir(p, (uid_t)-1, (gid_t)-1, &why, err, sizeof err),
                     SIPC_ECONFIG);
    assert_int_equal(why, SIPC_DIR_LINK);
    assert_non_null(strstr(err, p));
    assert_non_null(strstr(err, "is a symbolic link (to "));
    assert_non_null(strstr(err, elsewhere));
    int dfd = -2;
    assert_int_equal(sipc__dir_open(AT_FDCWD, p, p, &dfd, &why, err, sizeof err), SIPC_ECONFIG);
    assert_int_equal(why, SIPC_DIR_LINK);
    assert_int_equal(dfd, -1);
    assert_int_equal(lstat(p, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_int_equal(stat(elsewhere, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0755);
    /* a dangling one is not made through either */
    assert_int_equal(unlink(p), 0);
    assert_int_equal(rmdir(elsewhere), 0);
    assert_int_equal(symlink(elsewhere, p), 0);
    assert_int_equal(sipc__private_dir(p, (uid_t)-1, (gid_t)-1, NULL, err, sizeof err),
                     SIPC_ECONFIG);
    assert_non_null(strstr(err, "is a symbolic link"));
    assert_int_equal(lstat(elsewhere, &st), -1);
    assert_int_equal(unlink(p), 0);
    /* a file */
    int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(sipc__private_dir(p, (uid_t)-1, (gid_t)-1, &why, err, sizeof err),
                     SIPC_ECONFIG);
    assert_int_equal(why, SIPC_DIR_NOT_DIR);
    assert_non_null(strstr(err, "is not a directory"));
    /* the advice: the caller's words for a link and an owner, the chown */
    char adv[300] = "X";
    sipc__dir_advice(SIPC_DIR_LINK, "/h/state", "remove the link", "b", "a", adv, sizeof adv);
    assert_string_equal(adv, "X: remove the link");
    strcpy(adv, "X");
    sipc__dir_advice(SIPC_DIR_NOT_DIR, "/h/state", "l", "b", "a", adv, sizeof adv);
    assert_string_equal(adv, "X: move it out of the way");
    strcpy(adv, "X");
    sipc__dir_advice(SIPC_DIR_NOT_OWNER, "/h/state", "l", "give it", ", and more", adv,
                     sizeof adv);
    char owner[120];
    snprintf(owner, sizeof owner, "X: give it (`chown -R %u /h/state`, as root), and more",
             (unsigned)geteuid());
    assert_string_equal(adv, owner);
    strcpy(adv, "X");
    sipc__dir_advice(SIPC_DIR_FAILED, "/h/state", "l", "b", "a", adv, sizeof adv);
    assert_string_equal(adv, "X");
    assert_int_equal(unlink(p), 0);
    snprintf(p, sizeof p, "%s/made", dir);
    /* another account's (a state/ an older root sipcd left): named with its
     * owner and mode, its mode left to that owner (a child as uid 4321) */
    if (root) {
        assert_int_equal(chown(p, 0, 0), 0);
        assert_int_equal(chmod(dir, 0755), 0);
        static const mode_t modes[] = {0700, 0770};
        for (size_t i = 0; i < 2; i++) {
            assert_int_equal(chmod(p, modes[i]), 0);
            pid_t pid = fork();
            assert_true(pid >= 0);
            if (pid == 0) {
                sipc_dir_problem w = SIPC_DIR_OK;
                char e[512] = "", want[700];
                if (setgid(4321) != 0 || setuid(4321) != 0)
                    _exit(2);
                int r = sipc__private_dir(p, (uid_t)-1, (gid_t)-1, &w, e, sizeof e);
                snprintf(want, sizeof want, "%s belongs to uid 0 (mode %04o), not to this account "
                         "(uid 4321)", p, (unsigned)modes[i]);
                _exit(r == SIPC_ECONFIG && w == SIPC_DIR_NOT_OWNER && strstr(e, want) ? 0 : 1);
            }
            int status = 0;
            assert_int_equal(waitpid(pid, &status, 0), pid);
            assert_true(WIFEXITED(status));
            assert_int_equal(WEXITSTATUS(status), 0);
            assert_int_equal(lstat(p, &st), 0);
            assert_int_equal(st.st_mode & 07777, modes[i]);
        }
    }
    assert_int_equal(rmdir(p), 0);
    assert_int_equal(rmdir(dir), 0);
}

/* A write killed before its rename leaves ".NAME.XXXXXX.tmp": the next
 * replace of NAME removes those older than an hour (a link as a link,
 * never its target), and nothing else. */
static void file_replace_removes_stale_tmp(void **state)
{
    (void)state;
    char dir[] = "/tmp/sipc-test-base-XXXXXX";
    assert_non_null(mkdtemp(dir));
    int old = SIPC__FILE_REPLACE_STALE + 60;
    aged(dir, ".f.AAAAAA.tmp", NULL, old);
    aged(dir, ".f.BBBBBB.tmp", NULL, 10);      /* a write in progress, maybe */
    aged(dir, ".g.CCCCCC.tmp", NULL, old);     /* another file's */
    aged(dir, ".f.DDDDDDD.tmp", NULL, old);    /* not the pattern */
    aged(dir, "keep", NULL, old);
    char target[600];
    snprintf(target, sizeof target, "%s/keep", dir);
    aged(dir, ".f.EEEEEE.tmp", target, old);
    char path[600];
    snprintf(path, sizeof path, "%s/f", dir);
    char err[256] = "";
    assert_int_equal(sipc__file_replace(path, "new\n", 4, 0640, (uid_t)-1, (gid_t)-1, err,
                                        sizeof err), 0);
    assert_false(exists(dir, ".f.AAAAAA.tmp"));
    assert_false(exists(dir, ".f.EEEEEE.tmp"));
    assert_true(exists(dir, ".f.BBBBBB.tmp"));
    assert_true(exists(dir, ".g.CCCCCC.tmp"));
    assert_true(exists(dir, ".f.DDDDDDD.tmp"));
    assert_true(exists(dir, "keep"));
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
    assert_int_equal(st.st_size, 4);
    /* nothing of this write stays behind */
    static const char *const left[] = {"f", "keep", ".f.BBBBBB.tmp", ".g.CCCCCC.tmp",
                                       ".f.DDDDDDD.tmp"};
    for (size_t i = 0; i < sizeof left / sizeof left[0]; i++) {
        char p[600];
        snprintf(p, sizeof p, "%s/%s", dir, left[i]);
        assert_int_equal(unlink(p), 0);
    }
    assert_int_equal(rmdir(dir), 0);
}

/* Two replaces through one descriptor both sweep (the directory read
 * from its start each time), and a directory under the name is refused,
 * saying so, not renamed over. */
static void file_replace_at_twice_and_not_a_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/sipc-test-base-XXXXXX";
    assert_non_null(mkdtemp(dir));
    int old = SIPC__FILE_REPLACE_STALE + 60;
    aged(dir, ".a.OLD001.tmp", NULL, old);
    aged(dir, ".b.OLD002.tmp", NULL, old);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(dfd >= 0);
    char err[400] = "", p[600];
    snprintf(p, sizeof p, "%s/a", dir);
    assert_int_equal(sipc__file_replace_at(dfd, p, "a", "1", 1, 0600, (uid_t)-1, (gid_t)-1, err,
                                           sizeof err), 0);
    snprintf(p, sizeof p, "%s/b", dir);
    assert_int_equal(sipc__file_replace_at(dfd, p, "b", "2", 1, 0600, (uid_t)-1, (gid_t)-1, err,
                                           sizeof err), 0);
    assert_false(exists(dir, ".a.OLD001.tmp"));
    assert_false(exists(dir, ".b.OLD002.tmp"));
    assert_int_equal(mkdirat(dfd, "c", 0700), 0);
    snprintf(p, sizeof p, "%s/c", dir);
    assert_int_equal(sipc__file_replace_at(dfd, p, "c", "3", 1, 0600, (uid_t)-1, (gid_t)-1, err,
                                           sizeof err), SIPC_ECONFIG);
    char want[700];
    snprintf(want, sizeof want, "%s is not a regular file (a directory): nothing was written; move "
             "it out of the way", p);
    assert_non_null(strstr(err, want));
    struct stat st;
    assert_int_equal(fstatat(dfd, "c", &st, 0), 0);
    assert_true(S_ISDIR(st.st_mode));
    /* no temporary file left of the refused write */
    DIR *d = fdopendir(dup(dfd));
    assert_non_null(d);
    rewinddir(d); /* the dup shares dfd's offset */
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    assert_int_equal(n, 3); /* a, b, c */
    assert_int_equal(unlinkat(dfd, "a", 0), 0);
    assert_int_equal(unlinkat(dfd, "b", 0), 0);
    assert_int_equal(unlinkat(dfd, "c", AT_REMOVEDIR), 0);
    close(dfd);
    assert_int_equal(rmdir(dir), 0);
}

/* Spares are reused first in, first out (a block given back is the last
 * one taken again), never more than max are kept, and under ASan a spare
 * cannot be touched. */
static void freelist_reuse_and_bound(void **state)
{
    (void)state;
    sipc_freelist f;
    sipc_freelist_init(&f, 100, 2);
    void *a = sipc_freelist_get(&f), *b = sipc_freelist_get(&f), *c = sipc_freelist_get(&f);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    memset(a, 0xab, 100);
    sipc_freelist_put(&f, a);
    sipc_freelist_put(&f, b);
    sipc_freelist_put(&f, c); /* over max: freed */
    sipc_freelist_put(&f, NULL);
    assert_int_equal(f.n, 2);
#if defined(__SANITIZE_ADDRESS__)
    assert_true(__asan_address_is_poisoned((char *)a + 50));
    assert_true(__asan_address_is_poisoned((char *)b + sizeof(void *)));
#endif
    void *a2 = sipc_freelist_get(&f);
    assert_ptr_equal(a2, a);
    assert_int_equal(((unsigned char *)a2)[99], 0xab); /* not zeroed: the caller's job */
    /* a given back behind b: b comes first, then a, and the list empties */
    sipc_freelist_put(&f, a2);
    assert_ptr_equal(sipc_freelist_get(&f), b);
    assert_ptr_equal(sipc_freelist_get(&f), a);
    assert_int_equal(f.n, 0);
    assert_null(f.head);
    assert_null(f.tail);
    sipc_freelist_put(&f, b);
    sipc_freelist_put(&f, a);
    assert_ptr_equal(sipc_freelist_get(&f), b);
    sipc_freelist_put(&f, b);
    assert_ptr_equal(sipc_freelist_get(&f), a);
    sipc_freelist_put(&f, a);
    sipc_freelist_clear(&f);
    assert_int_equal(f.n, 0);
    assert_null(f.head);
    assert_null(f.tail);
    /* blocks smaller than the link are made large enough for it */
    sipc_freelist_init(&f, 1, 4);
    assert_true(f.size >= sizeof(void *));
    sipc_freelist_put(&f, sipc_freelist_get(&f));
    sipc_freelist_clear(&f);
}

static void ratelimit_one_line_per_interval(void **state)
{
    (void)state;
    sipc_ratelimit *rl;
    assert_int_equal(sipc_ratelimit_new(&rl, 10000, 64), 0);
    uint64_t held = 99, since = 99;
    assert_int_equal(sipc_ratelimit_allow(rl, "127.0.0.1 nomethod", 1000, &held, &since), 1);
    assert_int_equal(held, 0);
    assert_int_equal(since, 0);
    for (int i = 0; i < 99999; i++)
        assert_int_equal(sipc_ratelimit_allow(rl, "127.0.0.1 nomethod", 1000 + (uint64_t)i / 20,
                                              &held, &since),
                         0);
    /* another peer and another kind are not held back by the first */
    assert_int_equal(sipc_ratelimit_allow(rl, "127.0.0.2 nomethod", 2000, &held, &since), 1);
    assert_int_equal(sipc_ratelimit_allow(rl, "127.0.0.1 toobig", 2000, &held, &since), 1);
    /* after the interval, the next line passes and says how many were held
     * since the last line, and how long ago that was */
    assert_int_equal(sipc_ratelimit_allow(rl, "127.0.0.1 nomethod", 50000, &held, &since), 1);
    assert_int_equal(held, 99999);
    assert_int_equal(since, 49000);
    assert_int_equal(sipc_ratelimit_allow(rl, "127.0.0.1 nomethod", 50001, &held, &since), 0);
    sipc_ratelimit_free(rl);
}

/* A coarse key lets burst lines through per interval, then holds; asking
 * whether a key would be let through neither counts it nor gives it a slot. */
static void ratelimit_burst(void **state)
{
    (void)state;
    sipc_ratelimit *rl;
    assert_int_equal(sipc_ratelimit_new(&rl, 10000, 64), 0);
    uint64_t held, since;
    for (int i = 0; i < 3; i++)
        assert_int_equal(sipc_ratelimit_allow_n(rl, "host", 3, 1000, &held, &since), 1);
    assert_int_equal(sipc_ratelimit_would_allow(rl, "host", 3, 1001), 0);
    /* a line held says how many are held, itself included: 1 is the first */
    assert_int_equal(sipc_ratelimit_allow_n(rl, "host", 3, 1001, &held, &since), 0);
    assert_int_equal(held, 1);
    assert_int_equal(sipc_ratelimit_allow_n(rl, "host", 3, 1002, &held, &since), 0);
    assert_int_equal(held, 2);
    assert_int_equal(sipc_ratelimit_would_allow(rl, "host", 3, 11000), 1);
    assert_int_equal(sipc_ratelimit_allow_n(rl, "host", 3, 11000, &held, &since), 1);
    assert_int_equal(held, 2);
    assert_int_equal(since, 10000);
    assert_int_equal(sipc_ratelimit_would_allow(rl, "node", 1, 20000), 1);
    assert_int_equal(sipc_ratelimit_would_allow(rl, "node", 1, 20000), 1);
    assert_int_equal(sipc_ratelimit_allow(rl, "node", 20000, &held, &since), 1);
    assert_int_equal(held, 0);
    assert_int_equal(sipc_ratelimit_would_allow(rl, "node", 1, 20001), 0);
    sipc_ratelimit_free(rl);
}

typedef struct held_report {
    int calls, level;
    char category[32], text[200];
    uint64_t held, span;
} held_report;

static void on_held(void *arg, int level, const char *category, const char *text, uint64_t held,
                    uint64_t span_ms)
{
    held_report *r = arg;
    r->calls++;
    r->level = level;
    snprintf(r->category, sizeof r->category, "%s", category);
    snprintf(r->text, sizeof r->text, "%s", text);
    r->held = held;
    r->span = span_ms;
}

/* Lines held back are reported once their interval has ended, with the text
 * of the line they were like; a flood that goes on gets one report per
 * interval and no line in between. */
static void ratelimit_reports_held_lines(void **state)
{
    (void)state;
    sipc_ratelimit *rl;
    assert_int_equal(sipc_ratelimit_new(&rl, 10000, 64), 0);
    uint64_t held, since;
    held_report r = {0};
    assert_int_equal(sipc_ratelimit_allow(rl, "a", 1000, &held, &since), 1);
    assert_int_equal(sipc_ratelimit_remember(rl, "a", 3, "Transport.Conn", "first line of a"), 0);
    assert_int_equal(sipc_ratelimit_allow(rl, "b", 1000, &held, &since), 1);
    /* nothing held: nothing to report, nothing due */
    assert_int_equal(sipc_ratelimit_flush(rl, 20000, 0, on_held, &r), UINT64_MAX);
    assert_int_equal(r.calls, 0);
    for (int i = 0; i < 299; i++)
        assert_int_equal(sipc_ratelimit_allow(rl, "a", 2000 + (uint64_t)i * 10, &held, &since), 0);
    /* within the interval: not yet, and it says when */
    assert_int_equal(sipc_ratelimit_flush(rl, 5000, 0, on_held, &r), 11000);
    assert_int_equal(r.calls, 0);
    assert_int_equal(sipc_ratelimit_flush(rl, 11000, 0, on_held, &r), UINT64_MAX);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.held, 299);
    assert_int_equal(r.span, 10000); /* all of them within the 10 s up to the report */
    assert_int_equal(r.level, 3);
    assert_string_equal(r.category, "Transport.Conn");
    assert_string_equal(r.text, "first line of a");
    /* reported once */
    assert_int_equal(sipc_ratelimit_flush(rl, 30000, 0, on_held, &r), UINT64_MAX);
    assert_int_equal(r.calls, 1);
    /* the report counts as a line: a flood that goes on (one line a ms for
     * 30 s) is written or reported once per interval, and every line of it
     * is counted once, in a line's "(and N more)" or in a report */
    int lines = 0, reports0 = r.calls;
    uint64_t counted = 0, t = 11000;
    for (; t <= 41000; t++) {
        if (sipc_ratelimit_allow(rl, "a", t, &held, &since)) {
            lines++;
            counted += held;
        }
        int before = r.calls;
        (void)sipc_ratelimit_flush(rl, t, 0, on_held, &r);
        if (r.calls > before)
            counted += r.held;
    }
    assert_int_equal(lines + (r.calls - reports0), 3);
    assert_int_equal(counted + (uint64_t)lines, 30001);
    /* at the end, whatever is held is reported whatever the time */
    assert_int_equal(sipc_ratelimit_allow(rl, "a", t, &held, &since), 0);
    int calls = r.calls;
    assert_int_equal(sipc_ratelimit_flush(rl, t, 1, on_held, &r), UINT64_MAX);
    assert_int_equal(r.calls, calls + 1);
    assert_int_equal(r.held, 1);
    /* a report of one line held is no flood: the next line, once the
     * interval since the last one written has passed, is written whole */
    assert_int_equal(sipc_ratelimit_allow(rl, "c", 100000, &held, &since), 1);
    assert_int_equal(sipc_ratelimit_allow(rl, "c", 105000, &held, &since), 0);
    calls = r.calls;
    (void)sipc_ratelimit_flush(rl, 110000, 0, on_held, &r);
    assert_int_equal(r.calls, calls + 1);
    assert_int_equal(r.held, 1);
    assert_int_equal(sipc_ratelimit_allow(rl, "c", 112000, &held, &since), 1);
    assert_int_equal(held, 0);
    /* text kept for a key no longer in the table is dropped, and takes no
     * other key's slot */
    assert_int_equal(sipc_ratelimit_remember(rl, "never allowed", 3, "X", "x"), 0);
    assert_int_equal(sipc_ratelimit_allow(rl, "b", t, &held, &since), 1);
    sipc_ratelimit_free(rl);
}

static void ratelimit_bounded_table(void **state)
{
    (void)state;
    sipc_ratelimit *rl;
    assert_int_equal(sipc_ratelimit_new(&rl, 10000, 16), 0);
    char key[32];
    /* far more keys than slots: every new key still gets its first line */
    for (int i = 0; i < 10000; i++) {
        uint64_t held;
        snprintf(key, sizeof key, "10.0.%d.%d x", i / 256, i % 256);
        uint64_t since;
        assert_int_equal(sipc_ratelimit_allow(rl, key, 5000 + (uint64_t)i, &held, &since), 1);
    }
    sipc_ratelimit_free(rl);
    assert_int_equal(sipc_ratelimit_new(&rl, 0, 16), SIPC_EINVAL);
    assert_int_equal(sipc_ratelimit_new(&rl, 1, 0), SIPC_EINVAL);
}

typedef struct kind_reports {
    int calls, various;
    char text[200];
    uint64_t held, span;
    unsigned hosts;
    int hosts_over;
} kind_reports;

static void on_kind(void *arg, const sipc_ratelimit_kind_report *r)
{
    kind_reports *k = arg;
    k->calls++;
    k->various += r->various;
    snprintf(k->text, sizeof k->text, "%s", r->text);
    k->held += r->held;
    k->span = r->span_ms;
    k->hosts = r->hosts;
    k->hosts_over = r->hosts_over;
}

/* The second level: one event from many hosts (its kind: the key with its
 * addresses folded) gets per_kind first lines per interval, the rest are
 * counted with how many hosts, reported once the interval since the first
 * counted has ended; another kind is not held by it; a version number or a
 * count is no address. */
static void ratelimit_kind_budget(void **state)
{
    (void)state;
    sipc_ratelimit *rl;
    assert_int_equal(sipc_ratelimit_new(&rl, 10000, 256), 0);
    uint64_t held = 99;
    /* without a budget, every first line passes */
    assert_int_equal(sipc_ratelimit_admit(rl, "from 10.0.0.1 closed", 1000, &held), 1);
    sipc_ratelimit_set_budget(rl, 2, 0);
    char key[64];
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof key, "Connections from 10.0.%d.%d closed: x", i / 50, i % 50);
        int ok = sipc_ratelimit_admit(rl, key, 1000 + (uint64_t)i, &held);
        assert_int_equal(ok, i < 2);
        if (!ok)
            assert_int_equal(held, (uint64_t)i - 1);
        if (held == 1)
            assert_int_equal(sipc_ratelimit_remember_kind(rl, key, 2, "Transport.Conn", "first"), 0);
    }
    /* IPv6, with a port or a prefix: the same kind again */
    assert_int_equal(sipc_ratelimit_admit(rl, "Connections from [::1]:5 closed: x", 1200, &held), 0);
    assert_int_equal(
        sipc_ratelimit_admit(rl, "Connections from 2001:db8::/64 closed: x", 1200, &held), 0);
    assert_int_equal(held, 100);
    /* another event, and a version or a count that are not addresses */
    assert_int_equal(sipc_ratelimit_admit(rl, "from 10.0.0.1 up over TLSv1.2", 1300, &held), 1);
    assert_int_equal(sipc_ratelimit_admit(rl, "from 10.0.0.1 up over TLSv1.2", 1300, &held), 1);
    assert_int_equal(sipc_ratelimit_admit(rl, "from 10.0.0.1 up over TLSv1.3", 1300, &held), 1);
    assert_int_equal(sipc_ratelimit_admit(rl, "4096 open (limit 4096)", 1300, &held), 1);
    assert_int_equal(sipc_ratelimit_admit(rl, "4097 open (limit 4096)", 1300, &held), 1);
    kind_reports k = {0};
    assert_int_equal(sipc_ratelimit_flush_kinds(rl, 5000, 0, on_kind, &k), 11002);
    assert_int_equal(k.calls, 0);
    assert_int_equal(sipc_ratelimit_flush_kinds(rl, 11002, 0, on_kind, &k), UINT64_MAX);
    assert_int_equal(k.calls, 1);
    assert_int_equal(k.held, 100);
    assert_int_equal(k.span, 10000);
    assert_string_equal(k.text, "first");
    assert_int_equal(k.hosts, 64); /* 100 hosts: counted up to 64 */
    assert_int_equal(k.hosts_over, 1);
    /* a new interval: the kind's first lines again */
    assert_int_equal(sipc_ratelimit_admit(rl, "Connections from 10.9.9.9 closed: x", 11002, &held), 1);
    sipc_ratelimit_free(rl);
}

/* The total: at most so many lines of every kind per interval, reports
 * included; past it a report is counted under its kind, and so is what a
 * key evicted from the table held: every line is still counted. Kinds
 * beyond the kinds' table are counted together. */
static void ratelimit_total_budget(void **state)
{
    (void)state;
    sipc_ratelimit *rl;
    assert_int_equal(sipc_ratelimit_new(&rl, 10000, 16), 0);
    sipc_ratelimit_set_budget(rl, 0, 3);
    uint64_t held, since;
    /* key a: its first line, then 5 held */
    assert_int_equal(sipc_ratelimit_admit(rl, "a 10.0.0.1", 1000, &held), 1);
    assert_int_equal(sipc_ratelimit_allow(rl, "a 10.0.0.1", 1000, &held, &since), 1);
    assert_int_equal(sipc_ratelimit_remember(rl, "a 10.0.0.1", 2, "C", "a 10.0.0.1"), 0);
    for (int i = 0; i < 5; i++)
        assert_int_equal(sipc_ratelimit_allow(rl, "a 10.0.0.1", 1001, &held, &since), 0);
    /* the next interval, its budget spent before a's report is due */
    assert_int_equal(sipc_ratelimit_admit(rl, "b", 11000, &held), 1);
    assert_int_equal(sipc_ratelimit_take(rl, 11000), 1);
    assert_int_equal(sipc_ratelimit_take(rl, 11000), 1);
    assert_int_equal(sipc_ratelimit_take(rl, 11000), 0);
    assert_int_equal(sipc_ratelimit_admit(rl, "c", 11000, &held), 0);
    assert_int_equal(held, 1);
    /* a's report finds the budget spent: its kind counts it */
    held_report r = {0};
    assert_int_equal(sipc_ratelimit_flush(rl, 11000, 0, on_held, &r), UINT64_MAX);
    assert_int_equal(r.calls, 0);
    kind_reports k = {0};
    (void)sipc_ratelimit_flush_kinds(rl, 11000, 1, on_kind, &k);
    assert_int_equal(k.calls, 2); /* c's, a's */
    assert_int_equal(k.held, 6);
    /* a new interval: a's key holds again, then is evicted by many keys
     * taking turns: what it held is counted under its kind */
    assert_int_equal(sipc_ratelimit_admit(rl, "a 10.0.0.1", 30000, &held), 1);
    assert_int_equal(sipc_ratelimit_allow(rl, "a 10.0.0.1", 30000, &held, &since), 1);
    for (int i = 0; i < 7; i++)
        assert_int_equal(sipc_ratelimit_allow(rl, "a 10.0.0.1", 30001, &held, &since), 0);
    char key[32];
    for (int i = 0; i < 200; i++) {
        snprintf(key, sizeof key, "k%d", i);
        (void)sipc_ratelimit_allow(rl, key, 30002 + (uint64_t)i, &held, &since);
    }
    memset(&k, 0, sizeof k);
    (void)sipc_ratelimit_flush_kinds(rl, 30500, 1, on_kind, &k);
    assert_int_equal(k.calls, 1);
    assert_int_equal(k.held, 7);
    assert_string_equal(k.text, "a 10.0.0.1");
    assert_int_equal(k.hosts, 1);
    /* more kinds than the table holds, each holding a line: none lost */
    sipc_ratelimit_set_budget(rl, 1, 0);
    for (int i = 0; i < 40; i++) {
        snprintf(key, sizeof key, "kind %d", i);
        assert_int_equal(sipc_ratelimit_admit(rl, key, 50000, &held), 1);
        assert_int_equal(sipc_ratelimit_admit(rl, key, 50000, &held), 0);
    }
    memset(&k, 0, sizeof k);
    (void)sipc_ratelimit_flush_kinds(rl, 50000, 1, on_kind, &k);
    assert_int_equal(k.held, 40);
    assert_int_equal(k.various, 1);
    assert_int_equal(k.calls, 17);
    sipc_ratelimit_free(rl);
}

/* Every capacity from 0 up against every length around it: the same bytes as
 * snprintf(dst, cap, "%s", src), nothing written past cap, and a cut
 * reported exactly when snprintf would have returned cap or more. */
static void str_copy_as_snprintf(void **state)
{
    (void)state;
    const char *full = "0123456789abcdef";
    for (size_t len = 0; len <= 16; len++) {
        char src[17];
        memcpy(src, full, len);
        src[len] = '\0';
        for (size_t cap = 0; cap <= 18; cap++) {
            char got[24], want[24];
            memset(got, '#', sizeof got);
            memset(want, '#', sizeof want);
            int n = snprintf(want, cap, "%s", src);
            int cut = sipc_str_copy(got, cap, src);
            assert_memory_equal(got, want, sizeof got);
            assert_int_equal(cut, (size_t)n >= cap);
            if (cap > 0)
                assert_int_equal(strlen(got), len < cap ? len : cap - 1);
        }
    }
}

static void str_copy_edges(void **state)
{
    (void)state;
    char b[4];
    /* fits exactly, one too many, empty, into one byte */
    assert_int_equal(sipc_str_copy(b, sizeof b, "abc"), 0);
    assert_string_equal(b, "abc");
    assert_int_equal(sipc_str_copy(b, sizeof b, "abcd"), 1);
    assert_string_equal(b, "abc");
    assert_int_equal(sipc_str_copy(b, sizeof b, ""), 0);
    assert_string_equal(b, "");
    assert_int_equal(sipc_str_copy(b, 1, "x"), 1);
    assert_string_equal(b, "");
    assert_int_equal(sipc_str_copy(b, 1, ""), 0);
    assert_string_equal(b, "");
    /* cap 0 writes nothing, and nothing fits in it, not even "" */
    memcpy(b, "zzz", 4);
    assert_int_equal(sipc_str_copy(b, 0, "x"), 1);
    assert_int_equal(sipc_str_copy(b, 0, ""), 1);
    assert_string_equal(b, "zzz");
}

/* The text copy cuts between UTF-8 characters: at every capacity, a prefix
 * of whole characters, the longest that fits; what fits whole is copied as
 * sipc_str_copy copies it. */
static void str_copy_utf8_at_characters(void **state)
{
    (void)state;
    /* 1, 2, 3 and 4-byte characters: a, U+00E9, U+20AC, U+1F600 */
    const char *src = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80" "b";
    const size_t starts[] = {0, 1, 3, 6, 10, 11}; /* where each character begins, and the end */
    size_t len = strlen(src);
    for (size_t cap = 0; cap <= len + 2; cap++) {
        char got[24];
        memset(got, '#', sizeof got);
        int cut = sipc_str_copy_utf8(got, cap, src);
        assert_int_equal(cut, len >= cap);
        if (cap == 0) {
            assert_int_equal(got[0], '#');
            continue;
        }
        size_t want = 0;
        for (size_t k = 0; k < sizeof starts / sizeof starts[0]; k++)
            if (starts[k] < cap)
                want = starts[k];
        assert_int_equal(strlen(got), want);
        assert_memory_equal(got, src, want);
    }
    /* text that is not UTF-8 (a run of continuation bytes, as Latin-1
     * might give): at most 3 bytes given back, not the whole run */
    char bad[40], got[32];
    memset(bad, 0xa9, sizeof bad - 1);
    bad[sizeof bad - 1] = '\0';
    assert_int_equal(sipc_str_copy_utf8(got, sizeof got, bad), 1);
    assert_int_equal(strlen(got), sizeof got - 1 - 3);
}

/* What a write that took skip bytes of the pieces left: every skip from
 * nothing to all, across empty pieces and piece boundaries. */
static void buf_append_rest_every_skip(void **state)
{
    (void)state;
    static const char all[] = "abcdefghij";
    const sipc_piece v[] = {{all, 3}, {all + 3, 0}, {all + 3, 5}, {all + 8, 1}, {all + 9, 1}};
    for (size_t skip = 0; skip <= 10; skip++) {
        sipc_buf b = {0};
        assert_int_equal(sipc_buf_append(&b, "<", 1), 0);
        assert_int_equal(sipc_buf_append_rest(&b, v, sizeof v / sizeof v[0], skip), 0);
        assert_int_equal(b.len, 1 + 10 - skip);
        assert_memory_equal(b.data + 1, all + skip, 10 - skip);
        sipc_buf_free(&b);
    }
}

/* cp as UTF-8 in out (NUL-terminated); its length. */
static size_t utf8_of(uint32_t cp, char out[5])
{
    unsigned char *o = (unsigned char *)out;
    size_t n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (n == 1)
        o[0] = (unsigned char)cp;
    for (size_t i = n - 1; n > 1 && i > 0; i--, cp >>= 6)
        o[i] = (unsigned char)(0x80 | (cp & 0x3f));
    if (n > 1)
        o[0] = (unsigned char)((n == 2 ? 0xc0 : n == 3 ? 0xe0 : 0xf0) | cp);
    o[n] = 0;
    return n;
}

/* Printable: what shows as itself, accented letters, CJK, RTL letters and
 * visible spaces included. Not printable: controls, broken UTF-8, and what
 * shows nothing of its own yet changes what is shown (text direction,
 * zero-width, other default-ignorable characters, line separators). Each
 * range's edges are checked against its neighbours. */
static void utf8_printable_classes(void **state)
{
    (void)state;
    static const uint32_t shown[] = {
        'a', ' ', '~', 0xa0, 0xac, 0xae, 0xe9, 0x34e, 0x350, 0x5d0 /* alef */,
        0x61b, 0x61d, 0x627 /* Arabic alef */, 0x115e, 0x1161, 0x17b3, 0x17b6, 0x180a,
        0x1810, 0x200a, 0x2010, 0x2027, 0x202f, 0x205f, 0x2070, 0x3000, 0x3163, 0x3165,
        0x65e5 /* CJK */, 0xac00 /* Hangul */, 0xfdff, 0xfe10, 0xfefe, 0xff00, 0xff9f,
        0xffa1, 0xffef, 0xfffc, 0xfffd, 0x1bc9f, 0x1bca4, 0x1d172, 0x1d17b, 0x1f600,
        0xdffff, 0xe1000, 0xf0000, 0x10ffff,
    };
    static const uint32_t hidden[] = {
        0x80, 0x85, 0x9b, 0x9f, /* C1 controls */
        0xad, 0x34f, 0x61c, 0x115f, 0x1160, 0x17b4, 0x17b5, 0x180b, 0x180e, 0x180f,
        0x200b, 0x200c, 0x200d, 0x200e, 0x200f, 0x2028, 0x2029, 0x202a, 0x202b, 0x202c,
        0x202d, 0x202e, 0x2060, 0x2061, 0x2064, 0x2065, 0x2066, 0x2067, 0x2068, 0x2069,
        0x206a, 0x206f, 0x3164, 0xfe00, 0xfe0f, 0xfeff, 0xffa0, 0xfff0, 0xfff9, 0xfffb,
        0x1bca0, 0x1bca3, 0x1d173, 0x1d17a, 0xe0000, 0xe0001, 0xe0041, 0xe0100, 0xe0fff,
    };
    char c[5];
    for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++) {
        size_t n = utf8_of(shown[i], c);
        if (sipc__utf8_printable_len((const unsigned char *)c) != n)
            fail_msg("U+%04X should be printable", (unsigned)shown[i]);
        assert_int_equal(sipc__utf8_printable(c), 1);
    }
    for (size_t i = 0; i < sizeof hidden / sizeof hidden[0]; i++) {
        utf8_of(hidden[i], c);
        if (sipc__utf8_printable_len((const unsigned char *)c) != 0)
            fail_msg("U+%04X should not be printable", (unsigned)hidden[i]);
        assert_int_equal(sipc__utf8_printable(c), 0);
    }
    /* C0, DEL, broken UTF-8 (a lone continuation, a cut character, an
     * overlong form, a surrogate, past U+10FFFF), the NUL */
    static const char *const broken[] = {"\x1b", "\x7f", "\x80", "\xe2\x80", "\xc0\xaf",
                                         "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff", ""};
    for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++)
        assert_int_equal(sipc__utf8_printable_len((const unsigned char *)broken[i]), 0);
    /* names: accented and CJK ones pass, a look-alike or a reordering one
     * does not, and the first offender is named with its byte offset */
    assert_true(sipc__utf8_printable("n\xc3\xa9ud-\xe6\x97\xa5\xe6\x9c\xac"));
    char what[64];
    assert_int_equal(sipc__utf8_unprintable("n\xc3\xa9ud", what, sizeof what), -1);
    assert_int_equal(sipc__utf8_unprintable("n1\xe2\x80\xae" "2n", what, sizeof what), 2);
    assert_string_equal(what, "U+202E (an invisible or text-direction character)");
    assert_int_equal(sipc__utf8_unprintable("\xc3\xa9n1\xe2\x80\x8b", what, sizeof what), 4);
    assert_string_equal(what, "U+200B (an invisible or text-direction character)");
    assert_int_equal(sipc__utf8_unprintable("a\xc2\x9b", what, sizeof what), 1);
    assert_string_equal(what, "the control character U+009B");
    assert_int_equal(sipc__utf8_unprintable("ab\x1b[2J", what, sizeof what), 2);
    assert_string_equal(what, "the control character 0x1b");
    assert_int_equal(sipc__utf8_unprintable("n\xe9ud", what, sizeof what), 1);
    assert_string_equal(what, "the byte 0xe9 (not UTF-8)");
    assert_int_equal(sipc__utf8_unprintable("\xef\xbb\xbfn1", NULL, 0), 0);
}

/* The two-phase write (tlstool's import of two files): the temporary file
 * is written with its mode but not renamed, and held locked until it is put
 * in place, so a sweep leaves it alone while a write that was killed (its
 * file no longer locked) is removed; the names of the pattern are told from
 * others. */
static void file_tmp_held_until_put(void **state)
{
    (void)state;
    char dir[] = "/tmp/sipc-test-base-XXXXXX";
    assert_non_null(mkdtemp(dir));
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(dfd >= 0);
    char err[400] = "", p[600];
    snprintf(p, sizeof p, "%s/k", dir);
    sipc__file_tmp t;
    assert_int_equal(sipc__file_tmp_write_at(dfd, p, "k", "key\n", 4, 0600, (uid_t)-1, (gid_t)-1,
                                             &t, err, sizeof err), 0);
    assert_true(sipc__file_tmp_name(t.name));
    assert_int_equal(strncmp(t.name, ".k.", 3), 0);
    struct stat st;
    assert_int_equal(fstatat(dfd, t.name, &st, AT_SYMLINK_NOFOLLOW), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(st.st_size, 4);
    assert_false(exists(dir, "k"));
    /* a write in progress: left */
    assert_int_equal(sipc__file_tmp_remove(dfd, t.name), 1);
    assert_true(exists(dir, t.name));
    char tmp[sizeof t.name];
    snprintf(tmp, sizeof tmp, "%s", t.name);
    assert_int_equal(sipc__file_tmp_put(dfd, &t, p, "k", err, sizeof err), 0);
    assert_false(exists(dir, tmp));
    assert_int_equal(fstatat(dfd, "k", &st, AT_SYMLINK_NOFOLLOW), 0);
    assert_int_equal(st.st_size, 4);
    sipc__file_tmp_drop(dfd, &t); /* nothing left to do: harmless */
    assert_true(exists(dir, "k"));
    /* given up: nothing stays */
    assert_int_equal(sipc__file_tmp_write_at(dfd, p, "k", "x", 1, 0600, (uid_t)-1, (gid_t)-1, &t,
                                             err, sizeof err), 0);
    snprintf(tmp, sizeof tmp, "%s", t.name);
    sipc__file_tmp_drop(dfd, &t);
    assert_false(exists(dir, tmp));
    /* a killed write's leftover (no lock held): removed, however young */
    aged(dir, ".k.Abc123.tmp", NULL, 0);
    assert_int_equal(sipc__file_tmp_remove(dfd, ".k.Abc123.tmp"), 0);
    assert_false(exists(dir, ".k.Abc123.tmp"));
    /* a link of the pattern: neither followed nor removed */
    aged(dir, ".k.Lnk123.tmp", p, 0);
    assert_true(sipc__file_tmp_remove(dfd, ".k.Lnk123.tmp") < 0);
    assert_true(exists(dir, ".k.Lnk123.tmp"));
    assert_true(exists(dir, "k"));
    assert_int_equal(unlinkat(dfd, ".k.Lnk123.tmp", 0), 0);
    /* the pattern, of any name */
    assert_true(sipc__file_tmp_name(".node.crt.aZ09xY.tmp"));
    assert_false(sipc__file_tmp_name("node.crt.aZ09xY.tmp"));
    assert_false(sipc__file_tmp_name(".node.crt.aZ09x.tmp"));
    assert_false(sipc__file_tmp_name(".node.crt.aZ0-xY.tmp"));
    assert_false(sipc__file_tmp_name("node.crt.tmp.1234"));
    assert_false(sipc__file_tmp_name(".aZ09xY.tmp"));
    assert_int_equal(unlinkat(dfd, "k", 0), 0);
    close(dfd);
    assert_int_equal(rmdir(dir), 0);
}

/* The descriptor that holds a two-phase write's lock is close-on-exec, as
 * the file was opened: a program exec'd meanwhile gets no writable
 * descriptor of the key file, nor its lock. And a write in progress is
 * never taken for a killed one by another write's sweep, however old its
 * temporary file looks (a stopped process, a file server's clock behind):
 * its lock says it is in progress. */
static void file_tmp_lock_cloexec_and_kept_when_old(void **state)
{
    (void)state;
    char dir[] = "/tmp/sipc-test-base-XXXXXX";
    assert_non_null(mkdtemp(dir));
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(dfd >= 0);
    char err[400] = "", p[600];
    snprintf(p, sizeof p, "%s/k", dir);
    sipc__file_tmp t;
    assert_int_equal(sipc__file_tmp_write_at(dfd, p, "k", "key\n", 4, 0600, (uid_t)-1, (gid_t)-1,
                                             &t, err, sizeof err), 0);
    int flags = fcntl(t.fd, F_GETFD);
    assert_true(flags >= 0);
    assert_true(flags & FD_CLOEXEC);
    /* made to look two hours old, still held: another write of k leaves it */
    struct timespec ts[2] = {{time(NULL) - 2 * SIPC__FILE_REPLACE_STALE, 0},
                             {time(NULL) - 2 * SIPC__FILE_REPLACE_STALE, 0}};
    assert_int_equal(utimensat(dfd, t.name, ts, AT_SYMLINK_NOFOLLOW), 0);
    assert_int_equal(sipc__file_replace_at(dfd, p, "k", "other\n", 6, 0600, (uid_t)-1,
                                           (gid_t)-1, err, sizeof err), 0);
    assert_true(exists(dir, t.name));
    /* and it goes in place as it would have */
    assert_int_equal(sipc__file_tmp_put(dfd, &t, p, "k", err, sizeof err), 0);
    struct stat st;
    assert_int_equal(fstatat(dfd, "k", &st, AT_SYMLINK_NOFOLLOW), 0);
    assert_int_equal(st.st_size, 4);
    /* an old one no write holds still goes */
    aged(dir, ".k.Old123.tmp", NULL, SIPC__FILE_REPLACE_STALE + 60);
    assert_int_equal(sipc__file_replace_at(dfd, p, "k", "x", 1, 0600, (uid_t)-1, (gid_t)-1, err,
                                           sizeof err), 0);
    assert_false(exists(dir, ".k.Old123.tmp"));
    assert_int_equal(unlinkat(dfd, "k", 0), 0);
    close(dfd);
    assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(buf_append_rest_every_skip),
        cmocka_unit_test(idmap_put_take_grow),
        cmocka_unit_test(idmap_sliding_window),
        cmocka_unit_test(idmap_shrinks_after_burst),
        cmocka_unit_test(idmap_long_lived),
        cmocka_unit_test(idmap_wide_window),
        cmocka_unit_test(idmap_shrink_blocked),
        cmocka_unit_test(freelist_reuse_and_bound),
        cmocka_unit_test(file_replace_removes_stale_tmp),
        cmocka_unit_test(file_replace_at_twice_and_not_a_file),
        cmocka_unit_test(file_tmp_held_until_put),
        cmocka_unit_test(file_tmp_lock_cloexec_and_kept_when_old),
        cmocka_unit_test(private_dir_refuses_link),
        cmocka_unit_test(ratelimit_one_line_per_interval),
        cmocka_unit_test(ratelimit_reports_held_lines),
        cmocka_unit_test(ratelimit_burst),
        cmocka_unit_test(ratelimit_bounded_table),
        cmocka_unit_test(ratelimit_kind_budget),
        cmocka_unit_test(ratelimit_total_budget),
        cmocka_unit_test(str_copy_as_snprintf),
        cmocka_unit_test(str_copy_edges), cmocka_unit_test(str_copy_utf8_at_characters),
        cmocka_unit_test(utf8_printable_classes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
