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
 *                       none-sustained; in the order raised. Read back, a
 *                       word not listed here is kept in the note
 *   status              ok | failed | crashed | skipped
 *   note                what happened, in words */
#include "results/csv.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

/* The words of the enums of csv.h, indexed by value: results.csv,
 * summary.csv and the pages use these and nothing else. */
static const char *const kind_words[] = {
    [ROW_KIND_LOAD] = "load", [ROW_KIND_MEMORY] = "memory", [ROW_KIND_MSR] = "msr",
};
static const char *const mode_words[] = {
    [ROW_MODE_CLOSED] = "closed", [ROW_MODE_OPEN] = "open",
};
static const char *const step_words[] = {
    [ROW_STEP_NONE] = "", [ROW_STEP_RATE] = "rate", [ROW_STEP_EQUAL] = "equal",
    [ROW_STEP_SEARCH] = "search", [ROW_STEP_CAP50] = "cap50", [ROW_STEP_CAP80] = "cap80",
    [ROW_STEP_SLOW] = "slow",
};
static const char *const status_words[] = {
    [ROW_STATUS_OK] = "ok", [ROW_STATUS_SKIPPED] = "skipped",
    [ROW_STATUS_FAILED] = "failed", [ROW_STATUS_CRASHED] = "crashed",
};
static const char *const flag_words[] = {
    [ROW_FLAG_CLIENT_BOUND] = "client-bound", [ROW_FLAG_STARVED] = "starved",
    [ROW_FLAG_ERRORS] = "errors", [ROW_FLAG_REFUSED] = "refused",
    [ROW_FLAG_COUNT_MISMATCH] = "count-mismatch",
    [ROW_FLAG_STOPPED_ANSWERING] = "stopped-answering",
    [ROW_FLAG_RESTARTED] = "restarted", [ROW_FLAG_UNSUSTAINED] = "unsustained",
    [ROW_FLAG_SLO_MISSED] = "slo-missed", [ROW_FLAG_NONE_SUSTAINED] = "none-sustained",
    [ROW_FLAG_LOWER_BOUND] = "lower-bound", [ROW_FLAG_HOSTS_UNEVEN] = "hosts-uneven",
    [ROW_FLAG_IDLE_PARTIAL] = "idle-partial", [ROW_FLAG_STEAL] = "steal",
    [ROW_FLAG_NOISY] = "noisy", [ROW_FLAG_HIGH_CV] = "high-cv",
};
#define NWORDS(w) ((int)(sizeof w / sizeof w[0]))
_Static_assert(NWORDS(flag_words) == ROW_FLAG_COUNT, "a word for every flag");
_Static_assert(ROW_FLAG_COUNT <= 32, "flags fit struct row_flags.set");
/* The enum columns are read and written as int (set_field, write_field). */
_Static_assert(sizeof(enum row_kind) == sizeof(int) && sizeof(enum row_mode) == sizeof(int),
               "enum columns are int-sized");
_Static_assert(sizeof(enum row_step) == sizeof(int) && sizeof(enum row_status) == sizeof(int),
               "enum columns are int-sized");

enum col_type { COL_STR, COL_NUM, COL_ENUM, COL_FLAGS };

struct column {
    const char *name;
    enum col_type type;
    size_t offset, size;       /* size: strings only */
    int decimals;
    const char *const *words;  /* COL_ENUM: the words of its values */
    int n_words;
};

#define STR(f) \
    {#f, COL_STR, offsetof(struct row, f), sizeof(((struct row *)0)->f), 0, NULL, 0}
#define NUM(f, d) {#f, COL_NUM, offsetof(struct row, f), 0, d, NULL, 0}
#define ENUM(f, w) {#f, COL_ENUM, offsetof(struct row, f), 0, 0, w, NWORDS(w)}

static const struct column columns[] = {
    STR(model), STR(category), STR(workload), NUM(round, 0), ENUM(kind, kind_words),
    ENUM(mode, mode_words), ENUM(step, step_words), STR(host),
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
    {"flags", COL_FLAGS, offsetof(struct row, flags), 0, 0, NULL, 0},
    ENUM(status, status_words), STR(note),
};
#define NCOLS ((int)(sizeof columns / sizeof columns[0]))

const char *const *csv_columns(void)
{
    static const char *names[NCOLS + 1];
    for (int i = 0; i < NCOLS; i++)
        names[i] = columns[i].name;
    return names;
}

static const char *word(const char *const *words, int n, int v)
{
    return v >= 0 && v < n ? words[v] : "?";
}

const char *row_kind_name(enum row_kind k)
{
    return word(kind_words, NWORDS(kind_words), (int)k);
}

const char *row_mode_name(enum row_mode m)
{
    return word(mode_words, NWORDS(mode_words), (int)m);
}

const char *row_step_name(enum row_step s)
{
    return word(step_words, NWORDS(step_words), (int)s);
}

const char *row_status_name(enum row_status s)
{
    return word(status_words, NWORDS(status_words), (int)s);
}

const char *row_flag_name(enum row_flag f)
{
    return word(flag_words, NWORDS(flag_words), (int)f);
}

void row_init(struct row *r)
{
    memset(r, 0, sizeof *r);
    for (int i = 0; i < NCOLS; i++)
        if (columns[i].type == COL_NUM)
            *(double *)((char *)r + columns[i].offset) = -1;
    r->kind = ROW_KIND_LOAD;
    r->mode = ROW_MODE_CLOSED;
    r->step = ROW_STEP_NONE;
    r->status = ROW_STATUS_OK;
}

bool row_has_flag(const struct row *r, enum row_flag f)
{
    return r->flags.set >> f & 1;
}

void row_flag(struct row *r, enum row_flag f)
{
    if (row_has_flag(r, f))
        return;
    r->flags.set |= UINT32_C(1) << f;
    r->flags.order[r->flags.n++] = (unsigned char)f;
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
    return r->status == ROW_STATUS_OK && r->requests > 0 &&
           r->achieved_rps >= ROW_ACHIEVED * r->offered_rps &&
           !row_has_flag(r, ROW_FLAG_SLO_MISSED) && row_errors(r) == 0;
}

bool row_disturbed(const struct row *r)
{
    return row_has_flag(r, ROW_FLAG_STEAL) || row_has_flag(r, ROW_FLAG_NOISY);
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

int csv_write_flags(FILE *f, const struct row *r)
{
    for (int i = 0; i < r->flags.n; i++)
        if (fprintf(f, "%s%s", i ? ";" : "", row_flag_name(r->flags.order[i])) < 0)
            return -1;
    return 0;
}

static int write_field(FILE *f, const struct row *r, const struct column *c)
{
    const char *p = (const char *)r + c->offset;
    double v;
    int e;
    switch (c->type) {
    case COL_STR:
        return csv_write_str(f, p);
    case COL_ENUM:
        memcpy(&e, p, sizeof e);
        return csv_write_str(f, word(c->words, c->n_words, e));
    case COL_FLAGS:
        return csv_write_flags(f, r);
    case COL_NUM:
        break;
    }
    memcpy(&v, p, sizeof v); /* read a number only where one is stored */
    return v >= 0 && fprintf(f, "%.*f", c->decimals, v) < 0 ? -1 : 0;
}

int csv_write_row(FILE *f, const struct row *r)
{
    for (int i = 0; i < NCOLS; i++)
        if ((i && fputc(',', f) == EOF) || write_field(f, r, &columns[i]) < 0)
            return -1;
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

/* One field into r; -1 for a word that is none of its enum's. */
static int set_field(struct row *r, const struct column *c, const char *v)
{
    char *p = (char *)r + c->offset;
    switch (c->type) {
    case COL_STR:
        snprintf(p, c->size, "%s", v);
        return 0;
    case COL_NUM:
        *(double *)p = *v ? strtod(v, NULL) : -1;
        return 0;
    case COL_ENUM:
        for (int e = 0; e < c->n_words; e++)
            if (strcmp(c->words[e], v) == 0) {
                memcpy(p, &e, sizeof e);
                return 0;
            }
        return -1;
    case COL_FLAGS:
        break;
    }
    return 0;
}

/* "client-bound;noisy" into r's flags. A word no flag has (a results.csv
 * of another version) is kept in the note, so that nothing read is lost. */
static void read_flags(struct row *r, char *text)
{
    char *save = NULL;
    for (char *w = strtok_r(text, ";", &save); w; w = strtok_r(NULL, ";", &save)) {
        int f = 0;
        while (f < ROW_FLAG_COUNT && strcmp(flag_words[f], w))
            f++;
        if (f < ROW_FLAG_COUNT)
            row_flag(r, (enum row_flag)f);
        else
            row_note(r, "unknown flag %s", w);
    }
}

/* One record into r, its columns by map (-1: a column not ours); -1 with
 * err for a kind, mode, step or status that is none of ours. */
static int read_record(struct row *r, char *rec, const int *map, int nh, char *err,
                       size_t errlen)
{
    char *fields[NCOLS + 8], *flags = NULL;
    int nf = csv_split(rec, fields, NCOLS + 8);
    row_init(r);
    for (int i = 0; i < nf && i < nh; i++) {
        const struct column *c = map[i] >= 0 ? &columns[map[i]] : NULL;
        if (c && c->type == COL_FLAGS)
            flags = fields[i]; /* read last: an unknown one extends the note */
        else if (c && set_field(r, c, fields[i])) {
            snprintf(err, errlen, "unknown %s \"%.40s\"", c->name, fields[i]);
            return -1;
        }
    }
    if (flags)
        read_flags(r, flags);
    return 0;
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

/* The header: map[i] is the column of field i, or -1. Returns the count. */
static int read_header(char **cursor, int *map)
{
    char *fields[NCOLS + 8], *head = next_record(cursor);
    int nh = head ? csv_split(head, fields, NCOLS + 8) : 0;
    for (int i = 0; i < nh; i++) {
        map[i] = -1;
        for (int c = 0; c < NCOLS; c++)
            if (strcmp(fields[i], columns[c].name) == 0)
                map[i] = c;
    }
    return nh;
}

static int read_rows(char *cursor, const int *map, int nh, struct row **rows, size_t *n,
                     char *err, size_t errlen)
{
    char why[128];
    size_t cap = 0;
    for (char *rec; (rec = next_record(&cursor));) {
        if (!*rec)
            continue;
        if (*n == cap) {
            struct row *nr = realloc(*rows, (cap = cap ? cap * 2 : 64) * sizeof *nr);
            if (!nr) {
                snprintf(err, errlen, "out of memory");
                return -1;
            }
            *rows = nr;
        }
        if (read_record(&(*rows)[(*n)++], rec, map, nh, why, sizeof why)) {
            snprintf(err, errlen, "row %zu: %s", *n, why);
            return -1;
        }
    }
    return 0;
}

int csv_read(const char *path, struct row **rows, size_t *n, char *err, size_t errlen)
{
    char *text, *cursor, why[256];
    int map[NCOLS + 8];
    if (util_read_file(path, &text, NULL, err, errlen))
        return -1;
    cursor = text;
    int nh = read_header(&cursor, map), rc = 0;
    *rows = NULL;
    *n = 0;
    if (nh < 2) {
        snprintf(err, errlen, "%s: no CSV header", path);
        rc = -1;
    } else if (read_rows(cursor, map, nh, rows, n, why, sizeof why)) {
        snprintf(err, errlen, "read %s: %s", path, why);
        free(*rows);
        *rows = NULL;
        *n = 0;
        rc = -1;
    }
    free(text);
    return rc;
}
