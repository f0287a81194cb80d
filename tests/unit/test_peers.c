/* test_peers.c - the peer history behind the strict guard
 * (services/sipcd/peers.c): a peer a forced strict cut off is not counted,
 * but shown as cut off, and seeing it again, in plaintext or over TLS, clears
 * the mark, even within the second it was marked in; hellos under made-up
 * node ids cannot push another host's peer out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "services/sipcd/peers.h"
#include "sipc/errno.h"

#define WINDOW 600
#define T0 1700000000

static host_peers *fresh(void)
{
    host_peers *ps = calloc(1, sizeof *ps);
    assert_non_null(ps);
    return ps;
}

/* Removes a test home holding at most state/peers. */
static void rm_home(const char *home)
{
    char path[800];
    snprintf(path, sizeof path, "%s/state/peers", home);
    unlink(path);
    snprintf(path, sizeof path, "%s/state", home);
    rmdir(path);
    rmdir(home);
}

static int listed(const host_peers *ps, const char *node, int64_t now)
{
    host_peer out[8];
    int n = host_peers_plaintext(ps, WINDOW, "self", now, out, 8);
    for (int i = 0; i < n && i < 8; i++)
        if (!strcmp(out[i].node, node))
            return 1;
    return 0;
}

/* whether node is among all the guard counts, not just the first few */
static int listed_all(const host_peers *ps, const char *node, int64_t now)
{
    static host_peer out[HOST_PEERS_MAX];
    int n = host_peers_plaintext(ps, WINDOW, "self", now, out, HOST_PEERS_MAX);
    for (int i = 0; i < n; i++)
        if (!strcmp(out[i].node, node))
            return 1;
    return 0;
}

/* c seen in plaintext at T0, then cut off by a force at `at`: a fresh history */
static host_peers *cut_off_c(int64_t at)
{
    host_peers *ps = fresh();
    host_peers_seen(ps, "127.0.0.3:40000", "c", 0, "data", T0);
    assert_int_equal(host_peers_cut_off(ps, WINDOW, "self", at), 1);
    ps->dirty = 0;
    return ps;
}

static void t_cut_off_not_listed(void **state)
{
    (void)state;
    host_peers *ps = fresh();
    assert_int_equal(host_peers_seen(ps, "127.0.0.3:40000", "c", 0, "data", T0), 1);
    assert_true(listed(ps, "c", T0 + 1));
    ps->dirty = 0;
    assert_int_equal(host_peers_cut_off(ps, WINDOW, "self", T0 + 1), 1);
    assert_true(ps->dirty);
    assert_false(listed(ps, "c", T0 + 1));
    /* nothing left to mark: a second force marks no one */
    assert_int_equal(host_peers_cut_off(ps, WINDOW, "self", T0 + 1), 0);
    free(ps);
}

static const char *node_at(json_t *g, const char *list, size_t i)
{
    return json_string_value(json_object_get(json_array_get(json_object_get(g, list), i), "node"));
}

/* The status names whom a force cut off, newest first, whatever the window,
 * until each connects again. */
static void t_guard_json_lists_cut_off(void **state)
{
    (void)state;
    host_peers *ps = fresh();
    host_peers_seen(ps, "127.0.84.3:40000", "c", 0, "data", T0);
    host_peers_seen(ps, "127.0.84.4:40000", "d", 0, "search", T0 + 2);
    assert_int_equal(host_peers_cut_off(ps, WINDOW, "self", T0 + 3), 2);
    host_peers_seen(ps, "127.0.84.2:40000", "b", 0, "data", T0 + 4);
    json_t *g = host_peers_guard_json(ps, WINDOW, "self", T0 + 5);
    assert_int_equal(json_array_size(json_object_get(g, "plaintext_peers")), 1);
    assert_string_equal(node_at(g, "plaintext_peers", 0), "b");
    assert_int_equal(json_array_size(json_object_get(g, "cut_off_peers")), 2);
    assert_string_equal(node_at(g, "cut_off_peers", 0), "d");
    assert_string_equal(node_at(g, "cut_off_peers", 1), "c");
    json_t *d = json_array_get(json_object_get(g, "cut_off_peers"), 0);
    assert_string_equal(json_string_value(json_object_get(d, "address")), "127.0.84.4");
    assert_string_equal(json_string_value(json_object_get(d, "service")), "search");
    assert_int_equal(json_integer_value(json_object_get(d, "seconds_ago")), 3);
    assert_non_null(json_string_value(json_object_get(d, "last_seen")));
    json_decref(g);
    /* out of the window: still cut off; c back over TLS: no longer */
    host_peers_seen(ps, "127.0.84.3:40001", "c", 1, "data", T0 + 5000);
    g = host_peers_guard_json(ps, WINDOW, "self", T0 + 5001);
    assert_int_equal(json_array_size(json_object_get(g, "plaintext_peers")), 0);
    assert_int_equal(json_array_size(json_object_get(g, "cut_off_peers")), 1);
    assert_string_equal(node_at(g, "cut_off_peers", 0), "d");
    json_decref(g);
    free(ps);
}

static void t_plaintext_again_clears(void **state)
{
    (void)state;
    host_peers *ps = cut_off_c(T0 + 5);
    /* news: the guard names it again */
    assert_int_equal(host_peers_seen(ps, "127.0.0.3:40001", "c", 0, "data", T0 + 10), 1);
    assert_int_equal(ps->n, 1);
    assert_false(ps->p[0].cut_off);
    assert_true(ps->dirty);
    assert_true(listed(ps, "c", T0 + 10));
    free(ps);
}

static void t_tls_again_clears(void **state)
{
    (void)state;
    host_peers *ps = cut_off_c(T0 + 5);
    /* TLS is no news for the guard, but the mark is gone and saved */
    assert_int_equal(host_peers_seen(ps, "127.0.0.3:40001", "c", 1, "data", T0 + 10), 0);
    assert_int_equal(ps->n, 1);
    assert_false(ps->p[0].cut_off);
    assert_true(ps->p[0].tls);
    assert_true(ps->dirty);
    assert_false(listed(ps, "c", T0 + 10));
    /* and a later plaintext connection is news again */
    assert_int_equal(host_peers_seen(ps, "127.0.0.3:40002", "c", 0, "data", T0 + 20), 1);
    assert_true(listed(ps, "c", T0 + 20));
    free(ps);
}

/* seen, cut off and seen again within one second, by the same transport on
 * the same service: the shortcut for repeats in one second must not keep
 * the mark */
static void t_same_second_clears(void **state)
{
    (void)state;
    host_peers *ps = cut_off_c(T0);
    assert_int_equal(host_peers_seen(ps, "127.0.0.3:40001", "c", 0, "data", T0), 1);
    assert_false(ps->p[0].cut_off);
    assert_true(ps->dirty);
    assert_true(listed(ps, "c", T0));
    /* a plain repeat in that second is neither news nor a change */
    ps->dirty = 0;
    assert_int_equal(host_peers_seen(ps, "127.0.0.3:40002", "c", 0, "data", T0), 0);
    assert_false(ps->dirty);
    free(ps);
}

/* the mark survives a save and a load: a restart still knows it */
static void t_cut_off_saved(void **state)
{
    (void)state;
    char home[] = "/tmp/test_peers.XXXXXX";
    assert_non_null(mkdtemp(home));
    host_peers *ps = fresh(), *back = fresh();
    char err[800];
    assert_int_equal(host_peers_load(ps, home, err, sizeof err), 0);
    host_peers_seen(ps, "127.0.0.3:40000", "c", 0, "data", T0);
    host_peers_seen(ps, "127.0.0.4:40000", "d", 0, "data", T0);
    host_peers_cut_off(ps, WINDOW, "self", T0 + 1);
    host_peers_seen(ps, "127.0.0.4:40001", "d", 0, "data", T0 + 2);
    assert_int_equal(host_peers_save(ps, err, sizeof err), 0);
    assert_int_equal(host_peers_load(back, home, err, sizeof err), 0);
    assert_int_equal(back->n, 2);
    assert_false(listed(back, "c", T0 + 3));
    assert_true(listed(back, "d", T0 + 3));
    rm_home(home);
    free(ps);
    free(back);
}

/* A peer cut off is listed for HOST_CUT_OFF_LISTED_S after the force (or
 * while a longer window still holds it), then no longer: the list of a node
 * whose clients come and go does not grow for ever. The time of the force
 * survives a save and a load. */
static void t_cut_off_ages_out(void **state)
{
    (void)state;
    host_peers *ps = fresh();
    host_peers_seen(ps, "127.0.84.3:40000", "c", 0, "data", T0);
    assert_int_equal(host_peers_cut_off(ps, WINDOW, "self", T0 + 100), 1);
    const int64_t end = T0 + 100 + HOST_CUT_OFF_LISTED_S;
    json_t *g = host_peers_guard_json(ps, WINDOW, "self", end);
    assert_int_equal(json_array_size(json_object_get(g, "cut_off_peers")), 1);
    json_decref(g);
    g = host_peers_guard_json(ps, WINDOW, "self", end + 1);
    assert_int_equal(json_array_size(json_object_get(g, "cut_off_peers")), 0);
    json_decref(g);
    /* a window longer than that: listed while it holds its last connection */
    g = host_peers_guard_json(ps, 2 * HOST_CUT_OFF_LISTED_S, "self", end + 1);
    assert_int_equal(json_array_size(json_object_get(g, "cut_off_peers")), 1);
    json_decref(g);
    /* the force's time is kept across a restart */
    char home[] = "/tmp/test_peers.XXXXXX";
    assert_non_null(mkdtemp(home));
    char err[800], path[800];
    host_peers *back = fresh();
    assert_int_equal(host_peers_load(back, home, err, sizeof err), 0);
    *back = *ps;
    snprintf(back->path, sizeof back->path, "%s/state/peers", home);
    back->dirty = 1;
    assert_int_equal(host_peers_save(back, err, sizeof err), 0);
    assert_int_equal(host_peers_load(back, home, err, sizeof err), 0);
    assert_int_equal(back->n, 1);
    assert_true(back->p[0].cut_off);
    assert_int_equal(back->p[0].cut_at, T0 + 100);
    snprintf(path, sizeof path, "%s/state/peers", home);
    unlink(path);
    snprintf(path, sizeof path, "%s/state", home);
    rmdir(path);
    rmdir(home);
    free(back);
    free(ps);
}

/* Reads the first line of path into line. */
static void first_line(const char *path, char *line, size_t len)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    line[0] = '\0';
    assert_non_null(fgets(line, (int)len, f));
    fclose(f);
}

/* The history and the override are written as new files: a link planted
 * in state/ as the history itself, or as the override, is refused, never
 * written through (sipcd, or root's tlstool, would overwrite the file it
 * points to) nor replaced, and a link as the override does not count as
 * one. The link
 * at state/peers.tmp, the fixed temporary name of older versions (the
 * temporary name is now unforeseeable), guards against that name coming
 * back. */
static void t_state_files_not_through_links(void **state)
{
    (void)state;
    char home[] = "/tmp/test_peers.XXXXXX";
    assert_non_null(mkdtemp(home));
    char victim[800], trap[800], dir[800], err[800];
    snprintf(victim, sizeof victim, "%s/victim", home);
    FILE *f = fopen(victim, "w");
    assert_non_null(f);
    fputs("precious\n", f);
    fclose(f);
    snprintf(dir, sizeof dir, "%s/state", home);
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(trap, sizeof trap, "%s/state/peers.tmp", home);
    assert_int_equal(symlink(victim, trap), 0);
    host_peers *ps = fresh();
    assert_int_equal(host_peers_load(ps, home, err, sizeof err), 0);
    /* planted once the (empty) history is loaded: the save is refused,
     * saying so, and writes nothing through it nor replaces it */
    char planted[800];
    snprintf(planted, sizeof planted, "%s/state/peers", home);
    assert_int_equal(symlink(victim, planted), 0);
    host_peers_seen(ps, "127.0.0.3:40000", "c", 0, "data", T0);
    assert_int_equal(host_peers_save(ps, err, sizeof err), SIPC_ECONFIG);
    assert_non_null(strstr(err, "state/peers is a symbolic link (to "));
    assert_non_null(strstr(err, "remove the link"));
    char line[64];
    first_line(victim, line, sizeof line);
    assert_string_equal(line, "precious\n");
    char path[800];
    struct stat st;
    assert_int_equal(lstat(planted, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_int_equal(unlink(planted), 0);
    assert_int_equal(host_peers_save(ps, err, sizeof err), 0);
    snprintf(path, sizeof path, "%s/state/peers", home);
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0600);
    unlink(trap);
    /* nor read through one: a link as the history is refused, not loaded */
    char saved[800];
    snprintf(saved, sizeof saved, "%s/saved", home);
    assert_int_equal(rename(path, saved), 0);
    assert_int_equal(symlink(saved, path), 0);
    host_peers *back = fresh();
    assert_int_equal(host_peers_load(back, home, err, sizeof err), SIPC_EFORMAT);
    assert_int_equal(back->n, 0);
    assert_non_null(strstr(err, "cannot read"));
    free(back);
    unlink(path);
    unlink(saved);
    /* the override */
    char ovr[800];
    snprintf(ovr, sizeof ovr, "%s/state/force-strict", home);
    assert_int_equal(symlink(victim, ovr), 0);
    assert_int_equal(host_force_strict_take(home), 0); /* a link is no override */
    assert_int_equal(lstat(ovr, &st), -1);             /* and it went */
    assert_int_equal(symlink(victim, ovr), 0);
    assert_int_equal(host_force_strict_write(home, path, sizeof path, err, sizeof err),
                     SIPC_ECONFIG);
    assert_non_null(strstr(err, "state/force-strict is a symbolic link (to "));
    first_line(victim, line, sizeof line);
    assert_string_equal(line, "precious\n");
    assert_int_equal(unlink(ovr), 0);
    assert_int_equal(host_force_strict_write(home, path, sizeof path, err, sizeof err), 0);
    assert_string_equal(path, ovr);
    int64_t since = 0;
    assert_int_equal(host_force_strict_pending(home, path, sizeof path, &since), 1);
    assert_true(since > 0);
    assert_int_equal(lstat(ovr, &st), 0);
    assert_true(S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0600);
    assert_int_equal(host_force_strict_drop(home, path, sizeof path, NULL, 0), 1);
    assert_int_equal(host_force_strict_pending(home, path, sizeof path, NULL), 0);
    assert_int_equal(host_force_strict_drop(home, path, sizeof path, NULL, 0), 0);
    unlink(victim);
    rmdir(dir);
    rmdir(home);
    free(ps);
}

/* A state/ that is a symbolic link (to a directory elsewhere, which may
 * be another account's) is refused by every writer, the history's saves
 * included: nothing is written where it points. */
static void t_linked_state_dir(void **state)
{
    (void)state;
    char home[] = "/tmp/test_peers.XXXXXX";
    assert_non_null(mkdtemp(home));
    char elsewhere[800], dir[800], path[800], err[800];
    snprintf(elsewhere, sizeof elsewhere, "%s/elsewhere", home);
    assert_int_equal(mkdir(elsewhere, 0755), 0);
    snprintf(dir, sizeof dir, "%s/state", home);
    assert_int_equal(symlink(elsewhere, dir), 0);
    int unfit = 0;
    assert_int_equal(host_state_dir(home, path, sizeof path, NULL, &unfit, err, sizeof err),
                     SIPC_ECONFIG);
    assert_non_null(strstr(err, "is a symbolic link"));
    /* something there, not fit: the home's state (sipcd's 78), not a
     * folder that could not be made (73) */
    assert_int_equal(unfit, 1);
    host_peers *ps = fresh();
    assert_int_equal(host_peers_load(ps, home, err, sizeof err), 0);
    host_peers_seen(ps, "127.0.67.3:40000", "c", 0, "data", T0);
    assert_int_equal(host_peers_save(ps, err, sizeof err), SIPC_ECONFIG);
    assert_non_null(strstr(err, "is a symbolic link"));
    assert_int_equal(rmdir(elsewhere), 0); /* still empty */
    unlink(dir);
    rmdir(home);
    free(ps);
}

/* Plaintext hellos name themselves: one host sending 1,100 of them under
 * made-up node ids in a second keeps at most HOST_PEERS_PER_ADDRESS of
 * them, and the real plaintext peer of another host stays listed, in the
 * guard's count and in the status. */
static void t_forged_hellos_keep_real_peer(void **state)
{
    (void)state;
    host_peers *ps = fresh();
    assert_int_equal(host_peers_seen(ps, "127.0.86.230:40000", "legacy", 0, "data", T0), 1);
    char node[32];
    for (int i = 0; i < 1100; i++) {
        snprintf(node, sizeof node, "forged%d", i);
        host_peers_seen(ps, "127.0.86.212:50000", node, 0, "data", T0 + 1);
    }
    assert_int_equal(ps->n, 1 + HOST_PEERS_PER_ADDRESS);
    /* the message names the newest of each address first: the real peer
     * among the few it shows */
    host_peer out[8];
    int total = host_peers_plaintext(ps, WINDOW, "self", T0 + 2, out, 8);
    assert_int_equal(total, 1 + HOST_PEERS_PER_ADDRESS);
    char text[2048];
    host_peers_text(out, 8, total, T0 + 2, text, sizeof text);
    assert_non_null(strstr(text, "127.0.86.230 (node legacy) 2 s ago on the data service"));
    assert_non_null(strstr(text, " and 9 more"));
    json_t *g = host_peers_guard_json(ps, WINDOW, "self", T0 + 2);
    json_t *list = json_object_get(g, "plaintext_peers");
    assert_int_equal(json_array_size(list), 1 + HOST_PEERS_PER_ADDRESS);
    assert_string_equal(node_at(g, "plaintext_peers", 1), "legacy");
    json_decref(g);
    free(ps);
}

/* With the history full, a new address takes from the address holding the
 * most entries: 100 addresses of 16 forged ids each leave the real peer,
 * seen first and alone on its address, in place. */
static void t_full_history_evicts_biggest_address(void **state)
{
    (void)state;
    host_peers *ps = fresh();
    host_peers_seen(ps, "127.0.86.230:40000", "legacy", 0, "data", T0);
    char node[32], addr[40];
    for (int a = 0; a < 100; a++)
        for (int i = 0; i < HOST_PEERS_PER_ADDRESS; i++) {
            snprintf(addr, sizeof addr, "127.0.86.%d:50000", 100 + a);
            snprintf(node, sizeof node, "forged%d", i);
            host_peers_seen(ps, addr, node, 0, "data", T0 + 1 + a);
        }
    assert_int_equal(ps->n, HOST_PEERS_MAX);
    int found = 0;
    for (int i = 0; i < ps->n; i++)
        found += !strcmp(ps->p[i].node, "legacy") && !strcmp(ps->p[i].address, "127.0.86.230");
    assert_int_equal(found, 1);
    assert_true(listed_all(ps, "legacy", T0 + 200));
    free(ps);
}

/* One IPv6 host holds a /64 and may take a new address of it for every
 * connection: its entries count against one bound, so 100 addresses of one
 * /64 keep HOST_PEERS_PER_ADDRESS, not 100. An IPv4 host seen through a
 * listener on :: (::ffff:a.b.c.d) is the same entry as seen over IPv4. */
static void t_ipv6_prefix_one_host(void **state)
{
    (void)state;
    host_peers *ps = fresh();
    char addr[64];
    for (int i = 0; i < 100; i++) {
        snprintf(addr, sizeof addr, "[2001:db8:1:2::%x]:50000", i + 1);
        host_peers_seen(ps, addr, "forged", 0, "data", T0 + i);
    }
    assert_int_equal(ps->n, HOST_PEERS_PER_ADDRESS);
    host_peers_seen(ps, "[2001:db8:1:3::1]:50000", "other", 0, "data", T0 + 200);
    assert_int_equal(ps->n, HOST_PEERS_PER_ADDRESS + 1);
    host_peers_seen(ps, "127.0.87.20:40000", "n2", 0, "data", T0 + 201);
    host_peers_seen(ps, "[::ffff:127.0.87.20]:40001", "n2", 0, "search", T0 + 202);
    assert_int_equal(ps->n, HOST_PEERS_PER_ADDRESS + 2);
    int found = 0;
    for (int i = 0; i < ps->n; i++)
        found += !strcmp(ps->p[i].address, "127.0.87.20") && !strcmp(ps->p[i].service, "search");
    assert_int_equal(found, 1);
    free(ps);
}

static int listed_in(const host_peers *ps, unsigned services, const char *node, int64_t now)
{
    host_peer out[8];
    int n = host_peers_plaintext_in(ps, WINDOW, "self", services, now, out, 8);
    for (int i = 0; i < n && i < 8; i++)
        if (!strcmp(out[i].node, node))
            return 1;
    return 0;
}

/* A reload that makes only the pipeline strict judges only the peers that
 * spoke plaintext to the pipeline: a peer of the management service, which
 * stays as it is, does not hold it back; one that spoke to both does, and
 * so it stays after a save and a load. */
static void t_scope_by_service(void **state)
{
    (void)state;
    unsigned pipe = HOST_SVC_PIPELINE, all = HOST_SVC_ALL;
    host_peers *ps = fresh(), *back = fresh();
    char home[] = "/tmp/test_peers.XXXXXX", err[800];
    assert_non_null(mkdtemp(home));
    assert_int_equal(host_peers_load(ps, home, err, sizeof err), 0);
    host_peers_seen(ps, "127.0.75.2:40000", "n2", 0, "management", T0);
    host_peers_seen(ps, "127.0.75.3:40000", "load", 0, "pipeline", T0);
    assert_int_equal(host_peers_seen(ps, "127.0.75.3:40001", "load", 0, "search", T0 + 1), 1);
    assert_false(listed_in(ps, pipe, "n2", T0 + 2));
    assert_true(listed_in(ps, all, "n2", T0 + 2));
    assert_true(listed_in(ps, pipe, "load", T0 + 2));
    assert_int_equal(host_peers_save(ps, err, sizeof err), 0);
    assert_int_equal(host_peers_load(back, home, err, sizeof err), 0);
    assert_false(listed_in(back, pipe, "n2", T0 + 2));
    assert_true(listed_in(back, pipe, "load", T0 + 2));
    /* a TLS connection to the pipeline ends it there */
    host_peers_seen(back, "127.0.75.3:40002", "load", 1, "pipeline", T0 + 3);
    host_peers_seen(back, "127.0.75.3:40003", "load", 0, "search", T0 + 4);
    assert_false(listed_in(back, pipe, "load", T0 + 5));
    /* a forced pipeline-only strict marks only the pipeline's peers */
    host_peers_seen(back, "127.0.75.3:40004", "load", 0, "pipeline", T0 + 6);
    assert_int_equal(host_peers_cut_off_in(back, WINDOW, "self", pipe, T0 + 7), 1);
    assert_true(listed(back, "n2", T0 + 7));
    rm_home(home);
    free(ps);
    free(back);
}

/* A forced strict of the pipeline alone cuts off only the peer's pipeline:
 * its plaintext data link still holds back a later reload that makes the
 * data service strict, also after a save and a load; once that too is
 * forced, the peer is cut off as a whole. */
static void t_cut_off_per_service(void **state)
{
    (void)state;
    host_peers *ps = fresh(), *back = fresh();
    char home[] = "/tmp/test_peers.XXXXXX", err[800];
    assert_non_null(mkdtemp(home));
    assert_int_equal(host_peers_load(ps, home, err, sizeof err), 0);
    host_peers_seen(ps, "127.0.75.4:40000", "x", 0, "data", T0);
    host_peers_seen(ps, "127.0.75.4:40001", "x", 0, "pipeline", T0 + 1);
    assert_int_equal(host_peers_cut_off_in(ps, WINDOW, "self", HOST_SVC_PIPELINE, T0 + 2), 1);
    assert_false(listed_in(ps, HOST_SVC_PIPELINE, "x", T0 + 3));
    assert_true(listed_in(ps, HOST_SVC_DATA, "x", T0 + 3));
    assert_false(ps->p[0].cut_off);
    assert_int_equal(host_peers_save(ps, err, sizeof err), 0);
    assert_int_equal(host_peers_load(back, home, err, sizeof err), 0);
    assert_true(listed_in(back, HOST_SVC_DATA | HOST_SVC_SEARCH, "x", T0 + 3));
    assert_false(listed_in(back, HOST_SVC_PIPELINE, "x", T0 + 3));
    /* named by the service it holds back, not its last connection's */
    host_peer out[1];
    char text[300];
    assert_int_equal(host_peers_plaintext_in(back, WINDOW, "self", HOST_SVC_ALL, T0 + 3, out, 1), 1);
    host_peers_text(out, 1, 1, T0 + 3, text, sizeof text);
    assert_non_null(strstr(text, "on the data service"));
    json_t *g = host_peers_guard_json(back, WINDOW, "self", T0 + 3);
    json_t *svcs = json_object_get(json_array_get(json_object_get(g, "plaintext_peers"), 0),
                                   "plaintext_services");
    assert_int_equal(json_array_size(svcs), 1);
    assert_string_equal(json_string_value(json_array_get(svcs, 0)), "data");
    json_decref(g);
    assert_int_equal(host_peers_cut_off_in(back, WINDOW, "self", HOST_SVC_DATA, T0 + 4), 1);
    assert_false(listed(back, "x", T0 + 5));
    assert_true(back->p[0].cut_off);
    rm_home(home);
    free(ps);
    free(back);
}

/* Which listeners the guard judges for a sipc.conf, the same at a start
 * (nothing running) and at a reload (against what runs): strict with
 * [pipeline] tls = 0 leaves the plaintext pipeline out, so its peers hold
 * nothing back; [pipeline] tls = 1 with TLS off is the pipeline alone. */
static void t_guard_scope(void **state)
{
    (void)state;
    sipc_config *cfg = calloc(1, sizeof *cfg);
    assert_non_null(cfg);
    unsigned others = HOST_SVC_DATA | HOST_SVC_SEARCH | HOST_SVC_MANAGEMENT;
    cfg->tls_enable = 1;
    cfg->tls_mode = SIPC_TLS_STRICT;
    cfg->pipeline_tls = -1;
    assert_int_equal(host_guard_scope(cfg, 0), HOST_SVC_ALL);
    cfg->pipeline_tls = 0;
    assert_int_equal(host_guard_scope(cfg, 0), others);
    assert_int_equal(host_guard_scope(cfg, HOST_SVC_DATA), HOST_SVC_SEARCH | HOST_SVC_MANAGEMENT);
    cfg->tls_mode = SIPC_TLS_PERMISSIVE;
    assert_int_equal(host_guard_scope(cfg, 0), 0);
    cfg->tls_enable = 0;
    cfg->pipeline_tls = 1;
    assert_int_equal(host_guard_scope(cfg, 0), HOST_SVC_PIPELINE);
    /* a peer only of the plaintext pipeline is no peer of the strict ones */
    host_peers *ps = fresh();
    host_peers_seen(ps, "127.0.75.5:40000", "load", 0, "pipeline", T0);
    cfg->tls_enable = 1;
    cfg->tls_mode = SIPC_TLS_STRICT;
    cfg->pipeline_tls = 0;
    assert_false(listed_in(ps, host_guard_scope(cfg, 0), "load", T0 + 1));
    free(ps);
    free(cfg);
}

/* A node's TLS connection clears the plaintext record of its own service
 * only (a command-line client's, its home's on every service): a
 * peer whose management link came up over TLS while its data and pipeline
 * links are plaintext still holds back both, also after a save and a load;
 * once every one of them spoke TLS it is a TLS peer. */
static void t_tls_per_service(void **state)
{
    (void)state;
    host_peers *ps = fresh(), *back = fresh();
    char home[] = "/tmp/test_peers.XXXXXX", err[800];
    assert_non_null(mkdtemp(home));
    assert_int_equal(host_peers_load(ps, home, err, sizeof err), 0);
    host_peers_seen(ps, "127.0.75.6:40000", "m", 0, "data", T0);
    host_peers_seen(ps, "127.0.75.6:40001", "m", 0, "pipeline", T0);
    assert_int_equal(host_peers_seen(ps, "127.0.75.6:40002", "m", 1, "management", T0 + 1), 0);
    assert_true(listed_in(ps, HOST_SVC_DATA, "m", T0 + 2));
    assert_true(listed_in(ps, HOST_SVC_PIPELINE, "m", T0 + 2));
    assert_false(listed_in(ps, HOST_SVC_MANAGEMENT, "m", T0 + 2));
    /* the data link comes up again in plaintext: nothing new */
    assert_int_equal(host_peers_seen(ps, "127.0.75.6:40003", "m", 0, "data", T0 + 2), 0);
    host_peers_seen(ps, "127.0.75.6:40004", "m", 1, "data", T0 + 3);
    assert_int_equal(host_peers_save(ps, err, sizeof err), 0);
    assert_int_equal(host_peers_load(back, home, err, sizeof err), 0);
    assert_false(listed_in(back, HOST_SVC_DATA, "m", T0 + 4));
    assert_true(listed_in(back, HOST_SVC_PIPELINE, "m", T0 + 4));
    host_peers_seen(back, "127.0.75.6:40005", "m", 1, "pipeline", T0 + 5);
    assert_false(listed(back, "m", T0 + 6));
    assert_true(back->p[0].tls);
    /* a command-line client's TLS session clears its home on every service */
    host_peers_seen(back, "127.0.75.7:40000", "sipcctl:op@vm/74f1:100", 0, "data", T0 + 6);
    assert_true(listed(back, "sipcctl:op@vm home 74f1", T0 + 6));
    host_peers_seen(back, "127.0.75.7:40001", "sipcctl:op@vm/74f1:101", 1, "management", T0 + 7);
    assert_false(listed(back, "sipcctl:op@vm home 74f1", T0 + 8));
    rm_home(home);
    free(ps);
    free(back);
}

/* The one table of service names: each name's bit is its index's, the
 * history's "plaintext_services" and the listeners use the same order. */
static void t_service_table(void **state)
{
    (void)state;
    const char *want[] = {"data", "search", "management", "pipeline"};
    assert_int_equal(HOST_NSERVICES, 4);
    for (int i = 0; i < HOST_NSERVICES; i++) {
        assert_string_equal(host_svc_names[i], want[i]);
        assert_int_equal(host_svc_bit(host_svc_names[i]), 1u << i);
    }
    assert_int_equal(host_svc_bit("pipeline"), HOST_SVC_PIPELINE);
    assert_int_equal(HOST_SVC_ALL, HOST_SVC_DATA | HOST_SVC_SEARCH | HOST_SVC_MANAGEMENT |
                                       HOST_SVC_PIPELINE);
    assert_int_equal(host_svc_bit("queue"), 0);
}

/* A history written before services were kept (no "plaintext_services"),
 * or naming a service this version does not know, still holds back every
 * listener: the guard errs on the side of not cutting anyone off. */
static void t_old_history_counts_everywhere(void **state)
{
    (void)state;
    char home[] = "/tmp/test_peers.XXXXXX", path[800], err[800];
    assert_non_null(mkdtemp(home));
    snprintf(path, sizeof path, "%s/state", home);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/state/peers", home);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "{\"schema\": 1, \"peers\": ["
               "{\"address\": \"127.0.75.9\", \"node\": \"old\", \"service\": \"data\", "
               "\"tls\": false, \"last_seen_unix\": %d},"
               "{\"address\": \"127.0.75.8\", \"node\": \"odd\", \"service\": \"queue\", "
               "\"tls\": false, \"last_seen_unix\": %d}]}\n",
            T0, T0);
    fclose(f);
    host_peers *ps = fresh();
    assert_int_equal(host_peers_load(ps, home, err, sizeof err), 0);
    assert_true(listed_in(ps, HOST_SVC_DATA, "old", T0 + 1));
    assert_false(listed_in(ps, HOST_SVC_PIPELINE, "old", T0 + 1));
    assert_true(listed_in(ps, HOST_SVC_PIPELINE, "odd", T0 + 1));
    rm_home(home);
    free(ps);
}

/* The peer a client's connection stands for: its home, whatever the process. */
static void t_peer_is_client_home(void **state)
{
    (void)state;
    host_peers *ps = fresh();
    host_peers_seen(ps, "127.0.0.1:40000", "sipcctl:op@vm/74f1:100", 0, "management", T0);
    assert_true(host_peer_is(&ps->p[0], "127.0.0.1:40002", "sipcctl:op@vm/74f1:102"));
    assert_false(host_peer_is(&ps->p[0], "127.0.0.1:40002", "sipcctl:op@vm/1be8:102"));
    assert_false(host_peer_is(&ps->p[0], "127.0.0.2:40002", "sipcctl:op@vm/74f1:102"));
    free(ps);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_cut_off_not_listed),
        cmocka_unit_test(t_guard_json_lists_cut_off),
        cmocka_unit_test(t_plaintext_again_clears),
        cmocka_unit_test(t_tls_again_clears),
        cmocka_unit_test(t_same_second_clears),
        cmocka_unit_test(t_cut_off_saved),
        cmocka_unit_test(t_cut_off_ages_out),
        cmocka_unit_test(t_state_files_not_through_links),
        cmocka_unit_test(t_linked_state_dir),
        cmocka_unit_test(t_forged_hellos_keep_real_peer),
        cmocka_unit_test(t_full_history_evicts_biggest_address),
        cmocka_unit_test(t_ipv6_prefix_one_host),
        cmocka_unit_test(t_scope_by_service),
        cmocka_unit_test(t_cut_off_per_service),
        cmocka_unit_test(t_guard_scope),
        cmocka_unit_test(t_tls_per_service),
        cmocka_unit_test(t_service_table),
        cmocka_unit_test(t_peer_is_client_home),
        cmocka_unit_test(t_old_history_counts_everywhere),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
