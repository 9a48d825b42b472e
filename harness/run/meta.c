/* meta.txt (see meta.h). */
#include "run/meta.h"
#include "hosts/hosts.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "base/cgroup.h"
#include "base/spawn.h"
#include "workload/workload.h"

#ifndef C10K_BUILD_ROOT
#define C10K_BUILD_ROOT "build"
#endif
#ifndef C10K_SOURCE_ROOT
#define C10K_SOURCE_ROOT "."
#endif

/* First line a command prints (stdout and stderr), or "not available". */
static void first_line(const char *cmd, char *out, size_t outlen)
{
    char full[512];
    snprintf(full, sizeof full, "%s 2>&1 </dev/null", cmd);
    snprintf(out, outlen, "not available");
    FILE *p = popen(full, "r");
    if (!p)
        return;
    if (fgets(out, (int)outlen, p))
        out[strcspn(out, "\n")] = '\0';
    if (pclose(p) == -1 || !out[0])
        snprintf(out, outlen, "not available");
}

static void cpu_model(char *out, size_t outlen)
{
    char line[512];
    FILE *f = fopen("/proc/cpuinfo", "r");
    snprintf(out, outlen, "unknown");
    while (f && fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        if (strncmp(line, "model name", 10) == 0 && colon) {
            snprintf(out, outlen, "%s", colon + 2);
            out[strcspn(out, "\n")] = '\0';
            break;
        }
    }
    if (f)
        fclose(f);
}

static void sysctl(FILE *f, const char *key, const char *path)
{
    char v[128] = "unknown";
    FILE *s = fopen(path, "r");
    if (s) {
        if (!fgets(v, sizeof v, s))
            snprintf(v, sizeof v, "unknown");
        fclose(s);
    }
    v[strcspn(v, "\n")] = '\0';
    fprintf(f, "%s: %s\n", key, v);
}

static void write_machine(FILE *f)
{
    char cpu[256], host[256] = "unknown", date[64];
    struct utsname u;
    struct sysinfo si;
    cpu_set_t usable;
    time_t now = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S %z", localtime(&now));
    gethostname(host, sizeof host);
    cpu_model(cpu, sizeof cpu);
    fprintf(f, "date: %s\nhost: %s\ncpu: %s\n", date, host, cpu);
    fprintf(f, "cpus_online: %ld\n", sysconf(_SC_NPROCESSORS_ONLN));
    if (sched_getaffinity(0, sizeof usable, &usable) == 0)
        fprintf(f, "cpus_usable: %d\n", CPU_COUNT(&usable));
    if (uname(&u) == 0)
        fprintf(f, "kernel: %s %s %s\n", u.sysname, u.release, u.machine);
    if (sysinfo(&si) == 0)
        fprintf(f, "memory: %.1f GiB\n",
                (double)si.totalram * si.mem_unit / (1024.0 * 1024 * 1024));
    sysctl(f, "somaxconn", "/proc/sys/net/core/somaxconn");
    sysctl(f, "ip_local_port_range", "/proc/sys/net/ipv4/ip_local_port_range");
    sysctl(f, "tcp_tw_reuse", "/proc/sys/net/ipv4/tcp_tw_reuse");
}

static void write_versions(FILE *f)
{
    static const struct { const char *key, *cmd; } v[] = {
        {"compiler_cli", "cc --version"},
        {"wrk", "wrk -v"},
        {"loadgen", "'" C10K_BUILD_ROOT "/loadgen' --version"},
        {"h2load", "h2load --version"},
        {"libuv", "pkg-config --modversion libuv"},
        {"liburing", "pkg-config --modversion liburing"},
        {"uring", "'" C10K_BUILD_ROOT "/servers/uring' --version"}, /* its io_uring features */
        {"nginx", "PATH=$PATH:/usr/sbin nginx -v"},
        {"h2o", "h2o --version"},
        {"lighttpd", "PATH=$PATH:/usr/sbin lighttpd -v"},
        {"gnuplot", "gnuplot --version"},
        {"git", "git -C '" C10K_SOURCE_ROOT "' describe --always --dirty --abbrev=12"},
    };
    char line[512];
    fprintf(f, "compiler: %s\n", __VERSION__);
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        first_line(v[i].cmd, line, sizeof line);
        fprintf(f, "%s: %s\n", v[i].key, line);
    }
}

static void write_list(FILE *f, const char *key, const int *v, int n)
{
    fprintf(f, "%s: ", key);
    for (int i = 0; i < n; i++)
        fprintf(f, "%s%d", i ? "," : "", v[i]);
    fprintf(f, "%s\n", n ? "" : "none");
}

static void write_options(FILE *f, const struct opts *o, long body, long nofile)
{
    char cpu[PATH_MAX + 128];
    cgroup_describe(cpu, sizeof cpu);
    fprintf(f, "command: %s\nmodels: %s\nserver_cpu_accounting: %s\n", o->command_line,
            o->models, cpu);
    write_list(f, "conns", o->conns, o->n_conns);
    write_list(f, "idle", o->idle, o->n_idle);
    fprintf(f, "memory_idle: %d\nduration_s: %d\nwarmup_s: %d\nrepeat: %d\n"
            "path: %s\nbody_bytes: %ld\npipeline: %d\nwrk_threads_max: %d\n"
            "server_cpus: %s\nclient_cpus: %s\nquick: %s\nnofile: %ld\n",
            o->memory_idle, o->duration_s, o->warmup_s, o->repeat, o->path, body,
            o->pipeline, o->threads, o->server_cpus_text, o->client_cpus_text,
            o->quick ? "yes" : "no", nofile);
    fprintf(f, "nofile_how: %s\n", spawn_nofile_note());
    static const char *modes[] = {"none", "list", "auto"};
    fprintf(f, "rates: %s", modes[o->rates_mode]);
    for (int i = 0; o->rates_mode == RATES_LIST && i < o->n_rates; i++)
        fprintf(f, "%s%.0f", i ? "," : " ", o->rates[i]);
    fprintf(f, "\nequal_load: ");
    for (int i = 0; i < o->n_equal; i++)
        fprintf(f, "%s%g%s", i ? "," : "", o->equal[i].value, o->equal[i].pct ? "%" : "");
    fprintf(f, "\nslo_p99_ms: %g\nrate_conns: %d\nrate_duration_s: %g\n"
            "rate_warmup_s: %g\n", o->slo_p99_ms, o->rate_conns, o->rate_duration_s,
            o->rate_warmup_s);
}

int meta_write(const char *run_dir, const struct opts *o, const struct workload *wl,
               long nofile, const struct hosts *hosts, char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/meta.txt", run_dir);
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, errlen, "open %s: %s", path, strerror(errno));
        return -1;
    }
    write_machine(f);
    write_versions(f);
    write_options(f, o, wl->body_size, nofile);
    workload_write_meta(wl, f);
    if (hosts)
        hosts_write_meta(hosts, f);
    if (ferror(f) | fclose(f)) {
        snprintf(err, errlen, "write %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}
