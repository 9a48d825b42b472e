/* meta.txt: when, where and how a run was made, one "key: value" a line.
 *
 *   meta_write(run_dir, &opts, &workload, nofile, hosts_or_NULL, err, sizeof err);
 *
 * Keys: date, host, cpu, cpus_online, cpus_usable, kernel, memory, compiler,
 * wrk, libuv, nginx, h2o, lighttpd, gnuplot, git, command, then the
 * resolved options (conns, duration_s, ...), with load hosts target,
 * load_hosts and load_host_<dest>. report.html shows them all. */
#ifndef HARNESS_META_H
#define HARNESS_META_H

#include <stddef.h>

#include "options/opts.h"

struct hosts;

/* hosts: the load hosts (hosts.h), NULL when the load came from here. */
struct workload;
int meta_write(const char *run_dir, const struct opts *o, const struct workload *wl,
               long nofile, const struct hosts *hosts, char *err, size_t errlen);

#endif
