#!/usr/bin/env python3
"""What loadgen claims, checked against real servers on 127.0.0.1.

    python3 tests/loadgen.py TEST build/loadgen build/bench/calibration

TEST is one of:
  options    bad options: one line on stderr, exit 2; unreachable URL: exit 1
  freeze     a server that freezes 100 ms every second: the corrected p99
             shows it, the uncorrected one does not; without the freeze the
             corrected p99 stays far below 10 ms; wrk's view in the log
  rate       achieved rate within 1% of offered, completed equal to the
             server's own counters up to what can be in flight
  framing    404 counted as err_status, Connection: close and closes between
             responses as reconnects, close-delimited and chunked bodies,
             a silent server as err_timeout
  output     --histograms agree with the result line, --warmup and
             --start-at shape the schedule, --closed
  h2load     (bench) h2load --h1 --rps agrees with loadgen's achieved rate
  efficiency (bench) client CPU per request of loadgen and wrk at wrk's rate

Every check prints "ok - name" or "not ok - name: why"; exit 1 if any
failed, 77 if none could run.
"""

import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time

from integration_lib import wait_until
from loadgen_lib import (Calibration, Fail, PyServer, Runner, Skip, expect, hist_percentile,
                         loadgen, parse_hist, parse_result, priority_prefix, run, us,
                         within)

LG = CAL = None
PRIORITY = []
RUN_BOUND_S = 40  # beyond a run's own duration (a loaded CI machine)


# ---- options -----------------------------------------------------------------

def past_ns():
    return str(time.time_ns() - 10 * 10**9)


BAD_OPTIONS = [
    (["--conns", "1", "--duration", "1"], "--rate"),
    (["--rate", "0", "--conns", "1", "--duration", "1"], "--rate"),
    (["--rate", "-5", "--conns", "1", "--duration", "1"], "--rate"),
    (["--rate", "abc", "--conns", "1", "--duration", "1"], "--rate"),
    (["--rate", "10", "--duration", "1"], "--conns"),
    (["--rate", "10", "--conns", "0", "--duration", "1"], "--conns"),
    (["--rate", "10", "--conns", "1"], "--duration"),
    (["--rate", "10", "--conns", "1", "--duration", "0"], "--duration"),
    (["--rate", "10", "--conns", "2", "--duration", "1", "--threads", "3"], "--threads"),
    (["--rate", "10", "--conns", "1", "--duration", "1", "--pipeline", "0"], "--pipeline"),
    (["--rate", "10", "--conns", "1", "--duration", "1", "--cpus", "1-"], "--cpus"),
    (["--rate", "10", "--conns", "1", "--duration", "1", "--header", "no colon"], "--header"),
    (["--rate", "10", "--conns", "1", "--duration", "1", "--bogus"], "--bogus"),
    (["--rate", "10", "--conns", "1", "--duration", "1", "--start-at", None], "--start-at"),
    (["--rate", "10", "--conns", "1", "--duration", "1", "--closed"], "--closed"),
    (["--conns", "1", "--duration", "1", "--rate"], "--rate"),
]
BAD_URLS = ["https://127.0.0.1/", "http://", "http://127.0.0.1:99999/", "http://127.0.0.1:1x/",
            "http://127.0.0.1:80path", "ftp://127.0.0.1/"]


def expect_one_line(args, status, mention):
    rc, out, err = run([LG, *args], 30)
    lines = err.strip().splitlines()
    expect(rc == status, f"{args}: exit {rc}, want {status} (stderr {err.strip()!r})")
    expect(len(lines) == 1 and out == "", f"{args}: want one line on stderr only, got {err!r} {out!r}")
    expect(mention in lines[0], f"{args}: the message does not name {mention!r}: {lines[0]!r}")


def bad_options_exit_2():
    for args, mention in BAD_OPTIONS:
        args = [past_ns() if a is None else a for a in args]
        expect_one_line(args + (["http://127.0.0.1:1/"] if args[-1] != "--rate" else []), 2, mention)
    for url in BAD_URLS:
        expect_one_line(["--rate", "10", "--conns", "1", "--duration", "1", url], 2, "URL")


def unreachable_url_exits_1():
    sock_port = free_port()
    expect_one_line(["--rate", "10", "--conns", "1", "--duration", "1",
                     f"http://127.0.0.1:{sock_port}/"], 1, "connect")
    expect_one_line(["--rate", "10", "--conns", "1", "--duration", "1",
                     "http://no-such-host.invalid/"], 1, "resolve")


def help_and_version():
    rc, out, _ = run([LG, "--help"], 30)
    expect(rc == 0 and "--rate" in out and "--start-at" in out, f"--help: exit {rc}")
    rc, out, _ = run([LG, "--version"], 30)
    expect(rc == 0 and out.startswith("loadgen "), f"--version: exit {rc}, {out!r}")


def free_port():
    """A port nothing listens on (bound, then closed)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def once_more_if(bad, measure, why):
    """measure(), and once more if bad(result): for the checks a stall
    elsewhere on the machine can break once (the schedule counts a request
    by when it completes, so a 30 ms stall at the window's end moves 1% of
    it into the backlog); a loadgen fault breaks them every time."""
    r = measure()
    if bad(r):
        print(f"  {why(r)}: measuring once more (a stall elsewhere on the machine?)")
        r = measure()
    return r


# ---- freeze --------------------------------------------------------------------

# 1000 req/s over 4 connections: a 100 ms freeze leaves 100 requests due
# while it lasts (10% of each second), those due in its first 60 ms wait at
# least 40 ms, so >= 4% of the requests (two whole freezes in any 3 s window)
# are >= 40 ms corrected: p99 >= 40 ms by construction. Only the requests
# in flight or sent during a freeze, one per connection, wait for it from
# their send: 4 of 1000 (0.4%) per second, so the uncorrected p99 misses it.
# Both run under priority_prefix() (SCHED_FIFO where permitted) so that on a
# loaded machine the latency measured is the server's, not a wait for a CPU.
FREEZE_ARGS = ["--rate", "1000", "--conns", "4", "--duration", "3", "--warmup", "0.5"]


def freeze_is_charged_to_corrected_only():
    print(f"  server and loadgen run under: {' '.join(PRIORITY) or 'normal priority'}")
    with Calibration(CAL, "--freeze", "100/1000", prefix=PRIORITY) as srv:
        r, _ = loadgen(LG, srv.url, *FREEZE_ARGS, duration=3.5, prefix=PRIORITY)
        p99, p99u = r["p99_us"], r["p99_uncorrected_us"]
        expect(40000 <= p99 <= 400000, f"corrected p99 {p99} us, want 40..400 ms (the freeze)")
        expect(p99u < p99 / 3, f"uncorrected p99 {p99u} us is not far below corrected {p99} us")
        expect(r["errors"] == 0, f"errors: {r['errors']}")
        if shutil.which("wrk"):
            rc, out, err = run(["wrk", "-t1", "-c4", "-d3", "--latency", srv.url], 40)
            print("  wrk -t1 -c4 -d3 --latency against the same frozen server (closed loop):")
            print("\n".join("    " + l for l in (out + err).strip().splitlines()))


def no_freeze_p99_far_below_10ms():
    # Measured once more when high: without real-time priority (not
    # permitted here), other load on the machine can delay wake-ups by a
    # scheduler slice often enough (1% of 3 s) to push a p99 this far once.
    with Calibration(CAL, prefix=PRIORITY) as srv:
        r = once_more_if(lambda r: r["p99_us"] >= 10000,
                         lambda: loadgen(LG, srv.url, *FREEZE_ARGS, duration=3.5,
                                         prefix=PRIORITY)[0],
                         lambda r: f"p99 {r['p99_us']} us")
        expect(r["p99_us"] < 10000, f"corrected p99 {r['p99_us']} us without a freeze")


# ---- rate ----------------------------------------------------------------------

def achieved_rate_and_server_counts(*args, rate=5000):
    """Within 1% of the offered rate; every request due in the window
    completed or in the backlog; the server answered what loadgen completed,
    plus at most what was in flight at the end."""
    conns = int(args[args.index("--conns") + 1])
    pipeline = int(args[args.index("--pipeline") + 1]) if "--pipeline" in args else 1

    def measure():
        with Calibration(CAL) as srv:
            before = srv.counters()["requests"]
            r, _ = loadgen(LG, srv.url, "--rate", str(rate), *args, "--duration", "3",
                           duration=3)
            return r, srv.counters()["requests"] - before
    r, served = once_more_if(lambda m: not within(m[0]["achieved_rps"], rate, 0.01), measure,
                             lambda m: f"achieved {m[0]['achieved_rps']} of {rate} req/s")
    due = rate * 3
    expect(abs(r["completed"] + r["backlog"] - due) <= conns * pipeline,
           f"completed {r['completed']} + backlog {r['backlog']}, {due} due in the window")
    expect(within(r["achieved_rps"], rate, 0.01), f"achieved {r['achieved_rps']} of {rate} req/s")
    expect(r["errors"] == 0, f"errors: {r['errors']}")
    expect(0 <= served - r["completed"] <= conns * pipeline,
           f"server answered {served}, loadgen completed {r['completed']} (in flight <= {conns * pipeline})")
    expect(0 <= r["sent"] - r["completed"] <= conns * pipeline,
           f"sent {r['sent']}, completed {r['completed']}")


# ---- framing -------------------------------------------------------------------

FRAMING_RATE, FRAMING_CONNS, FRAMING_S = 200, 4, 2.0


def against_pyserver(path, *extra):
    srv = PyServer()
    try:
        r, _ = loadgen(LG, srv.url + path, "--rate", str(FRAMING_RATE), "--conns",
                       str(FRAMING_CONNS), "--duration", str(FRAMING_S), *extra, duration=FRAMING_S)
        return r, dict(srv.answered)
    finally:
        srv.stop()


def expect_all_answered(r, path):
    want = FRAMING_RATE * FRAMING_S
    expect(within(r["completed"], want, 0.05), f"{path}: completed {r['completed']} of {want:.0f}")


def status_404_is_err_status():
    r, _ = against_pyserver("/missing")
    expect_all_answered(r, "/missing")
    expect(r["err_status"] == r["completed"] and r["errors"] == r["err_status"],
           f"err_status {r['err_status']}, errors {r['errors']}, completed {r['completed']}")
    expect(r["p99_us"] > 0, "404 latencies are recorded too")


def closes_are_reconnects_not_errors():
    for path in ("/close", "/closeidle", "/eof"):
        r, _ = against_pyserver(path)
        expect_all_answered(r, path)
        expect(r["errors"] == 0, f"{path}: errors {r['errors']}")
        expect(r["reconnects"] >= r["completed"] - FRAMING_CONNS,
               f"{path}: reconnects {r['reconnects']}, completed {r['completed']}")


def chunked_bodies_framed():
    r, answered = against_pyserver("/chunked")
    expect_all_answered(r, "/chunked")
    expect(r["errors"] == 0 and r["reconnects"] == 0,
           f"errors {r['errors']}, reconnects {r['reconnects']}")
    body = sum(len(p) for p in PyServer.CHUNKED)
    expect(r["bytes"] >= r["completed"] * body - FRAMING_CONNS * body,
           f"bytes {r['bytes']} for {r['completed']} responses of {body}")
    expect(0 <= answered.get("/chunked", 0) - r["completed"] <= FRAMING_CONNS,
           f"server answered {answered}, completed {r['completed']}")


def silent_server_times_out():
    r, _ = against_pyserver("/silent", "--timeout", "300")
    expect(r["completed"] == 0, f"completed {r['completed']} from a silent server")
    expect(r["err_timeout"] >= FRAMING_CONNS, f"err_timeout {r['err_timeout']}")
    expect(r["errors"] == r["err_timeout"], f"errors {r['errors']}")


# ---- output --------------------------------------------------------------------

def histograms_agree_with_result_line():
    with Calibration(CAL) as srv:
        r, lines = loadgen(LG, srv.url, "--rate", "2000", "--conns", "8", "--duration", "2",
                           "--histograms", duration=2)
    hists = {h["name"]: h for h in map(parse_hist, (l for l in lines if l.startswith("hist ")))}
    expect(sorted(hists) == ["corrected", "lag", "uncorrected"], f"hist lines: {sorted(hists)}")
    c, u, lag = hists["corrected"], hists["uncorrected"], hists["lag"]
    expect(c["count"] == r["completed"] + r["backlog"], f"corrected count {c['count']}")
    expect(u["count"] == r["completed"], f"uncorrected count {u['count']}")
    expect(lag["count"] == r["sent"], f"lag count {lag['count']}, sent {r['sent']}")
    for key, h, pct in [("p50_us", c, 50), ("p90_us", c, 90), ("p99_us", c, 99),
                        ("p999_us", c, 99.9), ("p9999_us", c, 99.99), ("max_us", c, 100),
                        ("p50_uncorrected_us", u, 50), ("p99_uncorrected_us", u, 99),
                        ("max_uncorrected_us", u, 100), ("lag_p50_us", lag, 50),
                        ("lag_p99_us", lag, 99), ("lag_max_us", lag, 100)]:
        expect(us(hist_percentile(h, pct)) == r[key],
               f"{key}: {r[key]} in the line, {us(hist_percentile(h, pct))} from the histogram")
    expect(abs(c["sum_ns"] / c["count"] / 1000 - r["mean_us"]) < 0.1, "mean_us")


def warmup_is_not_counted():
    def measure():
        with Calibration(CAL) as srv:
            r, _ = loadgen(LG, srv.url, "--rate", "1000", "--conns", "4", "--warmup", "1",
                           "--duration", "1", duration=2)
            return r, srv.counters()["requests"]
    r, served = once_more_if(
        lambda m: not (within(m[0]["completed"], 1000, 0.01) and
                       within(m[0]["warmup_completed"], 1000, 0.01)), measure,
        lambda m: f"completed {m[0]['completed']}, warm-up {m[0]['warmup_completed']}")
    # Whatever the timing: every request due from t0 to the window's end
    # completed in the warm-up or the window, or is in the backlog.
    total = r["warmup_completed"] + r["completed"] + r["backlog"]
    expect(abs(total - 2000) <= 4, f"warm-up {r['warmup_completed']} + completed"
           f" {r['completed']} + backlog {r['backlog']} = {total}, 2000 due")
    expect(within(r["completed"], 1000, 0.01), f"completed {r['completed']} in 1 s at 1000 req/s")
    expect(within(r["warmup_completed"], 1000, 0.01), f"warmup_completed {r['warmup_completed']}")
    both = r["warmup_completed"] + r["completed"]
    expect(0 <= served - both <= 4, f"server answered {served}, loadgen {both} in warm-up + window")


def start_at_delays_the_schedule(*mode):
    """mode: --rate R, or --closed (which must wait for t0 too: the
    multi-host harness counts the server's responses from before it)."""
    ahead = 4
    with Calibration(CAL) as srv:
        start = time.time_ns() + ahead * 10**9
        t = time.monotonic()
        p = subprocess.Popen([LG, *mode, "--conns", "2", "--duration", "0.5",
                              "--start-at", str(start), srv.url], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, start_new_session=True)
        try:
            # Until both connections are open, or 1 s before the start.
            last = []
            wait_until(lambda: last.append(srv.counters()) or last[-1]["accepted"] >= 2,
                       ahead - 1 - (time.monotonic() - t), 0.1)
            early = last[-1]
            out, err = p.communicate(timeout=RUN_BOUND_S)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        elapsed = time.monotonic() - t
        late = srv.counters()
    expect(early["accepted"] >= 2 and early["requests"] == 0,
           f"before --start-at: {early} (want connections open, no request)")
    expect(p.returncode == 0 and late["requests"] > 0, f"exit {p.returncode}: {err.decode()!r}")
    expect(elapsed >= ahead + 0.4,
           f"finished {elapsed:.2f} s after starting, start-at was {ahead} s ahead")
    completed = parse_result(out.decode().splitlines()[-1])["completed"]
    expect(0 <= late["requests"] - completed <= 2,
           f"server answered {late['requests']}, loadgen completed {completed} in its window")


def closed_loop_mode():
    with Calibration(CAL) as srv:
        before = srv.counters()["requests"]
        r, _ = loadgen(LG, srv.url, "--closed", "--conns", "4", "--duration", "1", duration=1)
        served = srv.counters()["requests"] - before
    expect(r["mode"] == "closed" and r["offered_rps"] == 0.0, f"mode {r['mode']}")
    expect(r["completed"] > 100 and r["errors"] == 0, f"completed {r['completed']}")
    expect(r["p99_us"] == r["p99_uncorrected_us"] and r["lag_p99_us"] == 0,
           "closed loop: corrected == uncorrected, no lag")
    expect(0 <= served - r["completed"] <= 4, f"server {served}, completed {r['completed']}")



# ---- bench: h2load, efficiency -------------------------------------------------

def h2load_agrees():
    if not shutil.which("h2load"):
        raise Skip("h2load not found (Debian package nghttp2-client)")
    rate, conns, secs = 4000, 8, 3

    def measure():
        with Calibration(CAL) as srv:
            r, _ = loadgen(LG, srv.url, "--rate", str(rate), "--conns", str(conns),
                           "--duration", str(secs), duration=secs)
            rc, out, err = run(["h2load", "--h1", "-c", str(conns), "--rps",
                                str(rate // conns), "-D", str(secs), srv.url], secs + 30)
        return r, rc, out, err, re.search(r"finished in [\d.]+s, ([\d.]+) req/s", out)
    r, rc, out, err, m = once_more_if(
        lambda x: x[1] == 0 and x[4] and not within(float(x[4].group(1)),
                                                      x[0]["achieved_rps"], 0.05),
        measure, lambda x: f"h2load {x[4].group(1)} req/s, loadgen {x[0]['achieved_rps']}")
    print(f"  h2load --h1 -c {conns} --rps {rate // conns} -D {secs}: "
          f"{m.group(1) if m else repr(out)} req/s; loadgen {r['achieved_rps']}")
    expect(rc == 0 and m, f"h2load exited {rc}: {err.strip()}")
    expect(within(float(m.group(1)), r["achieved_rps"], 0.05),
           f"h2load {m.group(1)} req/s vs loadgen {r['achieved_rps']}")


def efficiency_against_wrk():
    if not shutil.which("wrk"):
        raise Skip("wrk not found (Debian package wrk)")
    w, g = once_more_if(lambda x: x[1] > 1.2 * x[0], efficiency_rounds,
                        lambda x: f"loadgen/wrk {x[1] / x[0]:.2f}")
    expect(g <= 1.2 * w, f"loadgen needs {g / w:.2f}x wrk's CPU per request (guard: 1.2x)")


def efficiency_rounds():
    """Median client CPU per request (s) of wrk and of loadgen at wrk's rate,
    over three interleaved rounds."""
    two = len(os.sched_getaffinity(0)) >= 2
    srv_pin, load = (["taskset", "-c", "0"], ["taskset", "-c", "1"]) if two else ([], [])
    secs, conns, wrk_rounds, lg_rounds = 3, 256, [], []
    with Calibration(CAL, prefix=srv_pin) as srv:
        for rnd in range(3):
            cpu, out = rusage_run(load + ["wrk", "-t1", f"-c{conns}", f"-d{secs}", srv.url], secs)
            n = int(re.search(r"(\d+) requests in", out).group(1))
            rate = n / float(re.search(r"requests in ([\d.]+)s", out).group(1))
            wrk_rounds.append(cpu / n)
            cpu, out = rusage_run(load + [LG, "--rate", f"{rate:.0f}", "--conns", str(conns),
                                          "--duration", str(secs), srv.url], secs)
            res = dict(f.split("=") for f in out.strip().splitlines()[-1].split())
            lg_rounds.append(cpu / int(res["completed"]))
            print(f"  round {rnd}: wrk {rate:.0f} req/s {wrk_rounds[-1] * 1e6:.2f} us CPU/req;"
                  f" loadgen at that rate: {res['achieved_rps']} req/s"
                  f" {lg_rounds[-1] * 1e6:.2f} us CPU/req, p99 {res['p99_us']} us,"
                  f" lag p99 {res['lag_p99_us']} us")
    w, g = statistics.median(wrk_rounds), statistics.median(lg_rounds)
    print(f"  median client CPU per request: wrk {w * 1e6:.2f} us, loadgen {g * 1e6:.2f} us,"
          f" loadgen/wrk {g / w:.2f}")
    return w, g


def rusage_run(cmd, secs):
    """Runs cmd; returns (user+system CPU seconds of it and its threads, stdout)."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + secs + RUN_BOUND_S
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            os.kill(p.pid, 9)
            os.wait4(p.pid, 0)
            raise Fail(f"still running after {secs + RUN_BOUND_S} s: {cmd}")
        time.sleep(0.05)
    out = p.stdout.read().decode()
    p.stdout.close()
    p.returncode = os.waitstatus_to_exitcode(status)
    expect(p.returncode == 0, f"{cmd} exited {p.returncode}")
    return ru.ru_utime + ru.ru_stime, out


TESTS = {
    "options": [("bad options: one line, exit 2", bad_options_exit_2),
                ("unreachable URL: one line, exit 1", unreachable_url_exits_1),
                ("--help and --version", help_and_version)],
    "freeze": [("freeze 100/1000: corrected p99 shows it, uncorrected does not",
                freeze_is_charged_to_corrected_only),
               ("no freeze: corrected p99 far below 10 ms", no_freeze_p99_far_below_10ms)],
    "rate": [("5000 req/s over 16 connections",
              lambda: achieved_rate_and_server_counts("--conns", "16")),
             ("5000 req/s, 2 threads, pipeline 2",
              lambda: achieved_rate_and_server_counts("--conns", "16", "--threads", "2",
                                                      "--pipeline", "2"))],
    "framing": [("404 counted as err_status", status_404_is_err_status),
                ("server closes: reconnects, not errors", closes_are_reconnects_not_errors),
                ("chunked responses framed", chunked_bodies_framed),
                ("silent server: err_timeout", silent_server_times_out)],
    "output": [("--histograms agree with the result line", histograms_agree_with_result_line),
               ("--warmup is not counted", warmup_is_not_counted),
               ("--start-at delays the schedule",
                lambda: start_at_delays_the_schedule("--rate", "500")),
               ("--closed --start-at waits for t0",
                lambda: start_at_delays_the_schedule("--closed")),
               ("--closed", closed_loop_mode)],
    "h2load": [("h2load --h1 --rps agrees within 5%", h2load_agrees)],
    "efficiency": [("client CPU per request against wrk", efficiency_against_wrk)],
}


def main():
    global LG, CAL, PRIORITY
    if len(sys.argv) != 4 or sys.argv[1] not in TESTS:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    LG, CAL = sys.argv[2], sys.argv[3]
    PRIORITY = priority_prefix() if sys.argv[1] == "freeze" else []
    runner = Runner()
    for name, fn in TESTS[sys.argv[1]]:
        runner.check(name, fn)
    runner.exit()


if __name__ == "__main__":
    main()
