/* harness list and harness verify (see commands.h). */
#include "cli/commands.h"

#include <limits.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run/run.h"
#include "workload/workload.h"
#include "base/spawn.h"
#include "sut/sut.h"
#include "base/util.h"
#include "sut/verify.h"

/* Availability, including what only starting the binary tells (exit 69:
 * "io_uring unavailable"). Starts and stops the server briefly. */
static const char *probe(const struct model *m, const char *dir, char *why,
                         size_t whylen)
{
    cpu_set_t cpus;
    struct sut s = {0};
    char note[256];
    if (sched_getaffinity(0, sizeof cpus, &cpus))
        CPU_ZERO(&cpus);
    struct sut_env env = {.run_dir = dir, .cpus = CPU_COUNT(&cpus) ? &cpus : NULL,
                             .workers = 1, .docroot = WORKLOAD_DOCROOT, .body_size = 16};
    int r = sut_start(&s, m, &env, why, whylen);
    if (r == SUT_OK) {
        sut_stop(&s, note, sizeof note);
        return "yes";
    }
    return r == SUT_SKIPPED ? "no" : "fails";
}

static void csv_field(const char *s, const char *sep)
{
    putchar('"');
    for (; *s; s++)
        printf(*s == '"' ? "\"\"" : "%c", *s);
    printf("\"%s", sep);
}

int list_command(bool csv)
{
    char dir[] = "/tmp/c10k-harness-list-XXXXXX", why[512];
    if (!mkdtemp(dir)) {
        perror("harness: mkdtemp");
        return 1;
    }
    if (csv)
        printf("name,category,available,reason,origin,limits\n");
    else
        printf("%-12s %-13s %-9s %s\n", "MODEL", "CATEGORY", "AVAILABLE", "ORIGIN / WHY NOT");
    for (int i = 0; i < models_count() && !spawn_interrupted; i++) {
        const struct model *m = models_get(i);
        const char *avail = probe(m, dir, why, sizeof why);
        if (csv) {
            printf("%s,%s,%s,", m->name, m->category, avail);
            csv_field(strcmp(avail, "yes") ? why : "", ",");
            csv_field(m->origin, ",");
            csv_field(m->limits ? m->limits : "", "\n");
        } else {
            printf("%-12s %-13s %-9s %s\n", m->name, m->category, avail, m->origin);
            if (m->limits && *m->limits)
                printf("%-12s %-13s %-9s limit: %s\n", "", "", "", m->limits);
            if (strcmp(avail, "yes"))
                printf("%-12s %-13s %-9s -> %s\n", "", "", "", why);
        }
    }
    if (util_remove_tree(dir))
        fprintf(stderr, "harness: remove %s: %s\n", dir, strerror(errno));
    return 0;
}

int verify_command(const struct opts *o, const struct model *const *models, int n)
{
    char dir[] = "/tmp/c10k-harness-verify-XXXXXX", why[512];
    int failed = 0;
    if (!mkdtemp(dir)) {
        perror("harness: mkdtemp");
        return 1;
    }
    struct sut_env env = {.run_dir = dir, .cpus = &o->server_cpus,
                             .workers = CPU_COUNT(&o->server_cpus),
                             .docroot = WORKLOAD_DOCROOT, .body_size = 16384};
    /* The database workloads: their cluster, options and /db or /queries. */
    static struct workload w;
    const char *path = o->path;
    bool db = o->workload && o->workload->finish;
    if (db && workload_prepare(&w, o, why, sizeof why) == 0) {
        env.model_args = w.server_args;
        env.calibration_json = w.calibration_json;
        env.body_size = w.body_size;
        path = w.path;
    }
    spawn_raise_nofile(1024); /* verify holds a few connections at a time */
    for (int i = 0; i < n && !spawn_interrupted; i++) {
        struct sut s = {0};
        char note[256] = "";
        int r = SUT_SKIPPED;
        if (db && (w.skip[0] || models[i]->kind == MODEL_REFERENCE))
            snprintf(why, sizeof why, "%s", w.skip[0] ? w.skip
                     : o->workload->refs_not_applicable);
        else
            r = sut_start(&s, models[i], &env, why, sizeof why);
        if (r == SUT_OK) {
            r = verify_server(&s, WORKLOAD_DOCROOT, path, why, sizeof why) ? SUT_FAILED : 0;
            sut_stop(&s, note, sizeof note);
            /* Our servers must stop cleanly; a reference's exit status is
             * its own business (lighttpd exits 1 when SIGTERM finds a
             * connection still closing), reported but not a failure. */
            if (r == 0 && note[0]) {
                snprintf(why, sizeof why, "stopping: %s", note);
                r = model_is_reference(models[i]) ? 0 : SUT_FAILED;
            }
        }
        failed += r == SUT_FAILED;
        printf("%-12s %s%s%s\n", models[i]->name,
               r == 0 ? "ok" : r == SUT_SKIPPED ? "skipped" : "FAILED",
               r || note[0] ? ": " : "", r || note[0] ? why : "");
        fflush(stdout);
    }
    if (db)
        workload_finish(&w);
    if (util_remove_tree(dir))
        fprintf(stderr, "harness: remove %s: %s\n", dir, strerror(errno));
    return failed ? 1 : 0;
}
