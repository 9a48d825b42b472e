/* harness report: results.csv -> summary.csv, plots, report.html and
 * summary.md (see generate.h): the top of the report stage, which loads
 * (load.c) and then drives each writer in turn. */
#include "report/generate.h"

#include <limits.h>
#include <stdio.h>

#include "report/html.h"
#include "report/markdown.h"
#include "report/plot.h"
#include "report/report.h"
#include "report/verdict.h"
#include "report/warn.h"
#include "results/stats.h"

int report_generate(const char *dir)
{
    static struct report r;
    char path[PATH_MAX], err[512];
    int rc = 0;
    if (report_load(&r, dir, err, sizeof err)) {
        fprintf(stderr, "harness: report: %s\n", err);
        return 1;
    }
    if (warn_collect(&r)) {
        fprintf(stderr, "harness: report: out of memory\n");
        rc = 1;
    }
    verdict_build(&r);
    snprintf(path, sizeof path, "%s/summary.csv", dir);
    if (stats_write_summary(&r.points, path, err, sizeof err) ||
        plot_all(dir, &r.points, &r.plots, err, sizeof err)) {
        fprintf(stderr, "harness: report: %s\n", err);
        rc = 1;
    }
    snprintf(path, sizeof path, "%s/report.html", dir);
    if (html_write(&r, path, err, sizeof err)) {
        fprintf(stderr, "harness: report: %s\n", err);
        rc = 1;
    }
    snprintf(path, sizeof path, "%s/summary.md", dir);
    if (markdown_write(&r, path, err, sizeof err)) {
        fprintf(stderr, "harness: report: %s\n", err);
        rc = 1;
    }
    warn_free(&r);
    report_free(&r);
    return rc;
}
