/* uri_authority_ok(): the host[:port] grammar of RFC 3986 section 3.2 as
 * HTTP uses it (Host field, absolute-form authority, CONNECT's
 * authority-form), one table row per case. Each value is checked from a copy
 * that ends right before a PROT_NONE page, so reading past its length
 * crashes, and with every flag combination the row allows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "uri.h"
#include "unit_guard.h"

struct uri_case {
    const char *in;
    bool ok;         /* valid with no flags */
    bool has_host;   /* still valid with URI_HOST_REQUIRED */
    bool has_port;   /* still valid with URI_PORT_REQUIRED */
};

#define GOOD(in, host, port) {in, true, host, port}
#define BAD(in) {in, false, false, false}

static const struct uri_case cases[] = {
    /* reg-name, IPv4 and the optional port */
    GOOD("", false, false),
    GOOD("localhost", true, false),
    GOOD("localhost:8080", true, true),
    GOOD("a:", true, true),
    GOOD(":80", false, true),
    GOOD("127.0.0.1", true, false),
    GOOD("127.0.0.1:80", true, true),
    GOOD("999.1.1.1", true, false), /* not an IPv4address, but a reg-name */
    GOOD("ex_am-ple.com.~", true, false),
    GOOD("a,b;c=d!$&'()*+", true, false),
    GOOD("a%41%c3%A9", true, false),
    GOOD("a:99999999", true, true), /* port = *DIGIT: syntax, no range */
    /* IP-literal */
    GOOD("[::1]", true, false),
    GOOD("[::1]:80", true, true),
    GOOD("[::]", true, false),
    GOOD("[1:2:3:4:5:6:7:8]", true, false),
    GOOD("[::ffff:1.2.3.4]", true, false),
    GOOD("[FE80::AbCd]", true, false),
    GOOD("[v1.fe:x]", true, false),
    GOOD("[V1F.a!$&'()*+,;=-._~:]:1", true, true),
    /* not host[:port] */
    BAD("host.example/other HTTP"),
    BAD("a/b"),
    BAD("u@a"),
    BAD("u:p@a"),
    BAD("@a"),
    BAD("a:80:80"),
    BAD("a:http"),
    BAD("a:-1"),
    BAD("a b"),
    BAD("a\tb"),
    BAD("a?b"),
    BAD("a#b"),
    BAD("a\"b"),
    BAD("a<b>"),
    BAD("a\\b"),
    BAD("a[b]"),
    BAD("caf\xc3\xa9"),
    BAD("a\x01"),
    BAD("a%zz"),
    BAD("a%4"),
    BAD("a%"),
    BAD("%"),
    BAD("::1"),
    BAD("[::1"),
    BAD("[::1]x"),
    BAD("[::1]]"),
    BAD("[::1]:x"),
    BAD("[]"),
    BAD("[zz::1]"),
    BAD("[1::2::3]"),
    BAD("[1:2:3:4:5:6:7:8:9]"),
    BAD("[1:2:3:4:5:6:7]"),
    BAD("[::1%25eth0]"),
    BAD("[::1.2.3]"),
    BAD("[127.0.0.1]"),
    BAD("[v1.]"),
    BAD("[v.a]"),
    BAD("[vz.a]"),
    BAD("[v1a]"),
    BAD("[v1.a/b]"),
    BAD("[1:2:3:4:5:6:7:8:1:2:3:4:5:6:7:8:1:2:3:4:5:6:7:8]"), /* > 45 bytes */
};

static bool check_guarded(const char *in, unsigned flags)
{
    size_t n = strlen(in);
    return uri_authority_ok(unit_guard_copy(in, n), n, flags);
}

static void uri_authority_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const struct uri_case *c = &cases[i];
        bool want[4] = {c->ok, c->has_host, c->has_port,
                        c->has_host && c->has_port};
        for (unsigned flags = 0; flags < 4; flags++) {
            bool got = check_guarded(c->in, flags);
            if (got != want[flags])
                fail_msg("uri_authority_ok(\"%s\", flags %u) = %d, want %d",
                         c->in, flags, got, want[flags]);
        }
    }
}

/* Only n bytes are read: a valid prefix of an invalid value is valid. */
static void uri_authority_reads_only_len_bytes(void **state)
{
    (void)state;
    assert_true(uri_authority_ok("a:80/x", 4, URI_PORT_REQUIRED));
    assert_true(uri_authority_ok("[::1]x", 5, 0));
    assert_false(uri_authority_ok("[::1]", 4, 0));
    assert_false(uri_authority_ok("a%41", 3, 0));
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(uri_authority_table),
        cmocka_unit_test(uri_authority_reads_only_len_bytes),
    };
    return cmocka_run_group_tests_name("uri", tests, unit_guard_map, unit_guard_unmap);
}
