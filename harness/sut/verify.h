/* The correctness gate before any load: a server that fails it is never
 * benchmarked (its rows say "failed: verify: ...").
 *
 *   if (verify_server(&srv, docroot, "/bench/16k.html", why, sizeof why))
 *       record_failure(why);     // e.g. "GET /: body differs from html/index.html"
 *
 * Checks, each on a fresh connection unless said: GET <bench path> is 200
 * with the file's exact bytes; GET / is 200 with index.html; a missing file
 * is 404; on one keep-alive connection HEAD / is 200 with index.html's
 * Content-Length and no body, then GET / again is 200 on the same
 * connection. The calibration server does not parse, so for it only
 * "200 with --size bytes, twice on one connection" is checked. */
#ifndef HARNESS_VERIFY_H
#define HARNESS_VERIFY_H

#include <stddef.h>

#include "sut/sut.h"

#define VERIFY_TIMEOUT_MS 3000

int verify_server(const struct sut *s, const char *docroot,
                  const char *bench_path, char *why, size_t whylen);
/* The gzip and mixed workloads: every distinct path of the URL list
 * (urls, a class column after a tab ignored), on one keep-alive
 * connection with Accept-Encoding: gzip: 200, in gzip exactly for the text
 * files (.html, .css, .js), and the body, decompressed (zlib, through
 * libcurl), byte for byte the file. The calibration server: its body is
 * gzip. 0, or -1 with why. */
int verify_coded(const struct sut *s, const char *docroot, const char *urls, char *why,
                 size_t whylen);
/* One GET / answered within timeout_ms: the server still serves. */
int verify_answers(const char *addr, int port, int timeout_ms, char *why, size_t whylen);

#endif
