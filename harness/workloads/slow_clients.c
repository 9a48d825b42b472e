/* --workload slow-clients: many connections, each offering a few req/s
 * (--slow-conns, --slow-rate); its steps are slow_steps.c's. */
#include "workloads/workloads.h"

#include <stdio.h>
#include <string.h>

#include "base/util.h"
#include "report/html.h"
#include "report/markdown.h"

static const char *const options[] = {"slow-conns", "slow-rate", NULL};

static int arg(struct opts *o, const char *name, const char *a, char *err, size_t errlen)
{
    if (strcmp(name, "slow-rate") == 0)
        return opts_double_arg(name, a, 0.01, 1000, &o->slow_rate, err, errlen);
    o->n_slow = opts_parse_list(a, o->slow_conns, OPTS_MAX_LIST, 1, OPTS_MAX_CONNS);
    if (o->n_slow > 0)
        return 0;
    snprintf(err, errlen, "--slow-conns %s: expected up to %d counts from 1 to %d, "
             "comma-separated", a, OPTS_MAX_LIST, OPTS_MAX_CONNS);
    return -1;
}

/* Concurrency from the number of clients: no saturating closed loop and no
 * rate search unless asked for. */
static void defaults(struct opts *o, bool chosen)
{
    if (o->slow_rate <= 0)
        o->slow_rate = OPTS_DEFAULT_SLOW_RATE;
    if (!chosen)
        return;
    if (o->n_slow == 0)
        o->n_slow = opts_parse_list(o->quick ? OPTS_QUICK_SLOW_CONNS : OPTS_DEFAULT_SLOW_CONNS,
                                    o->slow_conns, OPTS_MAX_LIST, 1, OPTS_MAX_CONNS);
    if (!o->conns_given) {
        o->conns_given = true;
        o->n_conns = 0;
    }
    if (!o->rates_given)
        o->rates_mode = RATES_NONE;
}

static void usage(FILE *f)
{
    fprintf(f,
"  --slow-conns LIST    slow-clients: connection counts, each a step [%s;\n"
"                       quick %s; steps beyond the descriptor limit are skipped]\n"
"  --slow-rate R        slow-clients: req/s each connection offers [%g]\n",
            OPTS_DEFAULT_SLOW_CONNS, OPTS_QUICK_SLOW_CONNS, OPTS_DEFAULT_SLOW_RATE);
}

static void describe(struct workload *w, const struct opts *o)
{
    char rate[32], extra[96];
    util_format_rate(o->slow_rate, rate, sizeof rate);
    snprintf(extra, sizeof extra, "; many slow clients, each offering %s req/s", rate);
    file_workload_describe(w, extra);
}

const struct workload_ops workload_slow_clients = {
    .name = "slow-clients",
    .help = "slow-clients: many connections each offering a few req/s\n"
            "(--slow-conns, --slow-rate), no closed loop or rate search\n"
            "unless asked for",
    .options = options,
    .arg = arg,
    .defaults = defaults,
    .usage = usage,
    .serves_path = true,
    .prepare = file_workload_prepare,
    .describe = describe,
    .steps = slow_measure,
    .not_measured = slow_not_measured,
    .fds_needed = slow_fds_needed,
    .html_section = html_slow,
    .markdown_section = markdown_slow,
};
