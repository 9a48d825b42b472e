/* Content-Type by file extension.
 *
 * The table is small and looked up once per response, so a linear scan over
 * static strings is enough: no hashing, no allocation, nothing to initialise
 * (safe from every thread and process without setup). */
#include "mime.h"

#include <stddef.h>
#include <string.h>

#define MIME_DEFAULT "application/octet-stream"

struct mime_entry {
    const char *ext;  /* lower case, without the dot */
    const char *type; /* the Content-Type value */
};

/* Text types carry a charset so browsers do not guess one; the docroot is
 * expected to be UTF-8. ico uses the registered IANA name. */
static const struct mime_entry mime_table[] = {
    {"html", "text/html; charset=utf-8"},
    {"htm", "text/html; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"json", "application/json"},
    {"txt", "text/plain; charset=utf-8"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"ico", "image/vnd.microsoft.icon"},
    {"webp", "image/webp"},
    {"woff2", "font/woff2"},
    {"wasm", "application/wasm"},
    {"pdf", "application/pdf"},
    {"xml", "application/xml"},
};

/* ASCII-only case folding: strcasecmp() depends on the locale, and a file
 * name's bytes >= 0x80 must never match an ASCII extension. */
static int mime_lower(unsigned char ch)
{
    return (ch >= 'A' && ch <= 'Z') ? ch - 'A' + 'a' : ch;
}

static int mime_ext_equal(const char *ext, const char *lower)
{
    while (*ext && *lower) {
        if (mime_lower((unsigned char)*ext) != (unsigned char)*lower)
            return 0;
        ext++;
        lower++;
    }
    return *ext == '\0' && *lower == '\0';
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
    if (!ext)
        return MIME_DEFAULT;
    for (size_t i = 0; i < sizeof mime_table / sizeof mime_table[0]; i++)
        if (mime_ext_equal(ext, mime_table[i].ext))
            return mime_table[i].type;
    return MIME_DEFAULT;
}
