/* summary.md: the headline table in Markdown (see report.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "report.h"
#include "util.h"

static void cell(FILE *f, double v, const char *fmt)
{
    if (v < 0)
        fprintf(f, " - |");
    else {
        fputc(' ', f);
        fprintf(f, fmt, v);
        fprintf(f, " |");
    }
}

static void rate_cell(FILE *f, double v)
{
    char s[32];
    if (v < 0) {
        fprintf(f, " - |");
        return;
    }
    util_format_rate(v, s, sizeof s);
    fprintf(f, " %s |", s);
}

static void header(FILE *f, const struct report *r)
{
    fprintf(f, "| model | category | best req/s |");
    for (int l = 0; l < r->n_levels; l++)
        fprintf(f, " req/s c=%d |", r->levels[l]);
    for (int l = 0; l < r->n_levels; l++)
        fprintf(f, " p99 ms c=%d |", r->levels[l]);
    for (int l = 0; l < r->n_levels; l++)
        fprintf(f, " req/CPU-s c=%d |", r->levels[l]);
    fprintf(f, " vs nginx | KiB/idle conn | status |\n|---|---|---:|");
    for (int l = 0; l < 3 * r->n_levels; l++)
        fprintf(f, "---:|");
    fprintf(f, "---:|---:|---|\n");
}

static void count_warning(void *ctx, const char *kind, const char *text)
{
    (void)kind;
    (void)text;
    (*(int *)ctx)++;
}

static void meta_value(const char *meta, const char *key, char *out, size_t outlen)
{
    char pat[64];
    snprintf(out, outlen, "?");
    snprintf(pat, sizeof pat, "\n%s: ", key);
    const char *p = meta ? strstr(meta, pat) : NULL;
    if (p)
        snprintf(out, outlen, "%.*s", (int)strcspn(p + strlen(pat), "\n"), p + strlen(pat));
}

int markdown_write(const struct report *r, const char *path, char *err, size_t errlen)
{
    char date[64], cpu[128], kernel[128];
    int warnings = 0;
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, errlen, "open %s: %s", path, strerror(errno));
        return -1;
    }
    meta_value(r->meta, "cpu", cpu, sizeof cpu);
    meta_value(r->meta, "kernel", kernel, sizeof kernel);
    snprintf(date, sizeof date, "%.19s", r->meta && strncmp(r->meta, "date: ", 6) == 0
                                             ? r->meta + 6 : "?");
    report_warnings(r, count_warning, &warnings);
    fprintf(f, "# c10k-lab results, %s\n\n%s, %s. Medians over the rounds; "
               "req/s and p99 from wrk, req/CPU-s = responses per second of server "
               "CPU (process tree, /proc). \"vs nginx\" = req/CPU-s relative to nginx "
               "(geometric mean over the levels shown). KiB/idle conn = server RSS "
               "growth per idle keep-alive connection. calibration and reference rows"
               " are not models.\n\n", date, cpu, kernel);
    header(f, r);
    for (int i = 0; i < r->n_head; i++) {
        const struct report_headline *h = &r->head[i];
        bool ref = strcmp(h->category, "reference") == 0 ||
                   strcmp(h->category, "calibration") == 0;
        fprintf(f, "| %s%s%s | %s |", ref ? "*" : "**", h->model, ref ? "*" : "**",
                h->category);
        if (h->best_rps < 0)
            fprintf(f, " - |");
        else {
            char s[32];
            util_format_rate(h->best_rps, s, sizeof s);
            fprintf(f, " %s (c=%d) |", s, h->best_conns);
        }
        for (int l = 0; l < r->n_levels; l++)
            rate_cell(f, h->rps[l]);
        for (int l = 0; l < r->n_levels; l++)
            cell(f, h->p99_ms[l], "%.2f");
        for (int l = 0; l < r->n_levels; l++)
            rate_cell(f, h->eff[l]);
        cell(f, h->vs_nginx, "%.2f");
        cell(f, h->mem_per_conn_kib, "%.1f");
        fprintf(f, " %s |\n", h->status);
    }
    fprintf(f, "\n%d warning%s (client-bound levels, failures, errors, noise, "
               "spread): see report.html.\n", warnings, warnings == 1 ? "" : "s");
    if (ferror(f) | fclose(f)) {
        snprintf(err, errlen, "write %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}
