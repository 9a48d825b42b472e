#!/usr/bin/env python3
"""meson test bench: `harness run --quick` on every model, then checks.

Passes only if every available model (harness list --csv) has a closed-loop
load row for every level with requests > 0 (or an explicit, expected status:
a model that exits 69 is "skipped", select above FD_SETSIZE shows refused
connections), an open-loop sweep: a msr row (the sustainable-rate search
ran) and, for every model but the calibration server's own first search,
the equal-load steps at the same offered rates as everyone else, with the
server's counters matching loadgen's; results.csv has the documented
columns, the plots and the report exist and are non-empty, and the report
names every model.
"""
import csv
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                "harness", "results"))
import columns  # noqa: E402  the schema, harness/results/columns.def

COLUMNS = columns.results_columns()
QUICK_LEVELS = {256}
EQUAL_STEPS = 2
PLOTS = ["throughput", "p99", "efficiency", "memory", "memory_per_conn",
         "openloop_p99", "msr", "cpu_per_req"]


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def models(harness):
    out = subprocess.run([harness, "list", "--csv"], check=True, timeout=60,
                         capture_output=True, text=True).stdout
    return list(csv.DictReader(out.splitlines()))


def check_rows(rows, listed):
    by_model = {}
    for r in rows:
        by_model.setdefault(r["model"], []).append(r)
    for m in listed:
        name = m["name"]
        if name not in by_model:
            fail(f"{name}: no rows")
        load = [r for r in by_model[name]
                if r["kind"] == "load" and r["mode"] == "closed"]
        levels = {int(r["conns"]) for r in load}
        if levels != QUICK_LEVELS:
            fail(f"{name}: levels {sorted(levels)}, expected {sorted(QUICK_LEVELS)}")
        if m["available"] != "yes":
            if any(r["status"] not in ("skipped", "failed") for r in load):
                fail(f"{name}: unavailable ({m['reason']}) but measured")
            continue
        for r in load:
            expected = r["status"] == "ok" and int(r["requests"] or 0) > 0
            refused = "refused" in r["flags"] and r["status"] in ("ok", "failed")
            if not (expected or refused):
                fail(f"{name} c={r['conns']}: status {r['status']}, "
                     f"requests {r['requests'] or 0}: {r['note']}")
    check_open(rows, listed)


def check_open(rows, listed):
    """The open loop: a msr row per available model, the equal-load steps
    at one set of offered rates for everyone, counters that match."""
    equal_rates = None
    for m in listed:
        if m["available"] != "yes":
            continue
        name = m["name"]
        mine = [r for r in rows if r["model"] == name]
        msr = [r for r in mine if r["kind"] == "msr"]
        if len(msr) != 1 or msr[0]["status"] != "ok":
            fail(f"{name}: expected one ok msr row, got {[r['status'] for r in msr]}")
        steps = [r for r in mine if r["mode"] == "open" and r["kind"] == "load"]
        if not steps:
            fail(f"{name}: no open-loop steps")
        equal = sorted(float(r["offered_rps"]) for r in steps if r["step"] == "equal")
        if len(equal) != EQUAL_STEPS:
            fail(f"{name}: {len(equal)} equal-load steps, expected {EQUAL_STEPS}")
        if equal_rates is None:
            equal_rates = equal
        elif equal != equal_rates:
            fail(f"{name}: equal-load rates {equal}, others had {equal_rates}")
        for r in steps:
            if r["status"] == "ok" and "count-mismatch" in r["flags"]:
                fail(f"{name} at {r['offered_rps']} req/s: {r['note']}")


def check_outputs(run, listed):
    for name in ["report.html", "summary.md", "summary.csv", "meta.txt"] + \
            [f"plots/{p}.{ext}" for p in PLOTS for ext in ("svg", "png")]:
        path = os.path.join(run, name)
        if not os.path.isfile(path) or os.path.getsize(path) == 0:
            fail(f"{name} missing or empty")
    html = open(os.path.join(run, "report.html"), encoding="utf-8").read()
    for m in listed:
        if f">{m['name']}" not in html:
            fail(f"report.html does not list {m['name']}")


def main():
    harness = sys.argv[1]
    listed = models(harness)
    with tempfile.TemporaryDirectory(prefix="c10k-bench-") as out:
        start = time.monotonic()
        proc = subprocess.run([harness, "run", "--quick", "--out", out], timeout=580)
        took = time.monotonic() - start
        if proc.returncode != 0:
            fail(f"harness run --quick exited {proc.returncode}")
        run = os.path.join(out, "latest")
        with open(os.path.join(run, "results.csv"), newline="") as f:
            reader = csv.DictReader(f)
            if reader.fieldnames != COLUMNS:
                fail(f"results.csv columns {reader.fieldnames}")
            rows = list(reader)
        check_rows(rows, listed)
        check_outputs(run, listed)
        print(f"ok: {len(listed)} models, {len(rows)} rows, {took:.0f} s")


if __name__ == "__main__":
    main()
