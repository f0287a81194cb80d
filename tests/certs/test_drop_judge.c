/* test_drop_judge.c - the judgement of `tlstool rotate finish`'s and
 * abort's guard on one [cluster] node (services/tlstool/drop_judge.c): a
 * refusal by this node's verifier in the second dial is a node it will
 * refuse (exit 18); the node refusing this node's certificate in the second
 * dial only is its trust that moved, not that; anything else unasked; a
 * step that drops no pair (a CRL added) is judged by the second dial only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "services/tlstool/drop_judge.h"
/* tlstool.h's fail() prints tlstool's error line; here cmocka's is meant */
#undef fail
#include <cmocka.h>

static const char DROPPED[] = "1111111111111111111111111111111111111111111111111111111111111111";
static const char OTHER[] = "2222222222222222222222222222222222222222222222222222222222222222";

/* A first probe: answered (over TLS or not) presenting fp, or not answered. */
static node_probe first(int up, int tls, const char *fp)
{
    node_probe p;
    memset(&p, 0, sizeof p);
    p.up = up;
    p.info.tls = tls;
    p.err = up ? 0 : SIPC_EHSTIMEOUT;
    strcpy(p.live_fp, fp);
    return p;
}

/* A second probe: answered, or failed with err. */
static node_probe second(int err)
{
    node_probe p;
    memset(&p, 0, sizeof p);
    p.up = err == 0;
    p.err = err;
    return p;
}

static void test_second_dial_failures(void **state)
{
    (void)state;
    node_probe f = first(1, 1, OTHER);
    static const struct {
        int err;
        drop_verdict want;
    } cases[] = {
        {0, DROP_KEPT},
        /* this node, with the trust it keeps, refused the node's certificate */
        {SIPC_EPEERAUTH, DROP_REFUSED},
        /* the node refused this node's certificate, accepted a moment before */
        {SIPC_ECERTREFUSED, DROP_TRUST_MOVED},
        {SIPC_ENOPEERCERT, DROP_UNASKED},
        {SIPC_ETLS, DROP_UNASKED},
        {SIPC_EHSTIMEOUT, DROP_UNASKED},
        {-111 /* ECONNREFUSED */, DROP_UNASKED},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        node_probe s = second(cases[i].err);
        if (drop_judge(&f, &s, DROPPED) != cases[i].want)
            fail_msg("second dial %s: %d, want %d", sipc_err_name(cases[i].err),
                     drop_judge(&f, &s, DROPPED), cases[i].want);
    }
}

static void test_first_dial_decides(void **state)
{
    (void)state;
    node_probe ok = second(0), peerauth = second(SIPC_EPEERAUTH),
               refused = second(SIPC_ECERTREFUSED);
    /* presenting the pair dropped: refused, whatever the second dial says */
    node_probe f = first(1, 1, DROPPED);
    assert_int_equal(drop_judge(&f, &ok, DROPPED), DROP_REFUSED);
    assert_int_equal(drop_judge(&f, &refused, DROPPED), DROP_REFUSED);
    assert_int_equal(drop_judge(&f, NULL, DROPPED), DROP_REFUSED);
    /* in plaintext: no certificate to refuse */
    f = first(1, 0, "");
    assert_int_equal(drop_judge(&f, &peerauth, DROPPED), DROP_KEPT);
    assert_int_equal(drop_judge(&f, NULL, DROPPED), DROP_KEPT);
    /* not answered: unasked, whatever a second dial says */
    f = first(0, 0, "");
    assert_int_equal(drop_judge(&f, &ok, DROPPED), DROP_UNASKED);
    assert_int_equal(drop_judge(&f, &peerauth, DROPPED), DROP_UNASKED);
    /* over TLS with another pair and no second dial made: unasked */
    f = first(1, 1, OTHER);
    assert_int_equal(drop_judge(&f, NULL, DROPPED), DROP_UNASKED);
}

/* a step that drops no pair (a CRL added): no fingerprint decides, not
 * even the empty one of a node that did not say which pair it presents */
static void test_no_pair_dropped(void **state)
{
    (void)state;
    node_probe f = first(1, 1, ""), ok = second(0), peerauth = second(SIPC_EPEERAUTH);
    assert_int_equal(drop_judge(&f, &ok, NULL), DROP_KEPT);
    assert_int_equal(drop_judge(&f, &ok, ""), DROP_KEPT);
    assert_int_equal(drop_judge(&f, &peerauth, NULL), DROP_REFUSED);
    assert_int_equal(drop_judge(&f, NULL, NULL), DROP_UNASKED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_second_dial_failures),
        cmocka_unit_test(test_first_dial_decides),
        cmocka_unit_test(test_no_pair_dropped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
