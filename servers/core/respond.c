/* What to answer a request: see respond.h. */
#include "respond.h"

#include <string.h>
#include <time.h>

#include "files.h"
#include "http_parse.h"
#include "path.h"
#include "response.h"

/* Every error closes the connection (its framing may be lost); a 301 keeps
 * it when the request allows. */
static void answer_status(int status, const char *location, bool head_only,
                          bool keep_alive, char *out, size_t cap,
                          struct respond_answer *a)
{
    keep_alive = status < 400 && keep_alive;
    size_t n = response_error(out, cap, status, location, head_only, keep_alive);
    if (n == 0) { /* only a Location too long for the buffer gets here */
        status = 414;
        keep_alive = false;
        n = response_error(out, cap, 414, NULL, head_only, false);
    }
    *a = (struct respond_answer){.status = status, .head_len = n, .keep_alive = keep_alive};
}

void respond_error(int status, bool head_only, char *out, size_t cap,
                   struct respond_answer *a)
{
    answer_status(status, NULL, head_only, false, out, cap, a);
}

/* Percent-encodes rel for a Location header: "/" rel "/". */
static bool build_location(const char *rel, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    out[o++] = '/';
    for (const unsigned char *p = (const unsigned char *)rel; *p; p++) {
        if (o + 4 >= cap)
            return false;
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
            (*p >= '0' && *p <= '9') || strchr("/-._~", *p)) {
            out[o++] = (char)*p;
        } else {
            out[o++] = '%';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        }
    }
    out[o++] = '/';
    out[o] = '\0';
    return true;
}

static bool not_modified(const struct http_request *req, const struct file_entry *f)
{
    const struct http_field *ims = http_field(req, HTTP_IF_MODIFIED_SINCE);
    time_t since;
    return ims && response_parse_date(ims->value, ims->len, &since) == 0 &&
           f->mtime <= since;
}

void respond_to(const struct http_request *req, bool keep_alive, char *out, size_t cap,
                struct respond_answer *a)
{
    bool head_only = req->method == HTTP_HEAD;
    char rel[PATH_REL_MAX];
    bool dir_slash = false;
    int status = path_normalize(req->target, req->target_len, rel, sizeof rel,
                                &dir_slash);
    if (status) {
        answer_status(status, NULL, head_only, keep_alive, out, cap, a);
        return;
    }
    struct file_entry *f = files_get(rel, dir_slash, &status);
    if (!f) {
        char location[RESPONSE_LOCATION_MAX];
        if (status == 301 && !build_location(rel, location, sizeof location))
            status = 414;
        answer_status(status, status == 301 ? location : NULL, head_only, keep_alive,
                      out, cap, a);
        return;
    }
    status = not_modified(req, f) ? 304 : 200;
    *a = (struct respond_answer){
        .status = status,
        .head_len = response_file_head(out, cap, status, f, keep_alive),
        .keep_alive = keep_alive};
    if (status == 200 && !head_only)
        a->body = (struct respond_body){f, 0, f->size};
    else
        files_put(f);
}
