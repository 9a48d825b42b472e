/* meta.txt: when, where and how a run was made, one "key: value" a line.
 *
 *   meta_write(run_dir, &opts, body_size, nofile, err, sizeof err);
 *
 * Keys: date, host, cpu, cpus_online, cpus_usable, kernel, memory, compiler,
 * wrk, libuv, nginx, h2o, lighttpd, gnuplot, git, command, then the
 * resolved options (conns, duration_s, ...). report.html shows them all. */
#ifndef HARNESS_META_H
#define HARNESS_META_H

#include <stddef.h>

#include "opts.h"

int meta_write(const char *run_dir, const struct opts *o, long body_size,
               long nofile, char *err, size_t errlen);

#endif
