/* Content-Type by file extension.
 *
 * The table is Debian's /etc/mime.types (package media-types), turned into
 * a sorted C array at build time by mime_table.py (the rules are there:
 * case, duplicates, the charset of text types). Reading the file at
 * start-up instead would cost each server process about 2,300 lines of
 * parsing and some 60 KiB of heap, and a second code path for a missing
 * file; built in, it costs nothing at start-up and nothing to set up
 * (safe from every thread and process), and the build falls back to a
 * short built-in list where the package is missing. A lookup is a binary
 * search of about 1,500 extensions (11 comparisons); it runs when a file
 * enters the cache (files.c), not per request. */
#include "mime.h"

#include <stddef.h>
#include <string.h>

#define MIME_DEFAULT "application/octet-stream"

struct mime_entry {
    const char *ext;  /* lower case, without the dot */
    const char *type; /* the Content-Type value */
};

#include "mime_table.h" /* mime_table[], MIME_EXT_MAX: generated */

/* ASCII-only case folding: strcasecmp() depends on the locale, and a file
 * name's bytes >= 0x80 must never match an ASCII extension. */
static int mime_lower(unsigned char ch)
{
    return (ch >= 'A' && ch <= 'Z') ? ch - 'A' + 'a' : ch;
}

/* strcmp of ext folded to lower case against a lower-case table entry. */
static int mime_ext_cmp(const char *ext, const char *lower)
{
    while (*ext && mime_lower((unsigned char)*ext) == (unsigned char)*lower) {
        ext++;
        lower++;
    }
    return mime_lower((unsigned char)*ext) - (unsigned char)*lower;
}

/* Only the last path component counts ("a.html/b" has no extension), and a
 * name that starts with its only dot (".bashrc") is a hidden file without an
 * extension, as in most servers. */
static const char *mime_extension(const char *path)
{
    const char *name = strrchr(path, '/');
    name = name ? name + 1 : path;
    const char *dot = strrchr(name, '.');
    if (!dot || dot == name || dot[1] == '\0')
        return NULL;
    return dot + 1;
}

const char *mime_type(const char *path)
{
    const char *ext = path ? mime_extension(path) : NULL;
    if (!ext || strlen(ext) > MIME_EXT_MAX)
        return MIME_DEFAULT;
    size_t lo = 0, hi = sizeof mime_table / sizeof mime_table[0];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = mime_ext_cmp(ext, mime_table[mid].ext);
        if (c == 0)
            return mime_table[mid].type;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return MIME_DEFAULT;
}
