#!/usr/bin/env python3
"""Writes tests/report/run-b from run-a with known changes, for the
harness compare test (tests/report.py compare): what it must call faster,
slower or within noise is then known.

    python3 tests/report/derive_b.py tests/report/run-a tests/report/run-b

- epoll, closed loop at c=256 and 1024: 2.5 times the req/s and the
  requests per server CPU-second in every round (CPU per request / 2.5):
  beyond the rounds' spread, so faster;
- epoll's maximum sustainable rate doubled in every round: faster;
- nginx, closed loop at c=16 and 256: p99 three times as long: slower;
- everything else unchanged (within noise), fork at c=1024 keeps its one
  ok round (not judged); meta.txt's date moves a day on.
"""
import csv
import io
import os
import sys


def derive(row):
    closed = row["kind"] == "load" and row["mode"] == "closed"
    if row["model"] == "epoll" and closed and row["conns"] in ("256", "1024"):
        for col, f in (("req_per_s", 2.5), ("requests", 2.5), ("req_per_cpu_s", 2.5),
                       ("srv_cpu_us_per_req", 1 / 2.5)):
            if row[col]:
                row[col] = f"{float(row[col]) * f:.{2 if col == 'srv_cpu_us_per_req' else 1}f}"
    if row["model"] == "epoll" and row["kind"] == "msr" and row["offered_rps"]:
        row["offered_rps"] = f"{float(row['offered_rps']) * 2:.1f}"
    if row["model"] == "nginx" and closed and row["conns"] in ("16", "256"):
        row["lat_p99_us"] = str(int(row["lat_p99_us"]) * 3)
    return row


def main(src, dst):
    os.makedirs(dst, exist_ok=True)
    with open(os.path.join(src, "results.csv"), newline="") as f:
        rd = csv.DictReader(f)
        rows = [derive(r) for r in rd]
        cols = rd.fieldnames
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    with open(os.path.join(dst, "results.csv"), "w") as f:
        f.write(out.getvalue())
    with open(os.path.join(src, "meta.txt")) as f:
        meta = f.read().replace("date: 2026-11-30", "date: 2026-12-01", 1)
    with open(os.path.join(dst, "meta.txt"), "w") as f:
        f.write(meta)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
