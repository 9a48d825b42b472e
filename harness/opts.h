/* The harness command line: a command word, then options.
 *
 *   struct opts o;
 *   if (opts_parse(&o, argc, argv, err, sizeof err)) { fprintf(stderr,
 *       "harness: %s\n", err); return 2; }
 *
 * --quick changes the defaults (not what was given explicitly). Model names
 * are checked later against the table (models_select), CPU lists here
 * against the CPUs this process may use. */
#ifndef HARNESS_OPTS_H
#define HARNESS_OPTS_H

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define OPTS_MAX_LIST 32
#define OPTS_DEFAULT_CONNS "1,4,16,64,256,1024,4096,10000"
#define OPTS_QUICK_CONNS "16,256"
#define OPTS_DEFAULT_DURATION_S 3
#define OPTS_QUICK_DURATION_S 1
#define OPTS_DEFAULT_WARMUP_S 1
#define OPTS_QUICK_WARMUP_S 0
#define OPTS_DEFAULT_PATH "/bench/16k.html"
#define OPTS_DEFAULT_MEMORY_IDLE 2000   /* idle conns of the memory row */
#define OPTS_QUICK_MEMORY_IDLE 200
#define OPTS_MAX_CONNS 100000

enum opts_cmd { CMD_HELP, CMD_LIST, CMD_VERIFY, CMD_RUN, CMD_REPORT };

struct opts {
    enum opts_cmd cmd;
    const char *models;          /* "all", or names and categories, comma-separated */
    int conns[OPTS_MAX_LIST], n_conns;
    int idle[OPTS_MAX_LIST], n_idle; /* --idle sweep; 0 entries: not given */
    int memory_idle;             /* 0: no memory row (with --idle) */
    int duration_s, warmup_s, repeat, pipeline, threads;
    char path[256];
    cpu_set_t server_cpus, client_cpus;
    char server_cpus_text[128], client_cpus_text[128];
    bool quick, csv;
    const char *out;             /* parent of the run directory */
    const char *report_dir;      /* report DIR */
    char command_line[2048];     /* for meta.txt */
};

int opts_parse(struct opts *o, int argc, char **argv, char *err, size_t errlen);
/* Parses "1,4,16" into v (at most max values in [lo, hi]). */
int opts_parse_list(const char *s, int *v, int max, int lo, int hi);
void opts_usage(FILE *f, int n_models, int n_available);
/* Default split of the usable CPUs: first half server, rest client. */
void opts_default_cpus(cpu_set_t *server, cpu_set_t *client);

#endif
