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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(matching),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
