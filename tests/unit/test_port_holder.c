/* test_port_holder.c - which listening socket sipcd's "address already in
 * use" names (services/sipcd/port_holder.c), from tables written in the
 * format of /proc/net/tcp and tcp6: a specific address, a wildcard
 * listener covering it, and a wildcard wanted meeting a listener on one
 * address. */
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

#include "services/sipcd/port_holder.h"
#include "testutil.h"

static const char *HEAD = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when "
                          "retrnsmt   uid  timeout inode\n";

/* a table of one listener: hex address as the kernel prints it, port */
static void table(const char *path, const char *addr, int port, unsigned long inode)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(HEAD, f);
    if (addr)
        fprintf(f,
                "   0: %s:%04X 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0  "
                "      0 %lu 1 0000000000000000 100 0 0 10 0\n",
                addr, port, inode);
    assert_int_equal(fclose(f), 0);
}

static void matching(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("portholder");
    char tcp[600], tcp6[600];
    snprintf(tcp, sizeof tcp, "%s/tcp", dir);
    snprintf(tcp6, sizeof tcp6, "%s/tcp6", dir);
    table(tcp6, NULL, 0, 0);
    /* 127.0.67.5 (host order words: 0543007F) */
    table(tcp, "0543007F", 23002, 11);
    assert_int_equal(port_holder_inode(tcp, tcp6, "127.0.67.5", 23002), 11);
    assert_int_equal(port_holder_inode(tcp, tcp6, "127.0.67.6", 23002), 0);
    assert_int_equal(port_holder_inode(tcp, tcp6, "127.0.67.5", 23003), 0);
    /* a wildcard wanted meets a listener on one address */
    assert_int_equal(port_holder_inode(tcp, tcp6, "0.0.0.0", 23002), 11);
    assert_int_equal(port_holder_inode(tcp, tcp6, "::", 23002), 11);
    /* a wildcard listener covers a specific address wanted */
    table(tcp, "00000000", 23002, 12);
    assert_int_equal(port_holder_inode(tcp, tcp6, "127.0.67.6", 23002), 12);
    /* IPv6: a specific address, a v4-mapped one, and [::] */
    table(tcp, NULL, 0, 0);
    table(tcp6, "0000000000000000FFFF00000543007F", 23002, 13);
    assert_int_equal(port_holder_inode(tcp, tcp6, "127.0.67.5", 23002), 13);
    assert_int_equal(port_holder_inode(tcp, tcp6, "0.0.0.0", 23002), 13);
    table(tcp6, "000080FE00000000FF0000000100005E", 23002, 14);
    assert_int_equal(port_holder_inode(tcp, tcp6, "0.0.0.0", 23002), 0);
    assert_int_equal(port_holder_inode(tcp, tcp6, "::", 23002), 14);
    table(tcp6, "00000000000000000000000000000000", 23002, 15);
    assert_int_equal(port_holder_inode(tcp, tcp6, "127.0.67.5", 23002), 15);
    /* not an address: nothing */
    assert_int_equal(port_holder_inode(tcp, tcp6, "node1", 23002), 0);
    tu_rmdir(dir);
    free(dir);
}

/* A clock that moves on by step ms at every reading, and counts them. */
typedef struct fake_clock {
    uint64_t now, step;
    int reads;
} fake_clock;

static uint64_t fake_ms(void *arg)
{
    fake_clock *c = arg;
    c->reads++;
    uint64_t t = c->now;
    c->now += c->step;
    return t;
}

/* dir/PID/fd/0 .. n-1, links to socket:[inode + i] */
static void process(const char *dir, int pid, int n, unsigned long inode)
{
    char path[700], link[800], to[64];
    snprintf(path, sizeof path, "%s/%d", dir, pid);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/%d/fd", dir, pid);
    assert_int_equal(mkdir(path, 0700), 0);
    for (int i = 0; i < n; i++) {
        snprintf(link, sizeof link, "%s/%d", path, i);
        snprintf(to, sizeof to, "socket:[%lu]", inode + (unsigned long)i);
        assert_int_equal(symlink(to, link), 0);
    }
}

/* port_holder_walk over dir on a clock passing step ms at each reading;
 * how many readings it took. */
static int walk(const char *dir, uint64_t step, port_holder *ph)
{
    memset(ph, 0, sizeof *ph);
    fake_clock c = {.now = 5000, .step = step};
    port_holder_walk(dir, 7, fake_ms, &c, ph);
    return c.reads;
}

/* The walk over every process's descriptors stops 200 ms after it began,
 * on a clock that passes 10 ms at each reading: between processes, and
 * within one process holding many descriptors. */
static void walk_bounded(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("portwalk");
    /* many processes, none with the socket */
    for (int pid = 100; pid < 140; pid++)
        process(dir, pid, 3, 1000);
    port_holder ph;
    /* the reading that found 210 ms passed is the last: 22 in all */
    assert_int_equal(walk(dir, 10, &ph), 22);
    assert_int_equal(ph.pid, 0);
    assert_int_equal(ph.gave_up_ms, 200);
    /* one process with a thousand descriptors: stopped inside it */
    tu_rmdir(dir);
    free(dir);
    dir = tu_mkdtemp("portwalk");
    process(dir, 200, 1000, 1000);
    assert_int_equal(walk(dir, 10, &ph), 22);
    assert_int_equal(ph.gave_up_ms, 200);
    /* with time standing still, the holder is found however far it is */
    process(dir, 201, 5, 7);
    walk(dir, 0, &ph);
    assert_int_equal(ph.pid, 201);
    assert_int_equal(ph.gave_up_ms, 0);
    tu_rmdir(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(matching),
        cmocka_unit_test(walk_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
