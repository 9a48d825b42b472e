/* The load-host options of `harness run` (see opts.h and hosts.h):
 * --load-hosts, --target, --ssh-config, --remote-loadgen, what they change
 * in the defaults, and their part of --help. */
#include "options/opts.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "results/csv.h"

/* --load-hosts a,b,c: ssh destinations (user@host or a Host alias of the
 * ssh config), none empty, no blanks, each short enough for the host
 * column of results.csv. */
static int hosts_arg(struct opts *o, const char *arg, char *err, size_t errlen)
{
    char *p = o->load_hosts_text;
    if (snprintf(p, sizeof o->load_hosts_text, "%s", arg) >= (int)sizeof o->load_hosts_text) {
        snprintf(err, errlen, "--load-hosts: list too long");
        return -1;
    }
    for (o->n_load_hosts = 0; p; o->n_load_hosts++) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        if (!*p || *p == '-' || strpbrk(p, " \t\r\n") || strlen(p) >= ROW_HOST_LEN ||
            o->n_load_hosts == OPTS_MAX_HOSTS) {
            snprintf(err, errlen, "--load-hosts %s: expected up to %d ssh destinations "
                     "(user@host or a Host of the ssh config), comma-separated", arg,
                     OPTS_MAX_HOSTS);
            return -1;
        }
        o->load_hosts[o->n_load_hosts] = p;
        p = comma ? comma + 1 : NULL;
    }
    return 0;
}

/* --target: an IPv4 address (the calibration server and the harness's own
 * checks speak IPv4); that it is this machine's is checked before the run. */
static int target_arg(struct opts *o, const char *arg, char *err, size_t errlen)
{
    struct in_addr a;
    if (inet_pton(AF_INET, arg, &a) != 1) {
        snprintf(err, errlen, "--target %s: expected an IPv4 address of this machine, "
                 "as the load hosts reach it", arg);
        return -1;
    }
    o->target = arg;
    return 0;
}

int opts_hosts_arg(struct opts *o, const char *name, const char *arg, char *err,
                   size_t errlen)
{
    if (strcmp(name, "load-hosts") == 0)
        return hosts_arg(o, arg, err, errlen);
    if (strcmp(name, "target") == 0)
        return target_arg(o, arg, err, errlen);
    if (strcmp(name, "ssh-config") == 0) {
        if (access(arg, R_OK)) {
            snprintf(err, errlen, "--ssh-config %s: %s", arg, strerror(errno));
            return -1;
        }
        o->ssh_config = arg;
        return 0;
    }
    if (!*arg || strpbrk(arg, "\r\n")) {
        snprintf(err, errlen, "--remote-loadgen: expected loadgen's path on the hosts");
        return -1;
    }
    o->remote_loadgen = arg;
    return 0;
}

int opts_hosts_check(const struct opts *o, char *err, size_t errlen)
{
    if (o->n_load_hosts && !o->target)
        snprintf(err, errlen, "--load-hosts needs --target ADDR (this machine's address "
                 "as the load hosts reach it)");
    else if (!o->n_load_hosts && (o->target || o->ssh_config || o->remote_loadgen))
        snprintf(err, errlen, "--%s is only used with --load-hosts",
                 o->target ? "target" : o->ssh_config ? "ssh-config" : "remote-loadgen");
    else
        return 0;
    return -1;
}

void opts_hosts_defaults(struct opts *o)
{
    /* Nothing here generates load: every usable CPU may go to the server,
     * and the harness (sampling, ssh) runs where it likes. */
    cpu_set_t all;
    if (!o->n_load_hosts || sched_getaffinity(0, sizeof all, &all))
        return;
    if (!o->server_cpus_given)
        o->server_cpus = all;
    if (!o->client_cpus_given)
        o->client_cpus = all;
}

void opts_hosts_usage(FILE *f)
{
    fputs("\n"
"load hosts (loadgen on other machines over ssh; README: Beyond one machine):\n"
"  --load-hosts D[,D..] ssh destinations (user@host or a Host of the ssh config),\n"
"                       keys only (BatchMode), same architecture, clocks in sync;\n"
"                       every level and step is split evenly over them (closed\n"
"                       loop with loadgen --closed), one merged row (host=all)\n"
"                       and one per host [none: load from this machine]\n"
"  --target ADDR        this machine's IPv4 address as the hosts reach it; the\n"
"                       server binds it [required with --load-hosts]\n"
"  --ssh-config FILE    ssh -F FILE [the user's own]\n"
"  --remote-loadgen P   loadgen already on the hosts at P [copied there with scp\n"
"                       into a temporary directory, removed at the end]\n"
"                       With load hosts --server-cpus and --client-cpus default\n"
"                       to every usable CPU.\n", f);
}
