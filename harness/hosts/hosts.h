/* Load hosts (issue 10): loadgen runs on other machines, reached over
 * OpenSSH (remote.c), every host offering its share of a level or step over
 * the same window; their histograms come back over ssh's stdout and are
 * merged here bucket by bucket. The server stays on this machine.
 *
 *   struct hosts *hs = hosts_new(&opts);        // --load-hosts, --target...
 *   if (hosts_prepare(hs, &opts, err, sizeof err)) ...one line, exit 2...
 *   struct loadgen_args a = {.host = opts.target, .port = port, .path = "/",
 *                            .rate = 20000, .conns = 256, .pipeline = 1,
 *                            .duration_s = 2};  // or .closed = true
 *   hosts_start(hs, &a, err, sizeof err);       // R/N and C/N each, one t0
 *   while (hosts_poll(hs, 200) == 0) { ...sample the server... }
 *   hosts_finish(hs, &merged, err, sizeof err); // merged figures
 *   hosts_record(hs, &row);     // flags the merged row (host=all), keeps
 *                               // one row per host
 *   hosts_write_rows(hs, csv);  // those rows, after the round's own
 *   hosts_cleanup(hs);          // nothing left there, after Ctrl-C too
 *   hosts_free(hs);
 *
 * Functions returning int give 0, or -1 with one line in err naming the host
 * and the cause. */
#ifndef HARNESS_HOSTS_H
#define HARNESS_HOSTS_H

#include <stdio.h>

#include "results/csv.h"
#include "tools/loadgen.h"
#include "options/opts.h"

#define HOSTS_WARN_OFFSET_NS 1000000LL /* clock offset (+ its bound): warn */
#define HOSTS_OFFSET_SHARE 100         /* refuse above 1/100 of a step */
/* --start-at is this far ahead of the last ssh start: each start is one
 * ssh session (about 0.4 s here, mostly the key exchange), hosts started
 * one after the other, each given HOSTS_SPAWN_MARGIN times the slowest
 * session start seen so far (a loaded machine's starts vary by that much:
 * 2.7 s against 1.3 s before them, seen under a sanitizer build). */
#define HOSTS_LEAD_S 0.8
#define HOSTS_SPAWN_MARGIN 2
#define HOSTS_SPAWN_S 0.5              /* one session start, until measured */
#define HOSTS_UNEVEN 0.10              /* achieved per share differing more */

struct hosts;

struct hosts *hosts_new(const struct opts *o);
/* Before any work: ADDR is this machine's, then per host: it answers, takes
 * the key, runs this architecture, has loadgen (copied with scp, or
 * --remote-loadgen), and its clock offset is measured: a warning on stderr
 * above 1 ms, refused above 1/100 of the shortest level or step. Prints one
 * line per host on stdout. */
int hosts_prepare(struct hosts *hs, const struct opts *o, char *err, size_t errlen);
/* Starts loadgen on each host with a share of a: rate a->rate / N and
 * a->conns / N connections (remainders to the first hosts; a host with no
 * connection sits out), threads up to its CPUs, --start-at one common
 * instant corrected by its clock offset, --histograms. */
int hosts_start(struct hosts *hs, const struct loadgen_args *a, char *err,
                size_t errlen);
/* Reads what the hosts print, up to timeout_ms; 1 when every host has
 * ended (or was killed at the deadline, or the run was interrupted). */
int hosts_poll(struct hosts *hs, int timeout_ms);
/* Waits for every host and merges: counts summed, histograms added
 * bucket by bucket, percentiles from the merged histograms. -1 if a host
 * failed (its rows say which). */
int hosts_finish(struct hosts *hs, struct lg_result *merged, char *err,
                 size_t errlen);
/* The merged row r (measured by hosts_finish): host=all, threads summed,
 * client-bound if a host was, hosts-uneven when their achieved rates per
 * share differ by more than 10%; then one row per host (its own figures,
 * r's model, kind, step...) kept for hosts_write_rows. */
void hosts_record(struct hosts *hs, struct row *r);
/* Drops the per-host rows of the last hosts_record (a step measured again). */
void hosts_unrecord(struct hosts *hs);
/* The hosts' corrected histograms of the last hosts_finish, merged. */
const struct hist *hosts_corrected(const struct hosts *hs);
int hosts_write_rows(struct hosts *hs, FILE *csv);
/* meta.txt's lines: target, load_hosts and one load_host_<dest> per host
 * (its architecture, CPUs, clock offset, loadgen's path there). */
void hosts_write_meta(const struct hosts *hs, FILE *f);
/* Kills what runs there and removes what was copied, on every host; says
 * on stderr what could not be removed. Safe to call twice. */
int hosts_cleanup(struct hosts *hs);
void hosts_free(struct hosts *hs);

#endif
