/* The rules that flag what looks wrong in a measurement (see
 * measure_int.h): the numbers are kept, the flags say how to read them. */
#include <stdio.h>
#include <string.h>

#include "measure/measure_int.h"
#include "base/spawn.h"
#include "sut/verify.h"
#include "workload/workload.h"

/* The server's own count against the load generator's: both wrk and
 * loadgen count completed responses only, so server >= client and the
 * excess is at most what was in flight. */
void measure_check_counts(struct row *r, const struct snapshot *a, const struct snapshot *b,
                          int conns, int pipeline)
{
    if (!a->counters_ok || !b->counters_ok) {
        if (r->srv_responses < 0 && strcmp(r->category, "reference") != 0)
            row_note(r, "no counters line from the server");
        return;
    }
    const char *client = r->mode == ROW_MODE_OPEN || r->host[0] ? "loadgen" : "wrk";
    double served = (double)(b->counters.requests - a->counters.requests);
    double excess = served - r->requests;
    r->srv_responses = served;
    r->srv_refused = (double)(b->counters.refused - a->counters.refused);
    if (excess < 0) {
        row_flag(r, ROW_FLAG_COUNT_MISMATCH);
        row_note(r, "%s completed %.0f responses more than the server sent", client,
                 -excess);
    } else if (excess > (double)conns * pipeline) {
        row_flag(r, ROW_FLAG_COUNT_MISMATCH);
        row_note(r, "server sent %.0f responses %s never completed (more than "
                 "the %d that can be in flight)", excess, client, conns * pipeline);
    }
    if (r->srv_refused > 0) {
        row_flag(r, ROW_FLAG_REFUSED);
        row_note(r, "server refused %.0f connections (its own limit)", r->srv_refused);
    }
}

void measure_flag_level(struct row *r, const struct measure_cfg *cfg, long tasks)
{
    int ccpus = CPU_COUNT(cfg->client_cpus), scpus = CPU_COUNT(cfg->server_cpus);
    double ccap = 100.0 * (r->threads < ccpus ? r->threads : ccpus);
    double scap = 100.0 * (tasks > 0 && tasks < scpus ? tasks : scpus);
    if (!cfg->hosts && /* load hosts: hosts_record judges each */
        r->cli_cpu_pct >= CLIENT_BUSY_FRACTION * ccap && r->srv_cpu_pct >= 0 &&
        r->srv_cpu_pct < CLIENT_BUSY_FRACTION * scap)
        row_flag(r, ROW_FLAG_CLIENT_BOUND);
    if (row_errors(r) > 0)
        row_flag(r, ROW_FLAG_ERRORS);
    if (r->err_connect > 0)
        row_flag(r, ROW_FLAG_REFUSED);
    /* Little's law: throughput x mean latency = connections in service on
     * average. wrk counts no timeout for a request never answered, so a
     * server serving a few connections and starving the rest (a blocking
     * server under keep-alive) would otherwise look healthy. */
    double in_service = r->req_per_s * r->lat_mean_us / 1e6;
    double offered = r->conns * (r->pipeline > 0 ? r->pipeline : 1);
    if (r->requests > 0 && r->conns >= MEASURE_STARVED_MIN_CONNS &&
        in_service < MEASURE_STARVED_FRACTION * offered) {
        row_flag(r, ROW_FLAG_STARVED);
        row_note(r, "on average %.1f of %.0f connections were being served "
                 "(req/s x mean latency): the others waited", in_service, r->conns);
    }
    if (r->steal_pct > MEASURE_NOISE_PCT)
        row_flag(r, ROW_FLAG_STEAL);
    if (r->other_pct > MEASURE_NOISE_PCT)
        row_flag(r, ROW_FLAG_NOISY);
}

/* After the level: did the server die, does it still answer? */
void measure_check_server(struct sut *s, struct row *r)
{
    char why[256];
    if (!sut_alive(s)) {
        r->status = ROW_STATUS_CRASHED;
        row_note(r, "server ended during the level: %s", s->what);
        return;
    }
    if (spawn_interrupted)
        return; /* the server was sent SIGTERM: not a finding */
    if (verify_answers(s->addr, s->port, MEASURE_HEALTH_MS, why, sizeof why)) {
        row_flag(r, ROW_FLAG_STOPPED_ANSWERING);
        row_note(r, "no answer to GET / %d ms after the level: %s",
                 MEASURE_HEALTH_MS, why);
    }
}

/* The generator's own limits first: a late or busy loadgen did not offer
 * the load it was asked to, so the point says more about it than about
 * the server. */
void measure_flag_open(struct row *r, const struct measure_cfg *cfg,
                       const struct lg_result *g)
{
    int ccpus = CPU_COUNT(cfg->client_cpus);
    double cap = 100.0 * (r->threads < ccpus ? r->threads : ccpus);
    if (!cfg->hosts && /* load hosts: hosts_record judges each */
        (g->client_cpu_pct >= CLIENT_BUSY_FRACTION * cap ||
         r->lag_p99_us > CLIENT_LAG_US)) {
        row_flag(r, ROW_FLAG_CLIENT_BOUND);
        row_note(r, "loadgen at %.0f%% CPU, send lag p99 %.0f us", g->client_cpu_pct,
                 r->lag_p99_us);
    }
    if (r->achieved_rps < ROW_ACHIEVED * r->offered_rps)
        row_flag(r, ROW_FLAG_UNSUSTAINED);
    if (r->lat_p99_us > (cfg->slo_p99_ms + workload_db_wait_ms(cfg->wl)) * 1000)
        row_flag(r, ROW_FLAG_SLO_MISSED);
    if (row_errors(r) > 0)
        row_flag(r, ROW_FLAG_ERRORS);
    if (r->err_connect > 0)
        row_flag(r, ROW_FLAG_REFUSED);
    if (r->steal_pct > MEASURE_NOISE_PCT)
        row_flag(r, ROW_FLAG_STEAL);
    if (r->other_pct > MEASURE_NOISE_PCT)
        row_flag(r, ROW_FLAG_NOISY);
}
