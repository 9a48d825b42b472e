/* results.csv writer and reader (see csv.h).
 *
 * Columns, in order (units in the name; empty = not measured):
 *   model, category    the model or reference, its category
 *   workload           file (one file, --path), fileset (the generated file
 *                      set through its URL list), fileset-cold (the same,
 *                      disk-bound: the server's memory limited, the set
 *                      dropped from the page cache before each point),
 *                      slow-clients (many connections at a few req/s each)
 *   round              0-based round of --repeat (models rotate per round)
 *   kind               load: a measurement under load; memory: idle
 *                      connections only; msr: the maximum sustainable rate
 *                      found by the open-loop search (offered_rps holds it)
 *   mode               closed: wrk (each connection sends when answered);
 *                      open: loadgen at a fixed offered rate
 *   step               open loop, why this rate: rate (--rates list), equal
 *                      (equal load, the same for every model), search (a step
 *                      of the sustainable-rate search), cap50 / cap80 (50% /
 *                      80% of the model's own sustainable rate), slow (many
 *                      slow clients: conns connections each offering
 *                      offered_rps / conns req/s)
 *   host               empty when the load came from this machine; with
 *                      --load-hosts "all" on the merged row of a point (the
 *                      hosts' histograms merged, their counts summed) and
 *                      the ssh destination on each host's own row
 *   conns              connections of wrk or loadgen; 0 for kind=memory
 *   idle               idle keep-alive connections held open meanwhile
 *   idle_open          how many of those got their response and stayed open
 *   threads, pipeline  load generator threads and requests in flight per
 *                      connection
 *   duration_s         measured duration
 *   requests           responses completed in it
 *   warmup_requests    open loop: responses loadgen completed in its warm-up
 *                      (same process, same rate): the server's counters and
 *                      CPU cover them too
 *   req_per_s          requests / duration_s (open loop: = achieved_rps)
 *   offered_rps        open loop: the rate requests were scheduled at
 *   achieved_rps       open loop: responses completed per second
 *   bytes_per_s
 *   lat_mean_us, lat_stdev_us, lat_p50_us, lat_p90_us, lat_p99_us,
 *   lat_p999_us, lat_p9999_us, lat_max_us
 *                      latency of completed responses; open loop: from the
 *                      time each request was due (corrected for coordinated
 *                      omission); closed loop: wrk's, from the send
 *   lat_p99_uncorrected_us  open loop: p99 from the actual send
 *   lag_p99_us         open loop: p99 of how late loadgen sent requests whose
 *                      connection was free (the generator's own health)
 *   err_connect, err_read, err_write, err_status, err_timeout
 *                      the load generator's error classes (status: not
 *                      2xx/3xx; loadgen's parse errors count as read errors)
 *   backlog            open loop: requests due in the window, unanswered at
 *                      its end
 *   reconnects         open loop: connections the server closed, reopened
 *   srv_user_s, srv_sys_s   server process tree CPU during the measurement,
 *                           reaped children included
 *   srv_cpu_pct, cli_cpu_pct  CPU use of the server tree and of the load
 *                           generator, in % of one CPU (200 = two CPUs busy)
 *   req_per_cpu_s       requests / (srv_user_s + srv_sys_s)
 *   srv_cpu_us_per_req  server CPU microseconds per completed request: the
 *                       fair efficiency figure at equal offered load
 *   cli_cpu_us_per_req  the load generator's CPU microseconds per request
 *   peak_rss_kb         highest sum of RSS over the server tree (sampled)
 *   tasks               highest number of threads of the tree (sampled)
 *   srv_responses       responses the server counted (its counters line
 *                       before and after); empty for nginx, h2o, lighttpd
 *   srv_refused         connections the server refused (e.g. FD_SETSIZE)
 *   mem_per_idle_b      (PSS of the tree with the idle connections - before)
 *                       / idle_open
 *   steal_pct           hypervisor steal on the server and client CPUs, % of
 *                       their time
 *   other_pct           CPU others used there: busy - server - client - harness
 *   disk_read_bytes, disk_read_ops  reads from the docroot's block device
 *                       during the measurement (/proc/diskstats: sectors x
 *                       512, requests completed; every process's, which on a
 *                       quiet machine is the server's); empty where the
 *                       docroot has no block device
 *   flags               ';'-separated: client-bound, starved, steal, noisy,
 *                       errors, refused, count-mismatch, idle-partial,
 *                       stopped-answering, restarted; with load hosts
 *                       hosts-uneven (their achieved rates, per share of the
 *                       load, differ by more than 10%); open loop also
 *                       unsustained (achieved < 99% of offered), slo-missed
 *                       (p99 over --slo-p99), and on msr rows lower-bound
 *                       (the search ended at the generator's limit) and
 *                       none-sustained
 *   status              ok | failed | crashed | skipped
 *   note                what happened, in words */
#include "csv.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

enum col_type { COL_STR, COL_NUM };

struct column {
    const char *name;
    enum col_type type;
    size_t offset, size;  /* size: strings only */
    int decimals;
};

#define STR(f) {#f, COL_STR, offsetof(struct row, f), sizeof(((struct row *)0)->f), 0}
#define NUM(f, d) {#f, COL_NUM, offsetof(struct row, f), 0, d}

static const struct column columns[] = {
    STR(model), STR(category), STR(workload), NUM(round, 0), STR(kind), STR(mode),
    STR(step), STR(host),
    NUM(conns, 0), NUM(idle, 0), NUM(idle_open, 0), NUM(threads, 0),
    NUM(pipeline, 0), NUM(duration_s, 3), NUM(requests, 0), NUM(warmup_requests, 0), NUM(req_per_s, 1),
    NUM(offered_rps, 1), NUM(achieved_rps, 1), NUM(bytes_per_s, 0),
    NUM(lat_mean_us, 1), NUM(lat_stdev_us, 1), NUM(lat_p50_us, 0),
    NUM(lat_p90_us, 0), NUM(lat_p99_us, 0), NUM(lat_p999_us, 0),
    NUM(lat_p9999_us, 0), NUM(lat_max_us, 0), NUM(lat_p99_uncorrected_us, 0),
    NUM(lag_p99_us, 0), NUM(err_connect, 0), NUM(err_read, 0),
    NUM(err_write, 0), NUM(err_status, 0), NUM(err_timeout, 0), NUM(backlog, 0),
    NUM(reconnects, 0), NUM(srv_user_s, 2), NUM(srv_sys_s, 2), NUM(srv_cpu_pct, 1),
    NUM(cli_cpu_pct, 1), NUM(req_per_cpu_s, 0), NUM(srv_cpu_us_per_req, 2),
    NUM(cli_cpu_us_per_req, 2), NUM(peak_rss_kb, 0),
    NUM(tasks, 0), NUM(srv_responses, 0), NUM(srv_refused, 0),
    NUM(mem_per_idle_b, 0), NUM(steal_pct, 1), NUM(other_pct, 1),
    NUM(disk_read_bytes, 0), NUM(disk_read_ops, 0),
    STR(flags), STR(status), STR(note),
};
#define NCOLS ((int)(sizeof columns / sizeof columns[0]))

const char *const *csv_columns(void)
{
    static const char *names[NCOLS + 1];
    for (int i = 0; i < NCOLS; i++)
        names[i] = columns[i].name;
    return names;
}

void row_init(struct row *r)
{
    memset(r, 0, sizeof *r);
    for (int i = 0; i < NCOLS; i++)
        if (columns[i].type == COL_NUM)
            *(double *)((char *)r + columns[i].offset) = -1;
    snprintf(r->kind, sizeof r->kind, "load");
    snprintf(r->mode, sizeof r->mode, "closed");
    snprintf(r->status, sizeof r->status, "ok");
}

int row_has_flag(const struct row *r, const char *flag)
{
    size_t n = strlen(flag);
    for (const char *p = r->flags; (p = strstr(p, flag)); p += n)
        if ((p == r->flags || p[-1] == ';') && (p[n] == ';' || p[n] == '\0'))
            return 1;
    return 0;
}

void row_flag(struct row *r, const char *flag)
{
    size_t len = strlen(r->flags);
    if (row_has_flag(r, flag))
        return;
    snprintf(r->flags + len, sizeof r->flags - len, "%s%s", len ? ";" : "", flag);
}

void row_note(struct row *r, const char *fmt, ...)
{
    size_t len = strlen(r->note);
    va_list ap;
    if (len && len + 2 < sizeof r->note) {
        memcpy(r->note + len, "; ", 3);
        len += 2;
    }
    va_start(ap, fmt);
    vsnprintf(r->note + len, sizeof r->note - len, fmt, ap);
    va_end(ap);
}

double row_errors(const struct row *r)
{
    double v[] = {r->err_connect, r->err_read, r->err_write, r->err_status,
                  r->err_timeout};
    double sum = 0;
    for (int i = 0; i < 5; i++)
        sum += v[i] > 0 ? v[i] : 0;
    return sum;
}

bool row_sustained(const struct row *r)
{
    return strcmp(r->status, "ok") == 0 && r->requests > 0 &&
           r->achieved_rps >= ROW_ACHIEVED * r->offered_rps &&
           !row_has_flag(r, "slo-missed") && row_errors(r) == 0;
}

int csv_write_str(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\n\r"))
        return fputs(s, f) < 0 ? -1 : 0;
    if (fputc('"', f) == EOF)
        return -1;
    for (; *s; s++)
        if ((*s == '"' && fputc('"', f) == EOF) || fputc(*s, f) == EOF)
            return -1;
    return fputc('"', f) == EOF ? -1 : 0;
}

int csv_write_header(FILE *f)
{
    for (int i = 0; i < NCOLS; i++)
        if (fprintf(f, "%s%s", i ? "," : "", columns[i].name) < 0)
            return -1;
    return fputc('\n', f) == EOF ? -1 : 0;
}

int csv_write_row(FILE *f, const struct row *r)
{
    for (int i = 0; i < NCOLS; i++) {
        const char *p = (const char *)r + columns[i].offset;
        if (i && fputc(',', f) == EOF)
            return -1;
        if (columns[i].type == COL_STR) {
            if (csv_write_str(f, p) < 0)
                return -1;
            continue;
        }
        double v;
        memcpy(&v, p, sizeof v); /* read a number only where one is stored */
        if (v >= 0 && fprintf(f, "%.*f", columns[i].decimals, v) < 0)
            return -1;
    }
    return fputc('\n', f) == EOF || fflush(f) ? -1 : 0;
}

int csv_split(char *line, char **fields, int max)
{
    int n = 0;
    char *p = line;
    for (;;) {
        char *out = p, *start = p;
        if (*p == '"') {
            for (p++; *p && !(*p == '"' && p[1] != '"'); p++)
                *out++ = *p == '"' ? *++p : *p; /* "" -> " */
            if (*p == '"')
                p++;
        } else {
            while (*p && *p != ',' && *p != '\n' && *p != '\r')
                *out++ = *p++;
        }
        char sep = *p;
        *out = '\0';
        if (n < max)
            fields[n++] = start;
        if (sep != ',')
            return n;
        p++;
    }
}

static void set_field(struct row *r, const struct column *c, const char *v)
{
    char *p = (char *)r + c->offset;
    if (c->type == COL_STR)
        snprintf(p, c->size, "%s", v);
    else
        *(double *)p = *v ? strtod(v, NULL) : -1;
}

/* Next CSV record of text (quoted fields may hold newlines). */
static char *next_record(char **text)
{
    char *start = *text, *p = start;
    int quoted = 0;
    if (!*p)
        return NULL;
    for (; *p && (quoted || *p != '\n'); p++)
        if (*p == '"')
            quoted = !quoted;
    if (*p)
        *p++ = '\0';
    *text = p;
    return start;
}

int csv_read(const char *path, struct row **rows, size_t *n, char *err, size_t errlen)
{
    char *text, *cursor, *fields[NCOLS + 8];
    int map[NCOLS + 8];
    if (util_read_file(path, &text, NULL, err, errlen))
        return -1;
    cursor = text;
    char *head = next_record(&cursor);
    int nh = head ? csv_split(head, fields, NCOLS + 8) : 0;
    for (int i = 0; i < nh; i++) {
        map[i] = -1;
        for (int c = 0; c < NCOLS; c++)
            if (strcmp(fields[i], columns[c].name) == 0)
                map[i] = c;
    }
    *rows = NULL;
    *n = 0;
    size_t cap = 0;
    for (char *rec; (rec = next_record(&cursor));) {
        if (!*rec)
            continue;
        if (*n == cap) {
            struct row *nr = realloc(*rows, (cap = cap ? cap * 2 : 64) * sizeof *nr);
            if (!nr) {
                snprintf(err, errlen, "read %s: out of memory", path);
                free(text);
                return -1;
            }
            *rows = nr;
        }
        struct row *r = &(*rows)[(*n)++];
        row_init(r);
        int nf = csv_split(rec, fields, NCOLS + 8);
        for (int i = 0; i < nf && i < nh; i++)
            if (map[i] >= 0)
                set_field(r, &columns[map[i]], fields[i]);
    }
    free(text);
    if (nh < 2) {
        snprintf(err, errlen, "%s: no CSV header", path);
        return -1;
    }
    return 0;
}
