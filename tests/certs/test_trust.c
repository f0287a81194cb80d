/* test_trust.c - the verifier (certs/trust.c) on pairs made in-process:
 * pinning, dates at a given time, unknown self-signed pairs, extra roots,
 * subject policy, malformed input, exit codes; PKCS#12 round trip; private
 * keys wolfSSL cannot safely use refused at load. */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "certs/tool/keygen.h"
#include "certs/tool/pkcs12.h"
#include "certs/tool/store.h"
#include "certs/trust.h"
#include "certs/x509_info.h"

static sipc_keypair A, B;

static int setup(void **state)
{
    char err[256];
    (void)state;
    if (sipc_keygen_selfsigned(SIPC_KEYALG_EC256, "CN=cluster A, O=Test", 30, &A, err, sizeof err))
        return -1;
    if (sipc_keygen_selfsigned(SIPC_KEYALG_EC256, "cluster B", 30, &B, err, sizeof err))
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sipc_keypair_free(&A);
    sipc_keypair_free(&B);
    return 0;
}

/* sipc_trust_verify's status, checking its return code agrees: 0 exactly
 * when verified, else SIPC_EPEERAUTH. res may be NULL. */
static sipc_vfy_status vfy(const sipc_trust *t, const sipc_der *chain, int n, int purpose,
                           time_t now, sipc_vfy_result *res)
{
    sipc_vfy_result local;
    if (!res)
        res = &local;
    int r = sipc_trust_verify(t, chain, n, purpose, now, res);
    assert_int_equal(r, res->status == SIPC_VFY_OK ? 0 : SIPC_EPEERAUTH);
    return res->status;
}

static sipc_trust *trust_of(const sipc_keypair *own, const char *subject, sipc_trust_revocation rev)
{
    sipc_trust_policy pol;
    memset(&pol, 0, sizeof pol);
    snprintf(pol.subject, sizeof pol.subject, "%s", subject ? subject : "");
    pol.revocation = rev;
    sipc_trust *t = NULL;
    assert_int_equal(sipc_trust_new(&t, &pol), 0);
    if (own)
        assert_int_equal(sipc_trust_set_own(t, own, NULL, 0), 0);
    return t;
}

static void test_pinned_own_pair(void **state)
{
    (void)state;
    sipc_trust *t = trust_of(&A, NULL, SIPC_TRUST_REV_SOFT);
    sipc_vfy_result res;
    assert_int_equal(vfy(t, A.certs, 1, SIPC_PURPOSE_BOTH, time(NULL), &res),
                     SIPC_VFY_OK);
    assert_int_equal(res.nlinks, 1);
    assert_string_equal(res.links[0].source, "own pair");
    assert_int_equal(sipc_trust_anchor_count(t), 1);
    sipc_trust_free(t);
}

/* A rotation's pair is pinned besides the own one and named as such; any
 * other self-signed pair is still refused. */
static void test_rotation_pair_pinned(void **state)
{
    (void)state;
    char err[300];
    sipc_keypair C;
    assert_int_equal(sipc_keygen_selfsigned(SIPC_KEYALG_EC256, "cluster C", 30, &C, err, sizeof err), 0);
    sipc_trust *t = trust_of(&A, NULL, SIPC_TRUST_REV_SOFT);
    assert_int_equal(vfy(t, B.certs, 1, SIPC_PURPOSE_BOTH, time(NULL), NULL), SIPC_VFY_NOT_PINNED);
    assert_int_equal(sipc_trust_add_rotation(t, &B, "staged pair", err, sizeof err), 0);
    char fp[65], issuer[256];
    assert_string_equal(sipc_trust_rotation_pair(t, fp, issuer), "staged pair");
    assert_string_equal(fp, B.fingerprint);
    assert_string_equal(issuer, "CN=cluster B");
    sipc_vfy_result res;
    assert_int_equal(vfy(t, B.certs, 1, SIPC_PURPOSE_BOTH, time(NULL), &res), SIPC_VFY_OK);
    assert_string_equal(res.links[0].source, "staged pair");
    assert_true(sipc_trust_source_is_rotation(res.links[0].source));
    assert_false(sipc_trust_source_is_rotation("own pair"));
    assert_int_equal(vfy(t, A.certs, 1, SIPC_PURPOSE_BOTH, time(NULL), &res), SIPC_VFY_OK);
    assert_string_equal(res.links[0].source, "own pair");
    /* the TLS engine gets it as an anchor too */
    assert_int_equal(sipc_trust_anchor_count(t), 2);
    assert_string_equal(sipc_trust_anchor_source(t, 1), "staged pair");
    assert_int_equal(vfy(t, C.certs, 1, SIPC_PURPOSE_BOTH, time(NULL), NULL), SIPC_VFY_NOT_PINNED);
    /* the same pair twice, or the own one, adds no anchor */
    assert_int_equal(sipc_trust_add_rotation(t, &A, "previous pair", err, sizeof err), 0);
    assert_int_equal(sipc_trust_add_rotation(t, &B, "previous pair", err, sizeof err), 0);
    assert_int_equal(sipc_trust_anchor_count(t), 2);
    /* dates still count for a pinned rotation pair */
    assert_int_equal(vfy(t, B.certs, 1, SIPC_PURPOSE_BOTH, time(NULL) + 40 * 86400, NULL),
                     SIPC_VFY_EXPIRED);
    sipc_trust_free(t);
    sipc_keypair_free(&C);
}

/* A state file this version does not understand is an error, never a
 * guess; a missing one is no rotation. */
static void test_rotation_state_file(void **state)
{
    (void)state;
    char home[] = "/tmp/sipc-rotation-XXXXXX", path[200], err[300];
    assert_non_null(mkdtemp(home));
    sipc_rotation rot;
    assert_int_equal(sipc_rotation_read(home, &rot, err, sizeof err), 0);
    assert_int_equal(rot.state, SIPC_ROTATION_NONE);
    snprintf(path, sizeof path, "%s/security", home);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/security/rotation", home);
    static const char *const bad[] = {"state half-done\n", "previous abc\n", "state staged\nx y\n"};
    for (int i = 0; i < 3; i++) {
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(bad[i], f);
        fclose(f);
        assert_int_equal(sipc_rotation_read(home, &rot, err, sizeof err), SIPC_ETLSCONFIG);
        assert_non_null(strstr(err, "security/rotation"));
    }
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "# comment\nstate committed\nprevious %s\n", A.fingerprint);
    fclose(f);
    assert_int_equal(sipc_rotation_read(home, &rot, err, sizeof err), 0);
    assert_int_equal(rot.state, SIPC_ROTATION_COMMITTED);
    assert_string_equal(rot.previous, A.fingerprint);
    unlink(path);
    snprintf(path, sizeof path, "%s/security", home);
    rmdir(path);
    rmdir(home);
}

static void test_dates_checked_even_for_the_anchor(void **state)
{
    (void)state;
    sipc_trust *t = trust_of(&A, NULL, SIPC_TRUST_REV_SOFT);
    sipc_vfy_result res;
    time_t later = time(NULL) + 400L * 86400;
    assert_int_equal(vfy(t, A.certs, 1, SIPC_PURPOSE_BOTH, later, &res),
                     SIPC_VFY_EXPIRED);
    assert_non_null(strstr(res.reason, "expired on"));
    /* the clock first: one set ahead reads a valid pair as expired, and a
     * new pair on every node would not fix it */
    const char *clock = strstr(res.fix, "check this machine's clock first");
    const char *pair = strstr(res.fix, "create or obtain a new pair");
    assert_non_null(clock);
    assert_non_null(pair);
    assert_true(clock < pair);
    assert_non_null(strstr(res.fix, "fix the clock, not the pair); if it is right, "));
    /* its words come from its kind, not from the words last written: a
     * peer's words again after a staged pair's */
    char peer[sizeof res.fix];
    snprintf(peer, sizeof peer, "%s", res.fix);
    sipc_vfy_fix_for(&res, SIPC_VFY_FOR_STAGE, "F.p12");
    assert_non_null(strstr(res.fix, "to stage in its place"));
    sipc_vfy_fix_for(&res, SIPC_VFY_FOR_PEER, NULL);
    assert_string_equal(res.fix, peer);
    time_t earlier = time(NULL) - 10L * 86400;
    assert_int_equal(vfy(t, A.certs, 1, SIPC_PURPOSE_BOTH, earlier, &res),
                     SIPC_VFY_NOT_YET_VALID);
    assert_non_null(strstr(res.reason, "not valid before"));
    /* under 30 days left: accepted with a warning */
    assert_int_equal(vfy(t, A.certs, 1, SIPC_PURPOSE_BOTH, time(NULL) + 20L * 86400,
                                       &res),
                     SIPC_VFY_OK);
    assert_non_null(strstr(res.warning, "expires in"));
    sipc_trust_free(t);
}

static void test_other_pair_not_pinned_until_trusted(void **state)
{
    (void)state;
    sipc_trust *t = trust_of(&A, NULL, SIPC_TRUST_REV_SOFT);
    sipc_vfy_result res;
    assert_int_equal(vfy(t, B.certs, 1, SIPC_PURPOSE_CLIENT, time(NULL), &res),
                     SIPC_VFY_NOT_PINNED);
    assert_non_null(strstr(res.reason, "is not this cluster's key pair"));
    assert_non_null(strstr(res.fix, "trust add"));
    /* the whole hint, not cut by the verdict's fix[] */
    assert_non_null(strstr(res.fix, "(from `tlstool trust export` there)"));
    char err[256];
    assert_int_equal(sipc_trust_add_root(t, B.certs[0].data, B.certs[0].len, err, sizeof err), 0);
    assert_int_equal(vfy(t, B.certs, 1, SIPC_PURPOSE_CLIENT, time(NULL), &res),
                     SIPC_VFY_OK);
    assert_string_equal(res.links[0].source, "trust store");
    sipc_trust_free(t);
    /* without any own pair: untrusted root */
    t = trust_of(NULL, NULL, SIPC_TRUST_REV_SOFT);
    assert_int_equal(vfy(t, B.certs, 1, SIPC_PURPOSE_CLIENT, time(NULL), &res),
                     SIPC_VFY_UNTRUSTED_ROOT);
    sipc_trust_free(t);
}

/* 1 when s is valid UTF-8 (no character cut off at its end) */
static int utf8_whole(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3
                : (*p & 0xf8) == 0xf0 ? 4 : 0;
        if (!n)
            return 0;
        for (int i = 1; i < n; i++)
            if ((p[i] & 0xc0) != 0x80)
                return 0;
        p += n;
    }
    return 1;
}

/* A reason longer than the verdict's reason[] (two long UTF-8 subjects) is
 * cut between characters, and the fix stays whole. */
static void test_long_reason_cut_utf8(void **state)
{
    (void)state;
    char field[64] = "", subject[512];
    for (int i = 0; i < 22; i++)
        strcat(field, "\xc3\xa9"); /* é */
    snprintf(subject, sizeof subject, "CN=a%s, O=%s, OU=%s, L=%s, ST=%s", field, field, field,
             field, field);
    sipc_keypair L1, L2;
    char err[256];
    if (sipc_keygen_selfsigned(SIPC_KEYALG_EC256, subject, 30, &L1, err, sizeof err) != 0)
        fail_msg("%s", err);
    subject[3] = 'b';
    assert_int_equal(sipc_keygen_selfsigned(SIPC_KEYALG_EC256, subject, 30, &L2, err, sizeof err), 0);
    sipc_trust *t = trust_of(&L1, NULL, SIPC_TRUST_REV_SOFT);
    sipc_vfy_result res;
    assert_int_equal(vfy(t, L2.certs, 1, SIPC_PURPOSE_CLIENT, time(NULL), &res),
                     SIPC_VFY_NOT_PINNED);
    assert_true(strlen(res.reason) >= sizeof res.reason - 4); /* it was cut */
    if (!utf8_whole(res.reason))
        fail_msg("reason cut inside a character: ...%s", res.reason + strlen(res.reason) - 8);
    assert_non_null(strstr(res.fix, "(from `tlstool trust export` there)"));
    sipc_trust_free(t);
    sipc_keypair_free(&L1);
    sipc_keypair_free(&L2);
}

static void test_subject_policy(void **state)
{
    (void)state;
    sipc_vfy_result res;
    sipc_trust *t = trust_of(&A, "CN=cluster A", SIPC_TRUST_REV_SOFT);
    assert_int_equal(vfy(t, A.certs, 1, SIPC_PURPOSE_BOTH, time(NULL), &res),
                     SIPC_VFY_OK);
    sipc_trust_free(t);
    t = trust_of(&A, "o=test , cn=CLUSTER A", SIPC_TRUST_REV_SOFT);
    assert_int_equal(vfy(t, A.certs, 1, SIPC_PURPOSE_BOTH, time(NULL), &res),
                     SIPC_VFY_OK);
    sipc_trust_free(t);
    /* the subject keeps a CA's other certificates out: a trusted pair
     * presented as itself (this node's own, another cluster's trusted as a
     * root) is not asked to carry it */
    t = trust_of(&A, "cluster C", SIPC_TRUST_REV_SOFT);
    assert_int_equal(vfy(t, A.certs, 1, SIPC_PURPOSE_BOTH, time(NULL), &res), SIPC_VFY_OK);
    char err[256];
    assert_int_equal(sipc_trust_add_root(t, B.certs[0].data, B.certs[0].len, err, sizeof err), 0);
    assert_int_equal(vfy(t, B.certs, 1, SIPC_PURPOSE_BOTH, time(NULL), &res), SIPC_VFY_OK);
    sipc_trust_free(t);
}

/* A Name built by hand: each RDN is a SET of (attribute, string tag,
 * value) in order; n_in_rdn[i] attributes go into RDN i. */
typedef struct atv_spec {
    uint8_t oid_last; /* 2.5.4.x */
    uint8_t tag;
    const char *val;
    size_t len; /* 0: strlen(val) */
} atv_spec;

static size_t der_len(uint8_t *out, size_t n)
{
    if (n < 128) {
        out[0] = (uint8_t)n;
        return 1;
    }
    out[0] = 0x81;
    out[1] = (uint8_t)n;
    return 2;
}

static size_t wrap(uint8_t tag, const uint8_t *body, size_t n, uint8_t *out)
{
    out[0] = tag;
    size_t h = 1 + der_len(out + 1, n);
    memmove(out + h, body, n);
    return h + n;
}

static void make_name(sipc_x509 *x, uint8_t *buf, const atv_spec *a, const int *n_in_rdn, int nrdn)
{
    uint8_t seq[1024];
    size_t sl = 0;
    for (int r = 0, k = 0; r < nrdn; r++) {
        uint8_t set[512];
        size_t setl = 0;
        for (int j = 0; j < n_in_rdn[r]; j++, k++) {
            uint8_t atv[256], t[256];
            size_t vl = a[k].len ? a[k].len : strlen(a[k].val);
            const uint8_t oid[] = {0x55, 0x04, a[k].oid_last};
            size_t al = wrap(0x06, oid, sizeof oid, atv);
            al += wrap(a[k].tag, (const uint8_t *)a[k].val, vl, atv + al);
            size_t tl = wrap(0x30, atv, al, t);
            memcpy(set + setl, t, tl);
            setl += tl;
        }
        sl += wrap(0x31, set, setl, seq + sl);
    }
    size_t total = wrap(0x30, seq, sl, buf);
    memset(x, 0, sizeof *x);
    x->subject_der.p = buf;
    x->subject_der.len = total;
}

/* [tls] subject against names built attribute by attribute: the structure
 * decides, never a rendering, and a character has one spelling. */
static void test_subject_structure(void **state)
{
    (void)state;
    sipc_x509 x;
    uint8_t buf[1100];
    char why[200];
    const int one[] = {1, 1, 1};
    atv_spec plain[] = {{10, 0x0c, "Example", 0}, {3, 0x13, "sipc prod", 0}};
    make_name(&x, buf, plain, one, 2);
    assert_true(sipc_subject_matches(&x, "sipc prod", why, sizeof why));
    assert_true(sipc_subject_matches(&x, "CN = SIPC  Prod, O=example", why, sizeof why));
    assert_true(sipc_subject_matches(&x, "/O=Example/CN=sipc prod", why, sizeof why));
    assert_true(sipc_subject_matches(&x, "CN=sipc\\20prod", why, sizeof why));
    assert_false(sipc_subject_matches(&x, "CN=sipc prod, OU=x", why, sizeof why));
    assert_non_null(strstr(why, "0 OU values where the required subject has 1"));
    /* ", CN=..." inside another attribute is no CN */
    atv_spec comma[] = {{11, 0x0c, "Sales, CN=sipc prod", 0}, {3, 0x0c, "alice", 0}};
    make_name(&x, buf, comma, one, 2);
    assert_false(sipc_subject_matches(&x, "CN=sipc prod", why, sizeof why));
    assert_non_null(strstr(why, "its CN differs"));
    /* a second CN */
    atv_spec two[] = {{3, 0x0c, "sipc prod", 0}, {3, 0x0c, "alice", 0}};
    make_name(&x, buf, two, one, 2);
    assert_false(sipc_subject_matches(&x, "sipc prod", why, sizeof why));
    assert_non_null(strstr(why, "2 CN values"));
    /* a multi-valued RDN counts its attributes like any others */
    const int multi[] = {2};
    atv_spec mv[] = {{11, 0x0c, "ops", 0}, {3, 0x0c, "sipc prod", 0}};
    make_name(&x, buf, mv, multi, 1);
    assert_true(sipc_subject_matches(&x, "CN=sipc prod+OU=ops", why, sizeof why));
    /* BMPString: the same characters */
    atv_spec bmp[] = {{3, 0x1e, "\0s\0i\0p\0c\0 \0p\0r\0o\0d", 18}};
    make_name(&x, buf, bmp, one, 1);
    assert_true(sipc_subject_matches(&x, "sipc prod", why, sizeof why));
    /* an overlong UTF-8 's' (0xC1 0xB3) is not an 's' */
    atv_spec over[] = {{3, 0x0c, "\xc1\xb3ipc prod", 0}};
    make_name(&x, buf, over, one, 1);
    assert_false(sipc_subject_matches(&x, "sipc prod", why, sizeof why));
    /* and a surrogate is no character */
    atv_spec sur[] = {{3, 0x0c, "sipc prod\xed\xa0\x80", 0}};
    make_name(&x, buf, sur, one, 1);
    assert_false(sipc_subject_matches(&x, "sipc prod\xed\xa0\x80", why, sizeof why));
    /* what sipc.conf refuses */
    assert_int_equal(sipc_subject_check("CN=a, Foo=b", why, sizeof why), SIPC_EINVAL);
    assert_non_null(strstr(why, "unknown attribute 'Foo'"));
    assert_int_equal(sipc_subject_check("CN=", why, sizeof why), SIPC_EINVAL);
    assert_int_equal(sipc_subject_check("CN=a\\", why, sizeof why), SIPC_EINVAL);
    assert_int_equal(sipc_subject_check("CN=a, =b", why, sizeof why), SIPC_EINVAL);
    assert_int_equal(sipc_subject_check("sipc\\2Cprod", why, sizeof why), 0);
    /* RFC 4514's #hex form is refused, not read as text; an escaped '#' is text */
    assert_int_equal(sipc_subject_check("CN=#0c0161", why, sizeof why), SIPC_EINVAL);
    assert_non_null(strstr(why, "#hex form"));
    assert_int_equal(sipc_subject_check("CN=\\#1, O=Example\\, Inc.", why, sizeof why), 0);
    assert_int_equal(sipc_subject_check("O=Example, Inc.", why, sizeof why), SIPC_EINVAL);
    assert_non_null(strstr(why, "'Inc.' is not ATTRIBUTE=value"));
    assert_non_null(strstr(why, "written \\,"));
    assert_non_null(strstr(why, "or the value is quoted: O=\"Example, Inc.\""));
    assert_int_equal(sipc_subject_check("", why, sizeof why), 0);
}

/* sipc_subject_escape: whatever a value holds, the reader gets it back as
 * the one value of the one attribute written. */
typedef struct one_value {
    int n;
    char v[128];
} one_value;

static int take_one(void *arg, const sipc_bytes *oid, const uint8_t *v, size_t len, char *err,
                    size_t errlen)
{
    (void)oid;
    (void)err;
    (void)errlen;
    one_value *o = arg;
    if (o->n++ == 0 && len < sizeof o->v) {
        memcpy(o->v, v, len);
        o->v[len] = '\0';
    }
    return 0;
}

/* RFC 2253 quotes, as `openssl x509 -subject` prints a value with a comma:
 * the value between them is one value of one attribute, compared exactly as
 * its escaped form is. */
static void test_subject_quoted(void **state)
{
    (void)state;
    sipc_x509 x;
    uint8_t buf[1100];
    char why[300];
    const int one[] = {1, 1, 1};
    atv_spec inc[] = {{10, 0x0c, "Example, Inc.", 0}, {3, 0x0c, "sipc prod", 0}};
    make_name(&x, buf, inc, one, 2);
    assert_true(sipc_subject_matches(&x, "O=\"Example, Inc.\", CN=sipc prod", why, sizeof why));
    /* exactly as OpenSSL prints it */
    assert_true(sipc_subject_matches(&x, "O = \"Example, Inc.\", CN = sipc prod", why, sizeof why));
    assert_true(sipc_subject_matches(&x, "CN=\"sipc prod\",O=\"Example\\, Inc.\"", why, sizeof why));
    assert_true(sipc_subject_matches(&x, "O=Example\\, Inc., CN=sipc prod", why, sizeof why));
    /* the quotes hold one value: never a second attribute */
    assert_false(sipc_subject_matches(&x, "O=\"Example\", CN=sipc prod", why, sizeof why));
    assert_non_null(strstr(why, "its O differs"));
    assert_false(sipc_subject_matches(&x, "O=\"Example, Inc., CN=sipc prod\"", why, sizeof why));
    assert_non_null(strstr(why, "its O differs"));
    atv_spec tricky[] = {{10, 0x0c, "Example, Inc., CN=sipc prod", 0}};
    make_name(&x, buf, tricky, one, 1);
    assert_false(sipc_subject_matches(&x, "O=\"Example, Inc.\", CN=sipc prod", why, sizeof why));
    assert_true(sipc_subject_matches(&x, "O=\"Example, Inc., CN=sipc prod\"", why, sizeof why));
    /* a multi-valued RDN after a quoted value */
    const int multi[] = {2};
    atv_spec mv[] = {{11, 0x0c, "a+b", 0}, {3, 0x0c, "sipc prod", 0}};
    make_name(&x, buf, mv, multi, 1);
    assert_true(sipc_subject_matches(&x, "OU=\"a+b\" + CN=sipc prod", why, sizeof why));
    /* what the reader hands on: the bytes between the quotes, escapes resolved */
    static const struct {
        const char *text, *value;
    } reads[] = {{"CN=\" a, b \", O=x", " a, b "},
                 {"CN=\"a\\\"b=c\", O=x", "a\"b=c"},
                 {"CN=\"\\41;\"  , O=x", "A;"},
                 {"\"sipc prod\"", "sipc prod"},
                 {"/CN=\"x\"/O=y", "\"x\""}, /* OpenSSL's slash form never quotes */
                 {"CN=a \"b\", O=x", "a \"b\""}}; /* a quote inside a value is text */
    for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++) {
        one_value o = {0};
        assert_int_equal(sipc_subject_parse(reads[i].text, NULL, take_one, &o, why, sizeof why), 0);
        assert_string_equal(o.v, reads[i].value);
    }
    assert_int_equal(sipc_subject_check("O=\"Example, Inc., CN=x", why, sizeof why), SIPC_EINVAL);
    assert_non_null(strstr(why, "the quote is not closed"));
    assert_int_equal(sipc_subject_check("O=\"Example\" Inc., CN=x", why, sizeof why), SIPC_EINVAL);
    assert_non_null(strstr(why, "O=\"Example\" is followed by 'Inc., CN=x'"));
    assert_int_equal(sipc_subject_check("O=\"  \", CN=x", why, sizeof why), SIPC_EINVAL);
    assert_string_equal(why, "O has an empty value");
    /* a whole subject in quotes (sipc.conf keeps them) is no CN with that
     * text: refused, naming the quotes */
    static const char *whole[] = {"\"CN=a, O=b\"", " \"CN=node1\"", "\"sipc, prod\"",
                                  "\"a+b\""};
    for (size_t i = 0; i < sizeof whole / sizeof whole[0]; i++) {
        if (sipc_subject_check(whole[i], why, sizeof why) != SIPC_EINVAL)
            fail_msg("accepted %s", whole[i]);
        assert_string_equal(why, "the whole subject is in quotes: remove them; quote single "
                                 "values (O=\"Example, Inc.\")");
    }
    atv_spec ab[] = {{3, 0x0c, "a", 0}, {10, 0x0c, "b", 0}};
    make_name(&x, buf, ab, one, 2);
    assert_true(sipc_subject_matches(&x, "CN=a, O=b", why, sizeof why));
    assert_false(sipc_subject_matches(&x, "\"CN=a, O=b\"", why, sizeof why));
    /* a '"' inside a bare value is text, as the value reader takes it: the
     * '=' after it makes ATTRIBUTE=value, not one CN 'Bob "x=y"' */
    assert_int_equal(sipc_subject_check("Bob \"x=y\"", why, sizeof why), SIPC_EINVAL);
    assert_non_null(strstr(why, "unknown attribute 'Bob \"x'"));
    /* quoted single values and a bare CN (quoted or not) still work */
    one_value o = {0};
    assert_int_equal(sipc_subject_parse("\"node1\"", NULL, take_one, &o, why, sizeof why), 0);
    assert_string_equal(o.v, "node1");
    assert_int_equal(sipc_subject_check("CN=\"a\", O=\"Example, Inc.\"", why, sizeof why), 0);
    assert_int_equal(sipc_subject_check("\"CN\\=a\"", why, sizeof why), 0);
    atv_spec bare[] = {{3, 0x0c, "sipc prod", 0}};
    make_name(&x, buf, bare, one, 1);
    assert_true(sipc_subject_matches(&x, "sipc prod", why, sizeof why));
    assert_true(sipc_subject_matches(&x, "\"sipc prod\"", why, sizeof why));
}

/* The types a caller takes are the ones its errors name. */
static void test_subject_types(void **state)
{
    (void)state;
    static const char *const two[] = {"CN", "O", NULL};
    char why[300];
    one_value o = {0};
    assert_int_equal(sipc_subject_parse("XX=1", two, take_one, &o, why, sizeof why), SIPC_EINVAL);
    assert_string_equal(why, "unknown attribute 'XX' (use CN, O)");
    assert_int_equal(sipc_subject_parse("CN=a, DC=x", two, take_one, &o, why, sizeof why),
                     SIPC_EINVAL);
    assert_string_equal(why, "attribute 'DC' is not supported here (use CN, O)");
    assert_int_equal(sipc_subject_parse("cn=a, o=b", two, take_one, &o, why, sizeof why), 0);
    assert_int_equal(sipc_subject_parse("CN=", two, take_one, &o, why, sizeof why), SIPC_EINVAL);
    assert_string_equal(why, "CN has an empty value");
    /* without a list, every type sipc reads */
    assert_int_equal(sipc_subject_check("DC=x, title=y, CN=a", why, sizeof why), 0);
}

static void test_subject_escape_round_trip(void **state)
{
    (void)state;
    static const char *values[] = {"acme+eu", "a,b", "team\\ops", "x;y", "#1", " lead", "trail ",
                                   "q\"<>", "a\\41b", "tab\there", "é ü", "=x=y"};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        char esc[256], text[300], why[200];
        assert_int_equal(sipc_subject_escape(values[i], esc, sizeof esc), 0);
        snprintf(text, sizeof text, "CN=%s, O=x", esc);
        one_value o = {0};
        assert_int_equal(sipc_subject_parse(text, NULL, take_one, &o, why, sizeof why), 0);
        assert_int_equal(o.n, 2);
        assert_string_equal(o.v, values[i]);
    }
    char small[4];
    assert_int_equal(sipc_subject_escape("a,b", small, sizeof small), SIPC_EINVAL);
    assert_int_equal(sipc_subject_escape("abc", small, sizeof small), 0);
}

static void test_malformed_and_empty(void **state)
{
    (void)state;
    sipc_trust *t = trust_of(&A, NULL, SIPC_TRUST_REV_SOFT);
    sipc_vfy_result res;
    assert_int_equal(vfy(t, NULL, 0, SIPC_PURPOSE_BOTH, time(NULL), &res),
                     SIPC_VFY_NO_CERT);
    uint8_t junk[64];
    memset(junk, 0x30, sizeof junk);
    sipc_der d = {junk, sizeof junk};
    assert_int_equal(vfy(t, &d, 1, SIPC_PURPOSE_BOTH, time(NULL), &res),
                     SIPC_VFY_MALFORMED);
    /* every truncation of a real certificate is malformed, never OK */
    for (size_t n = 1; n < A.certs[0].len; n += 7) {
        sipc_der part = {A.certs[0].data, n};
        assert_int_equal(vfy(t, &part, 1, SIPC_PURPOSE_BOTH, time(NULL), NULL),
                         SIPC_VFY_MALFORMED);
    }
    /* a flipped bit in the signature of another pair presented with the same name */
    sipc_trust_free(t);
}

static void test_bad_signature(void **state)
{
    (void)state;
    sipc_trust *t = trust_of(&A, NULL, SIPC_TRUST_REV_SOFT);
    uint8_t *copy = malloc(A.certs[0].len);
    memcpy(copy, A.certs[0].data, A.certs[0].len);
    copy[A.certs[0].len - 5] ^= 0x01; /* inside the signature */
    sipc_der d = {copy, A.certs[0].len};
    sipc_vfy_result res;
    sipc_vfy_status st = vfy(t, &d, 1, SIPC_PURPOSE_BOTH, time(NULL), &res);
    assert_int_not_equal(st, SIPC_VFY_OK);
    free(copy);
    sipc_trust_free(t);
}

/* Every single-byte change of a certificate is refused (never OK), and the
 * parser survives all of them (run under ASan in the sanitizer build). */
static void test_every_byte_flip_refused(void **state)
{
    (void)state;
    sipc_trust *t = trust_of(&A, NULL, SIPC_TRUST_REV_SOFT);
    char err[256];
    assert_int_equal(sipc_trust_add_root(t, B.certs[0].data, B.certs[0].len, err, sizeof err), 0);
    const sipc_keypair *pairs[2] = {&A, &B};
    for (int k = 0; k < 2; k++) {
        size_t n = pairs[k]->certs[0].len;
        uint8_t *copy = malloc(n);
        assert_non_null(copy);
        for (size_t i = 0; i < n; i++) {
            memcpy(copy, pairs[k]->certs[0].data, n);
            copy[i] ^= (uint8_t)(1u << (i % 8));
            sipc_der d = {copy, n};
            sipc_x509 x;
            (void)sipc_x509_parse(&x, copy, n, NULL, 0);
            sipc_vfy_status st = vfy(t, &d, 1, SIPC_PURPOSE_BOTH, time(NULL), NULL);
            if (st == SIPC_VFY_OK)
                fail_msg("pair %d: flipping byte %zu of %zu was accepted", k, i, n);
        }
        free(copy);
    }
    sipc_trust_free(t);
}

static void test_status_names_distinct(void **state)
{
    (void)state;
    for (int a = 0; a < SIPC_VFY__COUNT; a++) {
        assert_string_not_equal(sipc_vfy_status_name((sipc_vfy_status)a), "unknown");
        for (int b = 0; b < a; b++)
            assert_string_not_equal(sipc_vfy_status_name((sipc_vfy_status)a),
                                    sipc_vfy_status_name((sipc_vfy_status)b));
    }
}

/* A home's trust after its rotation: state file st (NULL: none) */
static sipc_trust *home_trust(const char *home, const char *st, const char *prev_fp)
{
    char err[600];
    assert_int_equal(sipc_store_write_rotation(home, st, prev_fp, err, sizeof err), 0);
    sipc_trust *t = NULL;
    sipc_trust_policy pol;
    memset(&pol, 0, sizeof pol);
    if (sipc_trust_load_home(&t, home, &pol, err, sizeof err) != 0)
        fail_msg("%s", err);
    return t;
}

/* Once a rotation is finished, previous/ is not trusted: a peer that still
 * presents that pair missed the rotation, and its refusal says so (not
 * "trust add", which would undo the rotation); another pair keeps the
 * usual words. */
static void test_refused_previous_pair_named(void **state)
{
    (void)state;
    char home[] = "/tmp/sipc-former-XXXXXX", err[600], want[300];
    assert_non_null(mkdtemp(home));
    assert_int_equal(sipc_store_import(home, &A, NULL, 0, SIPC_PREVIOUS_IMPORT, NULL, err, sizeof err), 0);
    assert_int_equal(sipc_store_stage(home, &B, NULL, 0, err, sizeof err), 0);
    assert_int_equal(sipc_store_commit(home, A.fingerprint, err, sizeof err), 0);
    /* committed: the previous pair is trusted */
    sipc_trust *t = home_trust(home, "committed", A.fingerprint);
    assert_int_equal(vfy(t, A.certs, 1, SIPC_PURPOSE_BOTH, time(NULL), NULL), SIPC_VFY_OK);
    sipc_trust_free(t);
    /* finished: no state file, previous/ still holds A */
    t = home_trust(home, NULL, NULL);
    sipc_vfy_result res;
    assert_int_equal(vfy(t, A.certs, 1, SIPC_PURPOSE_BOTH, time(NULL), &res), SIPC_VFY_NOT_PINNED);
    snprintf(want, sizeof want,
             "self-signed certificate 'O=Test, CN=cluster A' is the pair this side rotated away "
             "from (security/previous/, SHA-256 %.16s...): a node presenting it missed the "
             "rotation",
             A.fingerprint);
    assert_string_equal(res.reason, want);
    assert_non_null(strstr(res.fix, "`tlstool rotate commit --reload`"));
    assert_non_null(strstr(res.fix, "`tlstool import NEW.pfx --force`"));
    assert_non_null(strstr(res.fix, "`tlstool rotate abort --reload` there"));
    assert_null(strstr(res.fix, "trust add"));
    sipc_keypair C;
    assert_int_equal(sipc_keygen_selfsigned(SIPC_KEYALG_EC256, "cluster C", 30, &C, err, sizeof err), 0);
    assert_int_equal(vfy(t, C.certs, 1, SIPC_PURPOSE_BOTH, time(NULL), &res), SIPC_VFY_NOT_PINNED);
    assert_non_null(strstr(res.reason, "is not this cluster's key pair"));
    sipc_trust_free(t);
    sipc_keypair_free(&C);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", home);
    assert_int_equal(system(cmd), 0);
}

/* A commit that stopped before its pair was in place (the state file,
 * written first, says committed; node.crt is still the pair it replaces)
 * reads as the staged rotation it still is, for every reader; node.p12
 * already the staged pair's is a half commit. The trust the node loads
 * from it is the staged one: its own pair and the staged pair. */
static void test_rotation_commit_stopped(void **state)
{
    (void)state;
    char home[] = "/tmp/sipc-rotstop-XXXXXX", path[300], err[600];
    assert_non_null(mkdtemp(home));
    static const uint8_t p12[] = "the staged pair's PKCS#12 bytes (compared, never parsed)";
    assert_int_equal(sipc_store_import(home, &A, NULL, 0, SIPC_PREVIOUS_IMPORT, NULL, err, sizeof err), 0);
    assert_int_equal(sipc_store_stage(home, &B, p12, sizeof p12, err, sizeof err), 0);
    assert_int_equal(sipc_store_write_rotation(home, "committed", A.fingerprint, err, sizeof err), 0);
    sipc_rotation rot;
    assert_int_equal(sipc_rotation_read(home, &rot, err, sizeof err), 0);
    assert_int_equal(rot.state, SIPC_ROTATION_STAGED);
    assert_string_equal(rot.previous, "");
    assert_true(rot.commit_stopped);
    assert_false(rot.commit_half);
    sipc_trust *t = home_trust(home, "committed", A.fingerprint);
    char fp[65], issuer[256];
    assert_string_equal(sipc_trust_rotation_pair(t, fp, issuer), "staged pair");
    assert_string_equal(fp, B.fingerprint);
    sipc_trust_free(t);
    /* half: node.p12 is the staged pair's, node.crt still A */
    snprintf(path, sizeof path, "%s/security/node.p12", home);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(p12, 1, sizeof p12, f), sizeof p12);
    fclose(f);
    assert_int_equal(sipc_rotation_read(home, &rot, err, sizeof err), 0);
    assert_int_equal(rot.state, SIPC_ROTATION_STAGED);
    assert_true(rot.commit_stopped);
    assert_true(rot.commit_half);
    /* the commit run again puts the pair in place: committed as written */
    assert_int_equal(sipc_store_commit(home, A.fingerprint, err, sizeof err), 0);
    assert_int_equal(sipc_rotation_read(home, &rot, err, sizeof err), 0);
    assert_int_equal(rot.state, SIPC_ROTATION_COMMITTED);
    assert_string_equal(rot.previous, A.fingerprint);
    assert_false(rot.commit_stopped);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", home);
    assert_int_equal(system(cmd), 0);
}

static void test_load_home_missing(void **state)
{
    (void)state;
    sipc_trust *t = NULL;
    char err[512] = "";
    sipc_trust_policy pol;
    memset(&pol, 0, sizeof pol);
    assert_int_equal(sipc_trust_load_home(&t, "/nonexistent-sipc-home", &pol, err, sizeof err),
                     SIPC_ETLSCONFIG);
    assert_null(t);
    assert_non_null(strstr(err, "/nonexistent-sipc-home/security/node.crt"));
}

static void test_pfx_round_trip(void **state)
{
    (void)state;
    uint8_t *der;
    size_t len;
    char err[256];
    assert_int_equal(sipc_pfx_write(&A, "Round-Tr1p-pw", "t", &der, &len, err, sizeof err), 0);
    sipc_keypair back;
    sipc_pfx_error why;
    assert_int_equal(sipc_pfx_read(der, len, "Round-Tr1p-pw", &back, NULL, &why, err, sizeof err), 0);
    assert_int_equal(why, SIPC_PFX_OK);
    assert_string_equal(back.fingerprint, A.fingerprint);
    bool match = false;
    assert_int_equal(sipc_keypair_matches(&back, &match, err, sizeof err), 0);
    assert_true(match);
    sipc_keypair_free(&back);
    assert_int_equal(sipc_pfx_read(der, len, "wrong-password", &back, NULL, &why, err, sizeof err),
                     SIPC_EPASSWORD);
    assert_int_equal(why, SIPC_PFX_PASSWORD);
    assert_non_null(strstr(err, "wrong password"));
    assert_int_equal(sipc_pfx_read(der, len / 2, "Round-Tr1p-pw", &back, NULL, &why, err, sizeof err),
                     SIPC_EFORMAT);
    assert_int_equal(why, SIPC_PFX_CORRUPT);
    free(der);
}

static void test_key_mismatch_detected(void **state)
{
    (void)state;
    sipc_keypair mix;
    memset(&mix, 0, sizeof mix);
    mix.certs[0] = A.certs[0];
    mix.ncerts = 1;
    mix.key = B.key;
    mix.key_type = B.key_type;
    bool match = true;
    assert_int_equal(sipc_keypair_matches(&mix, &match, NULL, 0), 0);
    assert_false(match);
    mix.key = A.key;
    assert_int_equal(sipc_keypair_matches(&mix, &match, NULL, 0), 0);
    assert_true(match);
}

/* A P-256 key whose private value is 40 bytes (SEC1 with the curve, and the
 * same in PKCS#8): wolfCrypt decodes it, and wolfSSL 5.5.4 then overflows a
 * stack buffer exporting it (wc_ecc_export_private_only, reached from
 * wolfSSL_CTX_check_private_key), so loading must refuse it. */
static const char LONG_EC_SEC1[] = "-----BEGIN EC PRIVATE KEY-----\n"
                                   "MDkCAQEEKH8BAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4fICEiIyQlJieg\n"
                                   "CgYIKoZIzj0DAQc=\n"
                                   "-----END EC PRIVATE KEY-----\n";
static const char LONG_EC_PKCS8[] = "-----BEGIN PRIVATE KEY-----\n"
                                    "MFUCAQAwEwYHKoZIzj0CAQYIKoZIzj0DAQcEOzA5AgEBBCh/AQIDBAUGBwgJCgsM\n"
                                    "DQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSYnoAoGCCqGSM49AwEH\n"
                                    "-----END PRIVATE KEY-----\n";

static void test_key_longer_than_curve_refused(void **state)
{
    (void)state;
    char err[512];
    sipc_key_type type = SIPC_KEY_NONE;
    assert_int_equal(sipc_key_check(A.key.data, A.key.len, &type, err, sizeof err), 0);
    assert_int_equal(type, SIPC_KEY_ECC);

    /* A's certificates, then each bad key in place of A's */
    char *pem;
    size_t len;
    assert_int_equal(sipc_keypair_to_pem(&A, &pem, &len), 0);
    char *k = strstr(pem, "-----BEGIN ");
    assert_non_null(k);
    k = strstr(k + 1, "-----BEGIN ");
    assert_non_null(k);
    assert_non_null(strstr(k, "PRIVATE KEY-----"));
    size_t certlen = (size_t)(k - pem);
    const char *bad[] = {LONG_EC_SEC1, LONG_EC_PKCS8};
    for (size_t i = 0; i < 2; i++) {
        char path[] = "/tmp/sipc-test-longkey.XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, pem, certlen), (ssize_t)certlen);
        assert_int_equal(write(fd, bad[i], strlen(bad[i])), (ssize_t)strlen(bad[i]));
        close(fd);
        sipc_keypair kp;
        err[0] = '\0';
        assert_int_equal(sipc_keypair_load_pem(&kp, path, NULL, err, sizeof err), SIPC_ETLSCONFIG);
        unlink(path);
        assert_non_null(strstr(err, path));
        assert_non_null(strstr(err, "the private key is damaged or not a key sipc can read"));
        assert_non_null(strstr(err, "longer than its curve"));
    }
    sipc_secure_free(pem, len);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pinned_own_pair),
        cmocka_unit_test(test_rotation_pair_pinned),
        cmocka_unit_test(test_rotation_state_file),
        cmocka_unit_test(test_rotation_commit_stopped),
        cmocka_unit_test(test_dates_checked_even_for_the_anchor),
        cmocka_unit_test(test_other_pair_not_pinned_until_trusted),
        cmocka_unit_test(test_long_reason_cut_utf8),
        cmocka_unit_test(test_subject_policy),
        cmocka_unit_test(test_subject_structure),
        cmocka_unit_test(test_subject_quoted),
        cmocka_unit_test(test_subject_types),
        cmocka_unit_test(test_subject_escape_round_trip),
        cmocka_unit_test(test_malformed_and_empty),
        cmocka_unit_test(test_bad_signature),
        cmocka_unit_test(test_every_byte_flip_refused),
        cmocka_unit_test(test_status_names_distinct),
        cmocka_unit_test(test_load_home_missing),
        cmocka_unit_test(test_refused_previous_pair_named),
        cmocka_unit_test(test_pfx_round_trip),
        cmocka_unit_test(test_key_mismatch_detected),
        cmocka_unit_test(test_key_longer_than_curve_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
