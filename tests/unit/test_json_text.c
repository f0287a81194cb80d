/* test_json_text.c - services/common/json_text.c: text from outside as a JSON
 * string, valid UTF-8 kept as it is and every other byte as \xNN, so that
 * no key and no answer is lost to jansson's refusal of such text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "services/common/json_text.h"

/* sipc_json_text(in) is a JSON string holding want */
static void shows(const char *in, const char *want)
{
    json_t *j = sipc_json_text(in);
    assert_non_null(j);
    assert_true(json_is_string(j));
    assert_string_equal(json_string_value(j), want);
    json_decref(j);
}

static void test_valid_kept(void **state)
{
    (void)state;
    shows("", "");
    shows("/var/lib/sipc", "/var/lib/sipc");
    shows("CN=caf\xc3\xa9, O=\xe6\x97\xa5\xe6\x9c\xac", "CN=caf\xc3\xa9, O=\xe6\x97\xa5\xe6\x9c\xac");
    shows("\xf0\x9f\x94\x91 key", "\xf0\x9f\x94\x91 key");
    /* controls and U+202E are valid: JSON escapes controls, a reader gets them as they came */
    shows("a\x1b[2J\tb\xe2\x80\xae", "a\x1b[2J\tb\xe2\x80\xae");
    /* a text that already holds \x stays as it is */
    shows("C:\\xff", "C:\\xff");
}

static void test_invalid_bytes_shown(void **state)
{
    (void)state;
    /* a Latin-1 home path */
    shows("/home/jos\xe9/n1", "/home/jos\\xe9/n1");
    /* a character cut short at a buffer's end, and one cut in the middle */
    shows("reason caf\xc3", "reason caf\\xc3");
    shows("\xe6\x97 x", "\\xe6\\x97 x");
    /* a 4-byte character cut after its third byte, at the end and before more */
    shows("\xf0\x9f\x94", "\\xf0\\x9f\\x94");
    shows("k\xf0\x9f\x94y", "k\\xf0\\x9f\\x94y");
    /* a stray continuation byte, an overlong '/', a surrogate, above U+10FFFF, 0xff */
    shows("a\x80z", "a\\x80z");
    shows("\xc0\xaf", "\\xc0\\xaf");
    shows("\xed\xa0\x80", "\\xed\\xa0\\x80");
    shows("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80");
    shows("\xff\xfe", "\\xff\\xfe");
    /* valid characters around bad bytes stay whole */
    shows("\xc3\xa9\xe9\xc3\xa9", "\xc3\xa9\\xe9\xc3\xa9");
}

/* jansson itself refuses what the helper repairs: the reason it exists */
static void test_jansson_refuses(void **state)
{
    (void)state;
    assert_null(json_string("/home/jos\xe9/n1"));
    json_t *o = json_pack("{s:s}", "home", "/home/jos\xe9/n1");
    assert_null(o);
    o = json_pack("{s:o, s:i}", "home", sipc_json_text("/home/jos\xe9/n1"), "n", 1);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "home")), "/home/jos\\xe9/n1");
    json_decref(o);
}

static void test_null(void **state)
{
    (void)state;
    assert_null(sipc_json_text(NULL));
    /* so that "o?" makes null of it */
    json_t *o = json_pack("{s:o?}", "x", sipc_json_text(NULL));
    assert_non_null(o);
    assert_true(json_is_null(json_object_get(o, "x")));
    json_decref(o);
}

/* What the helper should give for s, worked out with jansson's own check:
 * each character whose bytes jansson takes alone is kept, every other byte
 * is \xNN. */
static void expected(const unsigned char *s, char *out)
{
    size_t w = 0;
    for (size_t i = 0; s[i];) {
        unsigned a = s[i];
        size_t len = a < 0x80 ? 1 : a >= 0xc2 && a <= 0xdf ? 2 : a >= 0xe0 && a <= 0xef ? 3
                                 : a >= 0xf0 && a <= 0xf4 ? 4 : 0;
        json_t *one = len && strnlen((const char *)s + i, len) == len
                          ? json_stringn((const char *)s + i, len)
                          : NULL;
        if (one) {
            memcpy(out + w, s + i, len);
            w += len;
            i += len;
            json_decref(one);
        } else {
            static const char hex[] = "0123456789abcdef";
            out[w++] = '\\';
            out[w++] = 'x';
            out[w++] = hex[a >> 4];
            out[w++] = hex[a & 15];
            i++;
        }
    }
    out[w] = '\0';
}

/* every string of up to 2 bytes (and a sample of 3- and 4-byte ones, and of
 * 4-byte characters cut after their third byte): the helper gives a string,
 * the input itself exactly when jansson accepts it, else what expected()
 * works out */
static void test_agrees_with_jansson(void **state)
{
    (void)state;
    unsigned char s[5] = {0};
    char want[4 * sizeof s + 1];
    for (unsigned a = 1; a < 256; a++) {
        for (unsigned b = 0; b < 256; b++) {
            s[0] = (unsigned char)a;
            s[1] = (unsigned char)b;
            for (unsigned c = 0; c < 256; c += a >= 0xe0 && b >= 0x80 && b < 0xc0 ? 1 : 255) {
                s[2] = (unsigned char)c;
                /* a fourth byte after a 4-byte lead: a continuation, or none */
                for (int cut = 0; cut < 2; cut++) {
                    s[3] = a >= 0xf0 && c && !cut ? 0x80 : 0;
                    json_t *plain = json_string((const char *)s);
                    json_t *ours = sipc_json_text((const char *)s);
                    assert_non_null(ours);
                    if (plain) {
                        assert_string_equal(json_string_value(ours), (const char *)s);
                    } else {
                        expected(s, want);
                        assert_string_equal(json_string_value(ours), want);
                    }
                    json_decref(plain);
                    json_decref(ours);
                    if (!s[3])
                        break;
                }
                if (!b)
                    break;
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_kept),
        cmocka_unit_test(test_invalid_bytes_shown),
        cmocka_unit_test(test_jansson_refuses),
        cmocka_unit_test(test_null),
        cmocka_unit_test(test_agrees_with_jansson),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
