/* Configurations of the reference servers, generated into the run
 * directory so that nothing needs root paths: one worker or thread, the
 * same docroot, logging off, keep-alive without a request limit, sendfile
 * where the server has it, in the foreground so the harness owns it.
 *
 *   int port = refs_free_port("127.0.0.1", err, sizeof err);
 *   struct refs_cmd cmd;
 *   refs_prepare(m, bin, dir, docroot, "127.0.0.1", port, &cmd, err, sizeof err);
 *   spawn_child(&(struct spawn_spec){.argv = cmd.argv, ...}, ...);
 */
#ifndef HARNESS_REFS_H
#define HARNESS_REFS_H

#include <limits.h>
#include <stddef.h>

#include "base/models.h"

#define REFS_KEEPALIVE_S 600     /* idle keep-alive, like --idle-timeout */
#define REFS_MAX_CONNECTIONS 20000 /* if the descriptor limit is unknown */

struct refs_cmd {
    char *argv[12];
    char arg[10][PATH_MAX];     /* storage the argv points into */
};

/* Binds ADDR:0 (IPv4), reads the port, closes: the caller passes it on and
 * retries with another one if the server then fails to bind. */
int refs_free_port(const char *addr, char *err, size_t errlen);
/* The configuration for m listening on addr:port, written under dir;
 * gzip_level > 0: compressing as the models do (refs_compression). */
int refs_prepare(const struct model *m, const char *bin, const char *dir,
                 const char *docroot, const char *addr, int port, int gzip_level,
                 struct refs_cmd *cmd, char *err, size_t errlen);

/* The lines of reference name's configuration that make it compress at
 * level as the models do: gzip, the same media types
 * (REFS_GZIP_TYPES: the core's coding_compressible) above REFS_GZIP_MIN
 * bytes, Vary, nothing cached; "" for level 0. For the configuration and
 * meta.txt. */
const char *refs_compression(const char *name, int level, char *out, size_t outlen);
#define REFS_GZIP_MIN 256 /* the models' --gzip-min-size default */

#endif
