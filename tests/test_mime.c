/* mime_type(): the types a site needs, case folding, defaults, that only
 * the last path component's extension counts, and every extension of
 * Debian's /etc/mime.types (the table is built from it: mime_table.py). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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
    /* Audio, video and fonts a browser found without a type (issue 21). */
    {"a.wav", "audio/x-wav"},
    {"a.mp3", "audio/mpeg"},
    {"a.ogg", "audio/ogg"},
    {"a.opus", "audio/ogg"},
    {"a.flac", "audio/flac"},
    {"a.mp4", "video/mp4"},
    {"a.webm", "video/webm"},
    {"a.woff", "font/woff"},
    {"a.avif", "image/avif"},
    /* text types carry the charset, whichever the table's */
    {"README.md", "text/markdown; charset=utf-8"},
    {"data.csv", "text/csv; charset=utf-8"},
    /* listed twice in the file: the first line wins */
    {"run.sh", "application/x-sh"},
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
    {"archive.tar.gz2", BIN},
    {"file.", BIN},           /* trailing dot: empty extension */
    {".bashrc", BIN},         /* hidden file, no extension */
    {"dir/.html", BIN},       /* hidden file named like an extension */
    {"a.htmlx", BIN},         /* prefix of a known extension is not it */
    {"a.htm\xc3\xa9", BIN},   /* UTF-8 bytes never fold to ASCII */
    {"a.woff3", BIN},
    {"a.abcdefghijklmnopq", BIN}, /* longer than any extension */
    {"tm.json.x", BIN},       /* "tm.json" is listed, but not looked up */
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

/* Every extension of /etc/mime.types without a dot maps to the first type
 * listed for it (with the charset for text types; the built-in list of
 * mime_table.py, which would win, agrees with it): the generator and the
 * binary search over the whole table. Skipped without media-types. */
static void mime_follows_debian_table(void **state)
{
    (void)state;
    FILE *f = fopen("/etc/mime.types", "r");
    char line[1024], seen[2048][16];
    size_t n_seen = 0, checked = 0;
    if (!f)
        skip();
    while (fgets(line, sizeof line, f)) {
        char *save, *type = strtok_r(line, " \t\r\n", &save), *ext;
        if (!type || type[0] == '#')
            continue;
        while ((ext = strtok_r(NULL, " \t\r\n", &save))) {
            char path[64], want[256];
            bool dup = false;
            for (char *p = ext; *p; p++)
                *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
            for (size_t i = 0; i < n_seen && !dup; i++)
                dup = strcmp(seen[i], ext) == 0;
            if (dup || strchr(ext, '.') || strlen(ext) > 15 || n_seen == 2048)
                continue;
            strcpy(seen[n_seen++], ext);
            snprintf(path, sizeof path, "dir/file.%s", ext);
            snprintf(want, sizeof want, "%s%s", type,
                     strncmp(type, "text/", 5) == 0 ? "; charset=utf-8" : "");
            const char *got = mime_type(path);
            if (strcmp(got, want) != 0)
                fail_msg("mime_type(\"%s\") = \"%s\", want \"%s\"", path, got, want);
            checked++;
        }
    }
    fclose(f);
    assert_true(checked > 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mime_knows_every_type),
        cmocka_unit_test(mime_ignores_extension_case),
        cmocka_unit_test(mime_defaults_to_octet_stream),
        cmocka_unit_test(mime_uses_only_last_component),
        cmocka_unit_test(mime_follows_debian_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
