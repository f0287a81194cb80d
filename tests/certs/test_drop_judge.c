/* test_drop_judge.c - the judgement of `tlstool rotate finish`'s and
 * abort's guard on one [cluster] node (services/tlstool/drop_judge.c, on
 * services/common/cut_judge.c, which sipcd's CRL guard shares): a
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
        cut_verdict want;
    } cases[] = {
        {0, CUT_KEPT},
        /* this node, with the trust it keeps, refused the node's certificate */
        {SIPC_EPEERAUTH, CUT_REFUSED},
        /* the node refused this node's certificate, accepted a moment before */
        {SIPC_ECERTREFUSED, CUT_TRUST_MOVED},
        {SIPC_ENOPEERCERT, CUT_UNASKED},
        {SIPC_ETLS, CUT_UNASKED},
        {SIPC_EHSTIMEOUT, CUT_UNASKED},
        {-111 /* ECONNREFUSED */, CUT_UNASKED},
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
    assert_int_equal(drop_judge(&f, &ok, DROPPED), CUT_REFUSED);
    assert_int_equal(drop_judge(&f, &refused, DROPPED), CUT_REFUSED);
    assert_int_equal(drop_judge(&f, NULL, DROPPED), CUT_REFUSED);
    /* in plaintext: no certificate to refuse, neither kept nor cut off */
    f = first(1, 0, "");
    assert_int_equal(drop_judge(&f, &peerauth, DROPPED), CUT_PLAIN);
    assert_int_equal(drop_judge(&f, NULL, DROPPED), CUT_PLAIN);
    /* not answered: unasked, whatever a second dial says */
    f = first(0, 0, "");
    assert_int_equal(drop_judge(&f, &ok, DROPPED), CUT_UNASKED);
    assert_int_equal(drop_judge(&f, &peerauth, DROPPED), CUT_UNASKED);
    /* over TLS with another pair and no second dial made: unasked */
    f = first(1, 1, OTHER);
    assert_int_equal(drop_judge(&f, NULL, DROPPED), CUT_UNASKED);
}

/* a step that drops no pair (a CRL added): no fingerprint decides, not
 * even the empty one of a node that did not say which pair it presents */
static void test_no_pair_dropped(void **state)
{
    (void)state;
    node_probe f = first(1, 1, ""), ok = second(0), peerauth = second(SIPC_EPEERAUTH);
    assert_int_equal(drop_judge(&f, &ok, NULL), CUT_KEPT);
    assert_int_equal(drop_judge(&f, &ok, ""), CUT_KEPT);
    assert_int_equal(drop_judge(&f, &peerauth, NULL), CUT_REFUSED);
    assert_int_equal(drop_judge(&f, NULL, NULL), CUT_UNASKED);
}

/* a step refused as a whole: any node cut off, or for a CRL (partial)
 * only when none stays kept */
static void test_refused_whole(void **state)
{
    (void)state;
    assert_false(cut_refuses(0, 0, 0));
    assert_true(cut_refuses(1, 2, 0));
    assert_false(cut_refuses(1, 2, 1));
    assert_true(cut_refuses(2, 0, 1));
    assert_false(cut_refuses(0, 0, 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_second_dial_failures),
        cmocka_unit_test(test_first_dial_decides),
        cmocka_unit_test(test_no_pair_dropped),
        cmocka_unit_test(test_refused_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
