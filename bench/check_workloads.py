#!/usr/bin/env python3
"""meson test bench-fileset-cold, bench-workloads: short `harness run --quick`
runs of the workloads other than the single file, checked.

    python3 bench/check_workloads.py cold|others build/harness

cold    --workload fileset-cold on two models (a small set in a scratch
        directory under /var/tmp): every load row that was measured read
        from the disk (disk_read_bytes and disk_read_ops above 0), meta.txt
        has the memory limit; if the harness skipped every model (no memory
        cgroup here, the scratch directory not on a disk) the reason is
        printed and the test is skipped (exit 77), never passed.
others  --workload fileset (both load tools walk the URL list, every point
        answered), --workload slow-clients (one slow step per connection
        count, its table and plots in the report) and --workload mixed
        (epoll and nginx past the gzip gate, both load tools answered, the
        open-loop rows with a p99 per class, the references' compression
        in meta.txt, the figure of merit in the verdict).

Every run writes to a temporary directory that is removed at the end.
"""
import csv
import os
import shutil
import subprocess
import sys
import tempfile

RUN_TIMEOUT_S = 240
SKIP = 77


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def harness_run(harness, out, *args):
    cmd = [harness, "run", "--quick", "--out", out, *args]
    print("$", " ".join(cmd), flush=True)
    proc = subprocess.run(cmd, timeout=RUN_TIMEOUT_S)
    if proc.returncode != 0:
        fail(f"harness run exited {proc.returncode}")
    run = os.path.join(out, "latest")
    with open(os.path.join(run, "results.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    meta = open(os.path.join(run, "meta.txt"), encoding="utf-8").read()
    html = open(os.path.join(run, "report.html"), encoding="utf-8").read()
    return run, rows, meta, html


def load_rows(rows):
    return [r for r in rows if r["kind"] == "load"]


def check_cold(harness):
    with tempfile.TemporaryDirectory(prefix="c10k-bench-out-") as out, \
            tempfile.TemporaryDirectory(prefix="c10k-bench-fileset-", dir="/var/tmp") as cache:
        run, rows, meta, html = harness_run(
            harness, out, "--workload", "fileset-cold", "--models", "epoll,threadpool",
            "--fileset-dirs", "16", "--cold-memory", "32", "--fileset-cache", cache,
            "--rates", "1000", "--memory-idle", "0")
        if any(r["workload"] != "fileset-cold" for r in rows):
            fail("a row without workload=fileset-cold")
        load = load_rows(rows)
        if load and all(r["status"] == "skipped" for r in load):
            print(f"SKIP: every model skipped: {load[0]['note']}")
            sys.exit(SKIP)
        if "server_memory_limit_bytes: 33554432" not in meta:
            fail("meta.txt does not record the 32 MiB memory limit")
        if "fileset-cold" not in html:
            fail("report.html does not name the workload")
        for r in load:
            where = f"{r['model']} {r['mode']} {r['step']} c={r['conns']}"
            if r["status"] != "ok" or int(r["requests"] or 0) == 0:
                fail(f"{where}: status {r['status']}, requests {r['requests']}: {r['note']}")
            if float(r["disk_read_bytes"] or 0) <= 0 or float(r["disk_read_ops"] or 0) <= 0:
                fail(f"{where}: no disk reads recorded (bytes {r['disk_read_bytes']!r}, "
                     f"ops {r['disk_read_ops']!r}): the cold workload was served from memory")
            print(f"ok: {where}: {float(r['disk_read_bytes']) / 2**20:.1f} MiB in "
                  f"{r['disk_read_ops']} reads for {r['requests']} responses")


def check_fileset(harness, out, cache):
    run, rows, meta, html = harness_run(
        harness, out, "--workload", "fileset", "--models", "epoll", "--fileset-dirs", "2",
        "--fileset-cache", cache, "--rates", "1000", "--memory-idle", "0")
    load = load_rows(rows)
    modes = sorted({r["mode"] for r in load})
    if modes != ["closed", "open"]:
        fail(f"fileset: load rows in modes {modes}, expected closed (wrk) and open (loadgen)")
    for r in load:
        if r["workload"] != "fileset" or r["status"] != "ok" or int(r["requests"] or 0) == 0:
            fail(f"fileset {r['model']} {r['mode']}: {r['workload']} {r['status']}: {r['note']}")
        if "count-mismatch" in r["flags"] or float(r["err_status"] or 0) > 0:
            fail(f"fileset {r['mode']}: {r['flags']} {r['note']}")
    if "urls: " + os.path.join(cache, "fileset-d2-s1", "urls.txt") not in meta:
        fail("meta.txt does not name the URL list")
    print(f"ok: fileset, {len(load)} load rows answered through the URL list")


def check_slow(harness, out):
    run, rows, meta, html = harness_run(
        harness, out, "--workload", "slow-clients", "--models", "epoll",
        "--slow-conns", "200,400", "--slow-rate", "2", "--memory-idle", "0")
    slow = [r for r in rows if r["step"] == "slow"]
    got = sorted((int(r["conns"]), float(r["offered_rps"])) for r in slow)
    if got != [(200, 400.0), (400, 800.0)]:
        fail(f"slow-clients: steps (conns, offered) {got}, expected (200, 400), (400, 800)")
    if any(r["status"] != "ok" or int(r["requests"] or 0) == 0 for r in slow):
        fail(f"slow-clients: {[(r['status'], r['note']) for r in slow]}")
    if any(r["mode"] == "closed" for r in rows):
        fail("slow-clients ran a closed loop it was not asked for")
    for name in ("slow_p99", "slow_cpu"):
        path = os.path.join(run, "plots", name + ".svg")
        if not os.path.isfile(path) or os.path.getsize(path) == 0:
            fail(f"plots/{name}.svg missing")
    if "Many slow clients" not in html:
        fail("report.html has no slow-client table")
    print("ok: slow-clients, 2 steps, table and plots")


def check_mixed(harness, out, cache):
    run, rows, meta, html = harness_run(
        harness, out, "--workload", "mixed", "--models", "epoll,nginx",
        "--fileset-cache", cache, "--conns", "16", "--rates", "100", "--memory-idle", "0")
    load = load_rows(rows)
    for r in load:
        if r["workload"] != "mixed" or r["status"] != "ok" or int(r["requests"] or 0) == 0:
            fail(f"mixed {r['model']} {r['mode']}: {r['workload']} {r['status']}: {r['note']}")
        if float(r["err_status"] or 0) > 0 or "count-mismatch" in r["flags"]:
            fail(f"mixed {r['model']} {r['mode']}: {r['flags']} {r['note']}")
        classes = r["cheap_p99_us"] != "" and r["expensive_p99_us"] != ""
        if classes != (r["mode"] == "open"):
            fail(f"mixed {r['model']} {r['mode']}: cheap/expensive p99 "
                 f"{r['cheap_p99_us']!r}/{r['expensive_p99_us']!r}")
    for want in ("gzip_level: 1", "compression_nginx: gzip on;", "request_header: "
                 "Accept-Encoding: gzip"):
        if want not in meta:
            fail(f"mixed: meta.txt lacks {want!r}")
    print(f"ok: mixed, {len(load)} load rows through the gzip gate, a p99 per class")


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("cold", "others"):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    harness = sys.argv[2]
    if not shutil.which("wrk"):
        print("SKIP: wrk not found (Debian package wrk)")
        sys.exit(SKIP)
    if sys.argv[1] == "cold":
        check_cold(harness)
        return
    with tempfile.TemporaryDirectory(prefix="c10k-bench-out-") as out, \
            tempfile.TemporaryDirectory(prefix="c10k-bench-fileset-") as cache:
        check_fileset(harness, out, cache)
        check_slow(harness, out)
        check_mixed(harness, out, cache)


if __name__ == "__main__":
    main()
