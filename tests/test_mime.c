/* mime_type(): every table entry, case folding, defaults, and that only the
 * last path component's extension counts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mime.h"

#define HTML "text/html; charset=utf-8"
#define CSS "text/css; charset=utf-8"
#define JS "text/javascript; charset=utf-8"
#define TEXT "text/plain; charset=utf-8"
#define BIN "application/octet-stream"

struct mime_case {
    const char *path;
    const char *type;
};

static const struct mime_case every_type[] = {
    {"index.html", HTML},
    {"index.htm", HTML},
    {"site.css", CSS},
    {"app.js", JS},
    {"mod.mjs", JS},
    {"data.json", "application/json"},
    {"readme.txt", TEXT},
    {"logo.svg", "image/svg+xml"},
    {"a.png", "image/png"},
    {"a.jpg", "image/jpeg"},
    {"a.jpeg", "image/jpeg"},
    {"a.gif", "image/gif"},
    {"favicon.ico", "image/vnd.microsoft.icon"},
    {"a.webp", "image/webp"},
    {"font.woff2", "font/woff2"},
    {"prog.wasm", "application/wasm"},
    {"doc.pdf", "application/pdf"},
    {"feed.xml", "application/xml"},
};

static const struct mime_case case_folding[] = {
    {"INDEX.HTML", HTML},
    {"Index.Html", HTML},
    {"css/site.CSS", CSS},
    {"a.JpEg", "image/jpeg"},
    {"font.WOFF2", "font/woff2"},
};

static const struct mime_case defaults[] = {
    {"", BIN},
    {"Makefile", BIN},
    {"archive.tar.gz", BIN},
    {"file.", BIN},           /* trailing dot: empty extension */
    {".bashrc", BIN},         /* hidden file, no extension */
    {"dir/.html", BIN},       /* hidden file named like an extension */
    {"a.htmlx", BIN},         /* prefix of a known extension is not it */
    {"a.htm\xc3\xa9", BIN},   /* UTF-8 bytes never fold to ASCII */
    {"a.woff", BIN},          /* woff2 only */
    {"a.html/b", BIN},        /* a dot in a directory does not count */
    {"v1.2/README", BIN},
    {"dir.css/", BIN},        /* directory target: empty last component */
};

static const struct mime_case last_component[] = {
    {"a.b/c.d/page.html", HTML},
    {"v1.2/app.js", JS},
    {"sub/.hidden/logo.png", "image/png"},
    {"x.json.txt", TEXT},     /* the last extension wins */
    {"/abs/path/doc.pdf", "application/pdf"},
    {"sub/.config.json", "application/json"}, /* hidden, but has one */
};

static void check_table(const struct mime_case *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *got = mime_type(t[i].path);
        if (strcmp(got, t[i].type) != 0)
            fail_msg("mime_type(\"%s\") = \"%s\", want \"%s\"", t[i].path,
                     got, t[i].type);
    }
}

#define CHECK(table) check_table(table, sizeof table / sizeof table[0])

static void mime_knows_every_type(void **state)
{
    (void)state;
    CHECK(every_type);
}

static void mime_ignores_extension_case(void **state)
{
    (void)state;
    CHECK(case_folding);
}

static void mime_defaults_to_octet_stream(void **state)
{
    (void)state;
    CHECK(defaults);
}

static void mime_uses_only_last_component(void **state)
{
    (void)state;
    CHECK(last_component);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mime_knows_every_type),
        cmocka_unit_test(mime_ignores_extension_case),
        cmocka_unit_test(mime_defaults_to_octet_stream),
        cmocka_unit_test(mime_uses_only_last_component),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
