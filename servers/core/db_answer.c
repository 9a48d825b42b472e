/* The database endpoints: see db_answer.h. */
#include "db_answer.h"

#include <stdio.h>
#include <string.h>

#include "db.h"
#include "response.h"

int db_queries_param(const char *q, size_t len)
{
    const char *end = q + len;
    while (q < end) {
        const char *amp = memchr(q, '&', (size_t)(end - q));
        const char *stop = amp ? amp : end;
        if (stop - q >= 2 && q[0] == 'q' && q[1] == '=') {
            long v = 0;
            const char *d = q + 2;
            if (d == stop)
                return 1;
            for (; d < stop; d++) {
                if (*d < '0' || *d > '9')
                    return 1; /* not an integer: "abc", "-3", "5x" */
                if (v <= DB_QUERIES_MAX)
                    v = v * 10 + (*d - '0');
            }
            return v < 1 ? 1 : v > DB_QUERIES_MAX ? DB_QUERIES_MAX : (int)v;
        }
        q = stop + 1;
    }
    return 1;
}

bool db_route(const char *target, size_t len, int *n, bool *array)
{
    const char *qm = memchr(target, '?', len);
    size_t plen = qm ? (size_t)(qm - target) : len;
    if (plen == 3 && !memcmp(target, "/db", 3)) {
        *n = 1;
        *array = false;
        return true;
    }
    if (plen != 8 || memcmp(target, "/queries", 8))
        return false;
    *array = true;
    *n = qm ? db_queries_param(qm + 1, len - plen - 1) : 1;
    return true;
}

size_t db_answer_head(char *out, size_t cap, const struct db_req *r, bool keep_alive)
{
    int n = snprintf(out, cap,
                     "HTTP/1.1 200 OK\r\nServer: " RESPONSE_SERVER "\r\nDate: %s\r\n"
                     "Content-Type: application/json\r\nContent-Length: %zu\r\n"
                     "Connection: %s\r\n\r\n",
                     response_date(), r->len, keep_alive ? "keep-alive" : "close");
    return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}
