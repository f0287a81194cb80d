/* test_records_mark.c - services/sipcd/records_mark.c on its own: the
 * host's state/ functions and the data service's state are stubbed here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/file_replace.h"
#include "host.h"
#include "records_mark.h"
#include "testutil.h"

/* the data service as records_mark sees it */
static sipc_data_mark fake_mark;
static sipc_data_open_state fake_os;

void sipc_data_mark_get(const sipc_data *d, sipc_data_mark *out)
{
    (void)d;
    *out = fake_mark;
}

void sipc_data_open_state_get(const sipc_data *d, sipc_data_open_state *out)
{
    (void)d;
    *out = fake_os;
}

void sipc_data_refuse_writes(sipc_data *d, const char *why)
{
    (void)d;
    (void)why;
}

int host_state_dir(const char *home, char *path, size_t len, int *fd, int *unfit, char *err,
                   size_t errlen)
{
    if (unfit)
        *unfit = 0;
    snprintf(path, len, "%s/state", home);
    *fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (*fd < 0) {
        snprintf(err, errlen, "%s: cannot open", path);
        return -1;
    }
    return 0;
}

int host_state_remove(const char *home, const char *name, char *err, size_t errlen)
{
    char path[800];
    snprintf(path, sizeof path, "%s/state/%s", home, name);
    if (unlink(path) != 0) {
        snprintf(err, errlen, "%s: cannot remove", path);
        return -1;
    }
    return 1;
}

void host_state_written(struct host *h, const char *name, int r, const char *err)
{
    (void)h;
    (void)name;
    (void)r;
    (void)err;
}

/* the host's writer of state/ files, on the directory above and base's
 * writer, as host_status.c has it */
int host_state_put(struct host *h, const char *name, const char *text, char *err, size_t errlen)
{
    char dir[700], path[800];
    int dfd;
    int r = host_state_dir(h->cfg.home, dir, sizeof dir, &dfd, NULL, err, errlen);
    if (r != 0)
        return r;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    r = sipc__file_replace_at(dfd, path, name, text, strlen(text), 0600, (uid_t)-1, (gid_t)-1,
                              err, errlen);
    close(dfd);
    return r;
}

static int count_lines(const char *path)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return -1;
    int n = 0, c;
    while ((c = fgetc(fp)) != EOF)
        n += c == '\n';
    fclose(fp);
    return n;
}

/* A start that made a new records.db and set a -wal aside under a path
 * with UTF-8 in it (HOME=/srv/jörg): the same finding noted again (a retry
 * after a failed save, a start that died before the mark) is one line. */
static void t_lost_non_ascii_once(void **state)
{
    (void)state;
    char *home = tu_mkdtemp("markutf8");
    char dir[700], lost[760];
    snprintf(dir, sizeof dir, "%s/state", home);
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(lost, sizeof lost, "%s/records-lost", dir);
    host *h = calloc(1, sizeof *h);
    assert_non_null(h);
    snprintf(h->cfg.home, sizeof h->cfg.home, "%s", home);
    h->data = (sipc_data *)1; /* never used: the stubs above answer */
    memset(&fake_mark, 0, sizeof fake_mark);
    fake_mark.instance = 77;
    memset(&fake_os, 0, sizeof fake_os);
    fake_os.open = 1;
    fake_os.made_new = 1;
    snprintf(fake_os.wal_set_aside, sizeof fake_os.wal_set_aside,
             "/srv/j\xc3\xb6rg/data/records.db-wal.set-aside-20261206T040000Z");
    for (int i = 0; i < 2; i++) {
        memset(&h->mark, 0, sizeof h->mark);
        records_mark_start(h);
        assert_int_equal(h->mark.lost_pending, 0);
        assert_int_equal(count_lines(lost), 1);
        /* the mark not saved (as by a start that died before it) */
        char mark[760];
        snprintf(mark, sizeof mark, "%s/records-mark", dir);
        unlink(mark);
    }
    FILE *fp = fopen(lost, "r");
    assert_non_null(fp);
    char line[1600] = "";
    assert_non_null(fgets(line, sizeof line, fp));
    fclose(fp);
    assert_non_null(strstr(line, "/srv/j??rg/data/records.db-wal.set-aside-"));
    free(h);
    tu_rmdir(home);
    free(home);
}

/* records_lost_json of home: the number of entries, or -1 */
static int lost_entries(const char *home)
{
    json_t *l = records_lost_json(home);
    int n = json_is_array(l) ? (int)json_array_size(l) : -1;
    json_decref(l);
    return n;
}

/* A state/records-lost that cannot be opened for want of a descriptor is
 * no alarm of lost records (nothing is known of what it holds, and most
 * often there is no such file): in a child, its open-file limit filled. */
static void t_lost_unopened_no_alarm(void **state)
{
    (void)state;
    char *home = tu_mkdtemp("markfds");
    char path[760];
    snprintf(path, sizeof path, "%s/state", home);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/state/records-lost", home);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("2026-12-06T04:00:00Z a finding\n", fp);
    fclose(fp);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct rlimit rl = {64, 64};
        if (lost_entries(home) != 1 || setrlimit(RLIMIT_NOFILE, &rl) != 0)
            _exit(1);
        for (int i = 0; i < 64 && dup(2) >= 0; i++) {
        }
        _exit(lost_entries(home) == 0 ? 0 : 2);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    tu_rmdir(home);
    free(home);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_lost_non_ascii_once),
        cmocka_unit_test(t_lost_unopened_no_alarm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
