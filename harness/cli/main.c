/* c10k-lab harness: measures the concurrency models against each other.
 *
 *   harness list | verify | run [options] | report DIR | compare A B  (--help)
 *
 * main parses the command line, checks everything that can fail before any
 * work starts (one line on stderr, exit 2), then hands over to a command. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "report/compare.h"
#include "hosts/hosts.h"
#include "base/models.h"
#include "options/opts.h"
#include "run/plan.h"
#include "report/generate.h"
#include "run/run.h"
#include "base/spawn.h"
#include "workloads/workloads.h"

#define EXIT_USAGE 2

static int count_available(void)
{
    char why[256];
    int n = 0;
    for (int i = 0; i < models_count(); i++)
        n += model_available(models_get(i), why, sizeof why);
    return n;
}

/* With --load-hosts, the hosts are checked and loadgen copied there before
 * any work (one line and exit 2 if a host is not fit), and whatever the run
 * ends with, nothing is left there. */
static int run_with_hosts(const struct opts *o, const struct model *const *models,
                          int n)
{
    char err[1024];
    struct hosts *hs = NULL;
    if (o->n_load_hosts) {
        hs = hosts_new(o);
        if (!hs || hosts_prepare(hs, o, err, sizeof err)) {
            fprintf(stderr, "harness: %s\n", hs ? err : "out of memory");
            hosts_cleanup(hs);
            hosts_free(hs);
            return spawn_interrupted ? 130 : EXIT_USAGE;
        }
    }
    int rc = run_command(o, models, n, hs);
    if (hosts_cleanup(hs) && rc == 0)
        rc = 1;
    hosts_free(hs);
    return rc;
}

int main(int argc, char **argv)
{
    struct opts o;
    const struct model *models[PLAN_MAX_MODELS];
    char err[512];
    workloads_register(workloads_table);
    if (opts_parse(&o, argc, argv, err, sizeof err)) {
        fprintf(stderr, "harness: %s\n", err);
        return EXIT_USAGE;
    }
    if (o.cmd == CMD_HELP) {
        opts_usage(stdout, models_count(), count_available());
        return 0;
    }
    spawn_install_signals();
    if (o.cmd == CMD_LIST)
        return list_command(o.csv);
    if (o.cmd == CMD_REPORT)
        return report_generate(o.report_dir);
    if (o.cmd == CMD_COMPARE)
        return compare_command(o.compare_a, o.compare_b, o.out);
    int n = models_select(o.models, models, PLAN_MAX_MODELS, err, sizeof err);
    if (n < 0 || (o.cmd == CMD_RUN && run_preflight(&o, err, sizeof err))) {
        fprintf(stderr, "harness: %s\n", err);
        return EXIT_USAGE;
    }
    if (o.cmd == CMD_VERIFY)
        return verify_command(&o, models, n);
    return run_with_hosts(&o, models, n);
}
