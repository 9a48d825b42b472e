/* loadgen's command line. Every error is one line on stderr naming the
 * option, and exit status 2 (the caller returns it). */
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "loadgen.h"

#define LG_DEFAULT_TIMEOUT_MS 5000
#define LG_START_AT_SLACK_NS 1000000000ll  /* --start-at may be this far in the past */

static void opts_usage(FILE *f)
{
    fprintf(f,
        "usage: loadgen --rate R --conns C --duration S [options] http://HOST:PORT/PATH\n"
        "       loadgen --closed --conns C --duration S [options] URL\n"
        "Open-loop HTTP/1.1 load: request k of connection i is due at\n"
        "t0 + phase_i + k*C/R; latency counts from the due time (corrected) and\n"
        "from the send (uncorrected). Last line: key=value results.\n"
        "  --rate R         offered load, requests/s over all connections (required\n"
        "                   unless --closed)\n"
        "  --closed         closed loop: send when the previous answer is back\n"
        "  --conns C        keep-alive connections, 1..%d\n"
        "  --duration S     measured seconds (> 0)\n"
        "  --warmup S       seconds of the same schedule before, not recorded [0]\n"
        "  --threads T      event-loop threads, connections dealt round-robin [1]\n"
        "  --cpus LIST      pin to these CPUs, e.g. 1 or 0-3,6 [not pinned]\n"
        "  --start-at NS    t0 as CLOCK_REALTIME ns since the epoch [once connected]\n"
        "  --pipeline P     requests in flight per connection at most, 1..%d [1]\n"
        "  --timeout MS     unanswered this long after its send: err_timeout [%d]\n"
        "  --seed N         seed of the random phases [1]\n"
        "  --header LINE    add a request header, e.g. 'Connection: close' (repeatable)\n"
        "  --urls FILE      request these paths (one per line) in turn instead of the\n"
        "                   URL's, connection i from line i*N/C on; the URL's path must\n"
        "                   then be /\n"
        "  --histograms     print the corrected, uncorrected and lag histograms\n"
        "  --help, --version\n"
        "Exit: 0 done, 1 cannot resolve or connect, 2 bad option.\n",
        LG_MAX_CONNS, LG_MAX_PIPELINE, LG_DEFAULT_TIMEOUT_MS);
}

static int opts_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("loadgen: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs(" (see loadgen --help)\n", stderr);
    va_end(ap);
    return 2;
}

/* A finite decimal in [lo, hi]; -1 otherwise. */
static int opts_number(const char *s, double lo, double hi, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !isfinite(v) || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int opts_unsigned(const char *s, unsigned long long lo, unsigned long long hi,
                         unsigned long long *out)
{
    char *end;
    if (*s < '0' || *s > '9')
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* "1", "0-3,6" into a CPU set; -1 if malformed. */
static int opts_cpus(const char *s, cpu_set_t *set)
{
    CPU_ZERO(set);
    while (*s) {
        char *end;
        if (*s < '0' || *s > '9')
            return -1;
        unsigned long lo = strtoul(s, &end, 10), hi = lo;
        if (*end == '-') {
            if (end[1] < '0' || end[1] > '9')
                return -1;
            hi = strtoul(end + 1, &end, 10);
        }
        if (hi < lo || hi >= CPU_SETSIZE || (*end && *end != ','))
            return -1;
        for (unsigned long c = lo; c <= hi; c++)
            CPU_SET(c, set);
        s = *end ? end + 1 : end;
        if (*end == ',' && !*s)
            return -1;
    }
    return CPU_COUNT(set) ? 0 : -1;
}

/* http://HOST[:PORT][/PATH]; HOST may be [v6]. Returns a reason or NULL. */
static const char *opts_url(struct lg_opts *o, const char *url)
{
    if (strncasecmp(url, "http://", 7) != 0)
        return "only http:// URLs";
    const char *h = url + 7, *end;
    o->authority = h;
    if (*h == '[') {
        end = strchr(h, ']');
        if (!end)
            return "unclosed [";
        h++;
    } else {
        end = h + strcspn(h, ":/?#");
    }
    if (end == h || (size_t)(end - h) >= sizeof o->host)
        return "no host";
    memcpy(o->host, h, (size_t)(end - h));
    o->host[end - h] = '\0';
    const char *p = *end == ']' ? end + 1 : end;
    strcpy(o->port, "80");
    if (*p == ':') {
        unsigned long long port;
        size_t n = strcspn(p + 1, "/?#");
        char num[8] = "";
        if (n == 0 || n >= sizeof num)
            return "bad port";
        memcpy(num, p + 1, n);
        if (opts_unsigned(num, 1, 65535, &port))
            return "bad port";
        snprintf(o->port, sizeof o->port, "%llu", port);
        p += 1 + n;
    }
    o->authority_len = (size_t)(p - o->authority);
    if (*p != '\0' && *p != '/')
        return "the path must start with /";
    o->path = *p ? p : "/";
    if (strpbrk(o->path, " \t\r\n#"))
        return "bad character in the path";
    return NULL;
}

/* The options' checks that need more than one option, or the clock. */
static int opts_check(struct lg_opts *o, bool have_rate)
{
    if (!o->closed && !have_rate)
        return opts_fail("--rate R is required (or --closed)");
    if (o->closed && have_rate)
        return opts_fail("--rate and --closed exclude each other");
    if (o->conns == 0)
        return opts_fail("--conns C is required");
    if (o->duration_s <= 0)
        return opts_fail("--duration S is required");
    if (o->urls && strcmp(o->path, "/") != 0)
        return opts_fail("--urls: the URL names the server only; its path must be /, "
                         "not %s", o->path);
    if (o->threads > o->conns)
        return opts_fail("--threads %u is more than --conns %u", o->threads, o->conns);
    if (o->start_at_ns) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
        if (o->start_at_ns < now - LG_START_AT_SLACK_NS)
            return opts_fail("--start-at %lld is %.1f s in the past",
                             (long long)o->start_at_ns,
                             (double)(now - o->start_at_ns) / 1e9);
    }
    return 0;
}

/* One option's value into o; 0 ok, 2 after printing the error. */
static int opts_one(struct lg_opts *o, int opt, const char *name, const char *v)
{
    unsigned long long u;
    const char *why;
    switch (opt) {
    case 'r': if (opts_number(v, 1e-9, 1e9, &o->rate)) goto bad; return 0;
    case 'd': if (opts_number(v, 1e-3, 1e6, &o->duration_s)) goto bad; return 0;
    case 'w': if (opts_number(v, 0, 1e6, &o->warmup_s)) goto bad; return 0;
    case 'c': if (opts_unsigned(v, 1, LG_MAX_CONNS, &u)) goto bad; o->conns = (unsigned)u; return 0;
    case 't': if (opts_unsigned(v, 1, LG_MAX_THREADS, &u)) goto bad; o->threads = (unsigned)u; return 0;
    case 'P': if (opts_unsigned(v, 1, LG_MAX_PIPELINE, &u)) goto bad; o->pipeline = (unsigned)u; return 0;
    case 'T': if (opts_unsigned(v, 1, 3600000, &u)) goto bad; o->timeout_ns = u * 1000000; return 0;
    case 's': if (opts_unsigned(v, 0, UINT64_MAX, &u)) goto bad; o->seed = u; return 0;
    case 'S': if (opts_unsigned(v, 1, INT64_MAX, &u)) goto bad; o->start_at_ns = (int64_t)u; return 0;
    case 'C': if (opts_cpus(v, &o->cpus)) goto bad; o->pin = true; return 0;
    case 'H':
        if (o->n_headers == LG_MAX_HEADERS || !strchr(v, ':') || strpbrk(v, "\r\n") || *v == ':')
            goto bad;
        o->headers[o->n_headers++] = v;
        return 0;
    case 'U':
        if (!*v)
            goto bad;
        o->urls = v;
        return 0;
    case 'u':
        if ((why = opts_url(o, v)))
            return opts_fail("bad URL '%s': %s", v, why);
        o->url = v;
        return 0;
    }
bad:
    return opts_fail("bad value for --%s: '%s'", name, v);
}

int lg_opts_parse(struct lg_opts *o, int argc, char **argv, bool *done)
{
    static const struct option longopts[] = {
        {"rate", required_argument, 0, 'r'}, {"closed", no_argument, 0, 'L'},
        {"conns", required_argument, 0, 'c'}, {"duration", required_argument, 0, 'd'},
        {"warmup", required_argument, 0, 'w'}, {"threads", required_argument, 0, 't'},
        {"cpus", required_argument, 0, 'C'}, {"start-at", required_argument, 0, 'S'},
        {"pipeline", required_argument, 0, 'P'}, {"timeout", required_argument, 0, 'T'},
        {"seed", required_argument, 0, 's'}, {"header", required_argument, 0, 'H'},
        {"histograms", no_argument, 0, 'G'}, {"urls", required_argument, 0, 'U'}, {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'}, {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    o->threads = 1;
    o->pipeline = 1;
    o->seed = 1;
    o->timeout_ns = LG_DEFAULT_TIMEOUT_MS * 1000000ull;
    *done = false;
    bool have_rate = false;
    int opt, idx, rc;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":", longopts, &idx)) != -1) {
        switch (opt) {
        case 'L': o->closed = true; break;
        case 'G': o->histograms = true; break;
        case 'h': opts_usage(stdout); *done = true; return 0;
        case 'V': printf("loadgen %s\n", LG_VERSION); *done = true; return 0;
        case ':': return opts_fail("option %s needs a value", argv[optind - 1]);
        case '?': return opts_fail("unknown option '%s'", argv[optind - 1]);
        default:
            if ((rc = opts_one(o, opt, longopts[idx].name, optarg)))
                return rc;
            have_rate |= opt == 'r';
        }
    }
    if (optind != argc - 1)
        return opts_fail(optind == argc ? "a URL is required" : "one URL only");
    if ((rc = opts_one(o, 'u', "url", argv[optind])))
        return rc;
    return opts_check(o, have_rate);
}
