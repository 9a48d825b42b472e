/* results.csv writer and reader (see csv.h). The columns, their order,
 * units and meanings are columns.def's; this file turns that table into
 * the writer's and reader's (columns[]). */
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
    [ROW_STEP_SLOW] = "slow", [ROW_STEP_ALONE] = "alone",
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
    [ROW_FLAG_INCONSISTENT] = "inconsistent",
};
#define NWORDS(w) ((int)(sizeof w / sizeof w[0]))
_Static_assert(NWORDS(flag_words) == ROW_FLAG_COUNT, "a word for every flag");
_Static_assert(ROW_FLAG_COUNT <= 32, "flags fit struct row_flags.set");

static const struct column columns[] = {
#define TEXT_COLUMN(n, size, r, text) \
    {#n, COL_STR, offsetof(struct row, n), sizeof(((struct row *)0)->n), 0, NULL, 0, \
     ROUNDS_##r, ""},
#define WORD_COLUMN(n, type, w, r, text) \
    {#n, COL_ENUM, offsetof(struct row, n), 0, 0, w, NWORDS(w), ROUNDS_##r, ""},
#define NUM_COLUMN(n, d, r, unit, text) \
    {#n, COL_NUM, offsetof(struct row, n), 0, d, NULL, 0, ROUNDS_##r, unit},
#define FLAGS_COLUMN(n, text) \
    {#n, COL_FLAGS, offsetof(struct row, n), 0, 0, NULL, 0, ROUNDS_MERGE, ""},
#include "results/columns.def"
#undef TEXT_COLUMN
#undef WORD_COLUMN
#undef NUM_COLUMN
#undef FLAGS_COLUMN
};
#define NCOLS ((int)(sizeof columns / sizeof columns[0]))
_Static_assert(NCOLS == ROW_COLUMNS, "one entry per column of columns.def");
/* Each word column holds an enum stored as an int, with a word per value. */
#define WORD_COLUMN(n, type, w, r, text) \
    _Static_assert(sizeof(enum type) == sizeof(int), #n ": an int-sized enum");
#include "results/columns.def"
#undef WORD_COLUMN
_Static_assert(NWORDS(kind_words) == ROW_KIND_MSR + 1, "a word for every kind");
_Static_assert(NWORDS(mode_words) == ROW_MODE_OPEN + 1, "a word for every mode");
_Static_assert(NWORDS(step_words) == ROW_STEP_COUNT, "a word for every step");
_Static_assert(NWORDS(status_words) == ROW_STATUS_CRASHED + 1, "a word for every status");

const struct column *csv_column(enum row_column i)
{
    return &columns[i];
}

double row_num(const struct row *r, enum row_column c)
{
    double v;
    memcpy(&v, (const char *)r + columns[c].offset, sizeof v);
    return v;
}

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

bool row_generator_limited(const struct row *r)
{
    return row_has_flag(r, ROW_FLAG_CLIENT_BOUND) &&
           r->cli_cpu_pct >= ROW_BUSY_FRACTION * 100.0 * (r->threads > 0 ? r->threads : 1);
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

int csv_write_field(FILE *f, const struct row *r, enum row_column i)
{
    const struct column *c = &columns[i];
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
        if ((i && fputc(',', f) == EOF) || csv_write_field(f, r, (enum row_column)i) < 0)
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
