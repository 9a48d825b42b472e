#!/usr/bin/env python3
"""The report stage on committed fixture runs (tests/report/), no wrk needed.

    report.py golden HARNESS RUN          harness report reproduces RUN's
                                          summary.csv and summary.md byte for
                                          byte; report.html does not depend on
                                          where the run lies
    report.py verdict HARNESS RUN         the verdict reads right for this run,
                                          one round of it, a run without the
                                          open loop, an interrupted one
    report.py browser HARNESS RUN BROWSER report.html in headless Chromium
                                          (harness/report/browser.py check), and the
                                          check fails on a broken page
    report.py claims HARNESS RUN LOOPBACK the verdict claims only what the figures
                                          prove: no winner below another model's
                                          lower bound, no model "beating" the
                                          calibration server in the closed loop, a
                                          server contradicting itself left out
    report.py compare HARNESS A B         harness compare: B's known changes
                                          against A, one round, bad directories,
                                          equal-load steps at other rates
    report.py derive-b RUN_A RUN_B        writes the fixture run-b from run-a
                                          (derive_b() lists the changes)

Every run is copied into a temporary directory first (the fixtures stay
untouched) and removed at the end.
"""
import csv
import difflib
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile

FAILURES = []


def fail(msg):
    FAILURES.append(msg)
    print("FAIL:", msg)


def copy_run(src, dst, keep=lambda row: True, change=lambda row: row,
             meta=lambda text: text, rows=lambda rows: rows):
    """results.csv (rows for which keep is true, through change, then all of
    them through rows) and meta.txt (through meta) of src into dst."""
    os.makedirs(dst, exist_ok=True)
    with open(os.path.join(src, "results.csv"), newline="") as f:
        rd = csv.DictReader(f)
        rows = list(rows([change(r) for r in rd if keep(r)]))
        cols = rd.fieldnames
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    with open(os.path.join(dst, "results.csv"), "w") as f:
        f.write(out.getvalue())
    with open(os.path.join(dst, "meta.txt"), "w") as f:
        f.write(meta(read(os.path.join(src, "meta.txt"))))
    return dst


def derive_b(row):
    """run-b is run-a with known changes (what compare must find):
    - epoll, closed loop at c=256 and 1024: 2.5 times the req/s and the
      requests per server CPU-second in every round (CPU per request / 2.5):
      beyond the rounds' spread, so faster;
    - epoll's maximum sustainable rate doubled in every round: faster;
    - nginx, closed loop at c=16 and 256: p99 three times as long: slower;
    - everything else unchanged (within noise); fork at c=1024 keeps its one
      ok round (not judged); meta.txt's date moves a day on."""
    closed = row["kind"] == "load" and row["mode"] == "closed"
    if row["model"] == "epoll" and closed and row["conns"] in ("256", "1024"):
        for col, f, digits in (("req_per_s", 2.5, 1), ("requests", 2.5, 1),
                               ("req_per_cpu_s", 2.5, 1), ("srv_cpu_us_per_req", 0.4, 2)):
            if row[col]:
                row[col] = f"{float(row[col]) * f:.{digits}f}"
    if row["model"] == "epoll" and row["kind"] == "msr" and row["offered_rps"]:
        row["offered_rps"] = f"{float(row['offered_rps']) * 2:.1f}"
    if row["model"] == "nginx" and closed and row["conns"] in ("16", "256"):
        row["lat_p99_us"] = str(int(row["lat_p99_us"]) * 3)
    return row


def report(harness, run):
    p = subprocess.run([harness, "report", run], capture_output=True, text=True, timeout=240)
    if p.returncode != 0:
        fail(f"harness report {run} exited {p.returncode}: {p.stderr.strip()}")
    return p


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def same_file(got, want, name):
    a, b = read(got), read(want)
    if a == b:
        return
    diff = "".join(list(difflib.unified_diff(b.splitlines(True), a.splitlines(True),
                                             "committed/" + name, "generated/" + name))[:60])
    fail(f"{name} differs from the committed one (regenerate it with harness report and "
         f"review the difference if the change is meant):\n{diff}")


def golden(harness, fixture, tmp):
    run = copy_run(fixture, os.path.join(tmp, "run"))
    report(harness, run)
    for name in ("summary.csv", "summary.md"):
        same_file(os.path.join(run, name), os.path.join(fixture, name), name)
    # What limits each model by design is on the page, for the models of the
    # run (select's descriptor limit is the one every reader should meet).
    page = read(os.path.join(run, "report.html"))
    if "<h2 id=limits>" not in page or "FD_SETSIZE" not in page:
        fail("report.html does not say what limits each model (select: FD_SETSIZE)")
    # The same run elsewhere gives the same page: no absolute path, no
    # clock, no unstable order in it.
    other = copy_run(fixture, os.path.join(tmp, "elsewhere", "run"))
    report(harness, other)
    for name in ("report.html", "summary.md", "plots/plots.gp"):
        a = read(os.path.join(run, name)).replace(run, "RUN")
        b = read(os.path.join(other, name)).replace(other, "RUN")
        if a != b:
            fail(f"{name} depends on where the run lies")


def verdict_of(run):
    md = read(os.path.join(run, "summary.md"))
    start = md.index("## Verdict")
    return md[start:md.index("## Headline")].replace("**", "")  # the words, not the bold


def expect(text, words, where):
    for w in words:
        if w not in text:
            fail(f"{where}: the verdict does not say {w!r}:\n{text}")


def refuse(text, words, where):
    for w in words:
        if w in text:
            fail(f"{where}: the verdict says {w!r}, it should not:\n{text}")


def verdict(harness, fixture, tmp):
    full = copy_run(fixture, os.path.join(tmp, "full"))
    report(harness, full)
    v = verdict_of(full)
    expect(v, ["A --quick run", "models whose rounds overlap tie",
               "Low concurrency (c=16", "Medium concurrency (c=256",
               "High concurrency (c=1024", "Equal load, ", "Maximum sustainable rate",
               "the calibration server's", "nginx's", "Not ranked: single (starved)",
               "select (errors)", "Not measured: uring (skipped"], "two rounds")
    refuse(v, ["One round", "Partial run"], "two rounds")
    one = copy_run(fixture, os.path.join(tmp, "one"), lambda r: r["round"] == "0")
    report(harness, one)
    v = verdict_of(one)
    expect(v, ["One round: differences under 10% are not claimed"], "one round")
    refuse(v, ["their rounds overlap"], "one round")
    # A search the machine's noise ended (harness/run/step_rules.c: the failed step at
    # the bound was late twice with an idle loadgen): prefork's MSR is a lower
    # bound, said so and not ranked, and not blamed on loadgen's limit.
    # The calibration server's search ended the same way is named too: the
    # scale every model is compared with is a lower bound.
    def noisy_msr(r):
        if r["model"] in ("prefork", "calibration") and r["kind"] == "msr":
            r["flags"] = "lower-bound;noisy"
        return r
    noisy = copy_run(fixture, os.path.join(tmp, "noisy"), change=noisy_msr)
    report(harness, noisy)
    v = verdict_of(noisy)
    expect(v, ["The machine's noise (steal, a late loadgen that was not busy) ended the "
               "search for prefork, the calibration server: a lower bound, not ranked"],
           "noisy search")
    refuse(v, ["Loadgen's own limit came first for prefork",
               "prefork sustains the highest"], "noisy search")
    page = read(os.path.join(noisy, "report.html"))
    if "the machine&#39;s noise ended the search" not in page.replace("'", "&#39;"):
        fail("noisy search: the warnings do not say the machine's noise ended it")
    # Servers this harness does not know (a run from another version) state
    # no limits: neither the section nor its link in the navigation is there.
    def unknown(r):
        r["model"] = "other-" + r["model"]
        return r
    other = copy_run(fixture, os.path.join(tmp, "other"), change=unknown)
    report(harness, other)
    page = read(os.path.join(other, "report.html"))
    if 'href="#limits"' in page or "id=limits" in page:
        fail("unknown servers: the page links or shows 'What limits each model'")
    page = read(os.path.join(full, "report.html"))
    if 'href="#limits"' not in page or "id=limits" not in page:
        fail("full run: no 'What limits each model', or no link to it")
    closed = copy_run(fixture, os.path.join(tmp, "closed"), lambda r: r["mode"] != "open")
    report(harness, closed)
    v = verdict_of(closed)
    expect(v, ["Open loop: not in this run", "High concurrency"], "closed loop only")
    refuse(v, ["Equal load", "Maximum sustainable"], "closed loop only")
    # Interrupted in round 1 after the first two models: the others lack a
    # round, and the last model measured lacks its highest level.
    seen = []

    def interrupted(r):
        if r["round"] == "0":
            return True
        if r["model"] not in seen:
            seen.append(r["model"])
        return len(seen) <= 2 and not (len(seen) == 2 and r["conns"] == "1024")
    cut = copy_run(fixture, os.path.join(tmp, "cut"), interrupted)
    report(harness, cut)
    v = verdict_of(cut)
    expect(v, ["Partial run:", "lack some of the planned rounds or levels"], "interrupted")


def bullets(text):
    """The verdict's bullets: {label: answer}, in order."""
    out = {}
    for line in text.splitlines():
        if line.startswith("- "):
            label, _, rest = line[2:].partition(": ")
            out[label] = rest
    return out


def bullet(b, start, where):
    for label, text in b.items():
        if label.startswith(start):
            return text
    fail(f"{where}: no bullet {start!r} in {list(b)}")
    return ""


def msr_rows(cap):
    """results.csv change: every msr row that is a lower bound at most cap req/s."""
    def change(r):
        if r["kind"] == "msr" and "lower-bound" in r["flags"] and r["offered_rps"]:
            r["offered_rps"] = str(min(float(r["offered_rps"]), cap))
        return r
    return change


def claims_loopback(harness, loopback, tmp):
    """A full run on this machine's loopback (results/reference as recorded):
    select measured 46.8k req/s while uring's search stopped at loadgen's
    limit, >= 66.2k; at c=256 epoll-et's 74.8k req/CPU-s was above the
    calibration server's 68.5k."""
    run = copy_run(loopback, os.path.join(tmp, "loopback"))
    report(harness, run)
    v = verdict_of(run)
    b = bullets(v)
    labels = list(b)
    first = {k: next((i for i, l in enumerate(labels) if l.startswith(k)), -1)
             for k in ("Equal load", "Maximum sustainable", "Low concurrency")}
    if not 0 <= first["Equal load"] < first["Maximum sustainable"] < first["Low concurrency"]:
        fail(f"loopback: the verdict does not lead with equal load, then the sustainable "
             f"rate, then the closed loop: {labels}")
    msr = bullet(b, "Maximum sustainable", "loopback")
    expect(msr, ["no best model can be named", "uring", "up to 66.2k req/s",
                 "load hosts (--load-hosts) would settle it",
                 "Measured to their own limit, best first: threadpool 33.1k",
                 "loadgen used", "the server's CPU per request",
                 "--load-hosts removes that limit"], "winner below a lower bound")
    refuse(v, ["sustains the highest rate"], "winner below a lower bound")
    for label, text in b.items():
        if "closed loop" not in label:
            continue
        for m in re.finditer(r"([0-9.]+)x the calibration server's", text):
            if float(m.group(1)) > 1:
                fail(f"loopback: {label} presents a model as cheaper than the calibration "
                     f"server: {text}")
    expect(bullet(b, "Medium concurrency (c=256", "loopback"),
           ["epoll-et had the most requests per server CPU-second, 74.8k req/CPU-s, above "
            "the calibration server's 68.5k: utilisation, not efficiency"],
           "beating the calibration server in the closed loop")
    expect(bullet(b, "Low concurrency (c=1", "loopback"),
           ["epoll-et serves the most requests per server CPU-second, 16.7k req/CPU-s, 0.88x "
            "the calibration server's 19.0k"], "below the calibration server")
    md = read(os.path.join(run, "summary.md"))
    if "loadgen CPU" not in md or "--load-hosts" not in md:
        fail("loopback: the headline does not show loadgen's CPU per request beside the "
             "server's, or its caption does not say what the ratio means")
    # The same run with every lower bound at most 30k req/s: threadpool's
    # 33.1k is at least each of them, so it is named.
    low = copy_run(loopback, os.path.join(tmp, "low"), change=msr_rows(30000))
    report(harness, low)
    msr = bullet(bullets(verdict_of(low)), "Maximum sustainable", "bounds below")
    expect(msr, ["threadpool sustains the highest rate, 33.1k req/s",
                 "Loadgen's own limit came first for"], "bounds below the best")
    refuse(msr, ["no best model can be named"], "bounds below the best")


def claims_inconsistent(harness, fixture, tmp):
    """run-a: fork sustained 7314 req/s and missed the SLO at 3657 req/s in
    the same round (equal load)."""
    run = copy_run(fixture, os.path.join(tmp, "contradicts"))
    report(harness, run)
    v = verdict_of(run)
    b = bullets(v)
    for start in ("Equal load, 3657", "Maximum sustainable"):
        expect(bullet(b, start, "contradicting"), ["fork (inconsistent)"],
               "a server contradicting itself")
    expect(v, ["those points are left out of every claim (warnings: inconsistent)"],
           "a server contradicting itself")
    md = read(os.path.join(run, "summary.md"))
    if "- **inconsistent**: 3 points (fork)" not in md:
        fail(f"contradicting: the warnings do not name fork's 3 inconsistent points:\n{md}")
    fork = [l for l in md.splitlines() if l.startswith("| **fork**")]
    if not fork or fork[0].split("|")[3].strip() != "-":
        fail(f"contradicting: the headline still shows fork's sustainable rate: {fork}")
    # Without the failed step fork does not contradict itself.
    calm = copy_run(fixture, os.path.join(tmp, "calm"), lambda r: not (
        r["model"] == "fork" and r["step"] == "equal" and r["offered_rps"] == "3657.0"))
    report(harness, calm)
    refuse(verdict_of(calm), ["inconsistent"], "fork without its failed step")
    # A sustained rate whose p99 at 50% of it misses the SLO: select's
    # round 0 sustained 29.3k req/s; at 14.6k (cap50) its p99 was 25 ms.
    def cap50(rows):
        for r in rows:
            yield r
            if r["model"] == "select" and r["round"] == "0" and r["kind"] == "msr":
                c = dict(r, kind="load", step="cap50", offered_rps="14627.8",
                         achieved_rps="14620.0", req_per_s="14620.0", requests="7310",
                         lat_p99_us="25000", flags="slo-missed", note="")
                yield c
    slo = copy_run(fixture, os.path.join(tmp, "cap50"), rows=cap50)
    report(harness, slo)
    b = bullets(verdict_of(slo))
    msr = bullet(b, "Maximum sustainable", "cap50 missed")
    expect(msr, ["select (inconsistent)"], "p99 at 50% of the rate missed the SLO")
    refuse(msr, ["select sustains"], "p99 at 50% of the rate missed the SLO")


def claims_mixed(harness, fixture, tmp):
    """run-a as a mixed run: the verdict answers the cheap requests' p99
    first, ties where rounds overlap; the headline shows the column."""
    # The cheap-class p99 (µs) per model and round at equal load: prefork
    # and select overlap (a tie), epoll is slower.
    cheap = {"prefork": ("1200", "1300"), "select": ("1250", "1400"), "epoll": ("5000", "5200"),
             "single": ("9000", "9100"), "fork": ("8000", "8100"), "nginx": ("3000", "3100"),
             "calibration": ("100", "110")}
    run = copy_run(fixture, os.path.join(tmp, "mixed"))
    path = os.path.join(run, "results.csv")
    with open(path, newline="") as f:  # the columns run-a predates
        rd = csv.DictReader(f)
        rows, cols = list(rd), list(rd.fieldnames)
    at = cols.index("lag_p99_us") + 1
    cols[at:at] = ["cheap_p99_us", "expensive_p99_us"]
    if "workload" not in cols:
        cols.insert(cols.index("category") + 1, "workload")
    for r in rows:
        r["workload"] = "mixed"
        mixed = r["step"] == "equal" and r["model"] in cheap
        r["cheap_p99_us"], r["expensive_p99_us"] = (
            (cheap[r["model"]][int(r["round"])], "40000") if mixed else ("", ""))
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    report(harness, run)
    b = bullets(verdict_of(run))
    merit = bullet(b, "The figure of merit of the mixed workload, the cheap requests' p99 "
                   "behind the expensive ones at 3657 req/s", "mixed")
    expect(merit, ["prefork keeps the cheap requests' p99 lowest, 1.25 ms",
                   "0.41x nginx's 3.05 ms", "select ties with it (their rounds overlap)",
                   "fork (inconsistent)"], "mixed: the cheap p99")
    refuse(merit, ["epoll ties", "epoll, select"], "mixed: the cheap p99")
    if not list(b)[0].startswith("The figure of merit"):
        fail(f"mixed: the verdict does not answer the figure of merit first: {list(b)}")
    md, html = read(os.path.join(run, "summary.md")), read(os.path.join(run, "report.html"))
    if "cheap p99 ms at" not in md or "(figure of merit)" not in md or \
            "<h2 id=mixed>Cheap requests behind expensive ones" not in html:
        fail("mixed: no cheap-class p99 as the figure of merit in the headline or section")


def claims(harness, fixture, loopback, tmp):
    claims_loopback(harness, loopback, tmp)
    claims_inconsistent(harness, fixture, tmp)
    claims_mixed(harness, fixture, tmp)


def browser(harness, fixture, tool, tmp):
    run = copy_run(fixture, os.path.join(tmp, "run"))
    report(harness, run)
    p = subprocess.run([tool, "check", run], capture_output=True, text=True, timeout=300)
    print(p.stdout, end="")
    if p.returncode == 77:
        sys.exit(77)
    if p.returncode != 0:
        fail(f"browser check of the fixture's report failed:\n{p.stdout}{p.stderr}")
    # The check must see what a person would: a broken image, a script
    # error and something wider than the page, in a copy of the page.
    html = read(os.path.join(run, "report.html"))
    broken = html.replace("<body>", "<body><div style=\"width:3000px\">wide</div>"
                          "<img alt=\"broken\" src=\"plots/missing.png\">"
                          "<script>no_such_function();</script>", 1)
    with open(os.path.join(run, "report.html"), "w", encoding="utf-8") as f:
        f.write(broken)
    p = subprocess.run([tool, "check", run], capture_output=True, text=True, timeout=300)
    for what in ("image does not load: broken", "wider than", "no_such_function"):
        if p.returncode != 1 or what not in p.stdout:
            fail(f"browser check of a broken page does not report {what!r}:\n{p.stdout}")


def compare(harness, a, b, tmp):
    out = os.path.join(tmp, "compare.html")
    p = subprocess.run([harness, "compare", a, b, "--out", out], capture_output=True,
                       text=True, timeout=120)
    if p.returncode != 0:
        fail(f"harness compare exited {p.returncode}: {p.stderr}")
    md = p.stdout
    rows = {}
    for line in md.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 7 and cells[0] not in ("model", "---"):
            rows[(cells[0], cells[1], cells[2])] = cells
    # What derive_b() changed in run-b, and what it left.
    known = {
        ("epoll", "c=256", "req/s"): "faster",
        ("epoll", "c=256", "req/CPU-s"): "faster",
        ("epoll", "c=1024", "req/s"): "faster",
        ("nginx", "c=16", "p99 ms"): "slower",
        ("nginx", "c=256", "p99 ms"): "slower",
        ("select", "c=256", "req/s"): "within noise",
        ("prefork", "c=16", "req/CPU-s"): "within noise",
        ("epoll", "msr", "req/s"): "faster",
        ("fork", "c=1024", "req/s"): "no judgement (1 round)",
        # fork contradicted itself in both runs (report-claims): never judged
        ("fork", "msr", "req/s"): "no judgement (inconsistent)",
        ("fork", "equal 3657 req/s", "CPU us/req"): "no judgement (inconsistent)",
    }
    for key, want in known.items():
        got = rows.get(key)
        if not got or got[6] != want:
            fail(f"compare {key}: expected {want!r}, got {got}")
    if not os.path.isfile(out) or "<table" not in read(out):
        fail("compare.html missing or without a table")
    one = copy_run(b, os.path.join(tmp, "one"), lambda r: r["round"] == "0")
    p = subprocess.run([harness, "compare", a, one, "--out", os.path.join(tmp, "c1.html")],
                       capture_output=True, text=True, timeout=120)
    judged = [l for l in p.stdout.splitlines() if "| faster |" in l or "| slower |" in l]
    if p.returncode != 0 or judged or "no judgement is possible" not in p.stdout:
        fail(f"compare against one round judged {len(judged)} figures:\n{p.stdout[:2000]}")
    # Equal load given in % of each run's calibration server: B's calibration
    # sustained 1.2 times as much, so its equal-load steps were offered 1.2
    # times the rate. Those points are listed as not comparable, never
    # divided; the closed loop and the sustainable rates still are.
    def faster_calibration(r):
        if r["mode"] == "open" and r["step"] == "equal":
            for col in ("offered_rps", "achieved_rps", "req_per_s"):
                if r[col]:
                    r[col] = f"{float(r[col]) * 1.2:.1f}"
        return r
    other = copy_run(a, os.path.join(tmp, "other-rates"), change=faster_calibration)
    p = subprocess.run([harness, "compare", a, other, "--out", os.path.join(tmp, "c2.html")],
                       capture_output=True, text=True, timeout=120)
    divided = [l for l in p.stdout.splitlines() if l.startswith("|") and "equal" in l]
    if p.returncode != 0 or divided:
        fail(f"compare at other equal-load rates divided {len(divided)} figures:\n"
             f"{chr(10).join(divided[:5])}")
    for words in ("Not comparable (offered at different rates or connections, so never "
                  "divided): equal load at 3657 req/s (256 connections) in A, 4388 req/s "
                  "(256) in B: single, fork, epoll, select, prefork, calibration, nginx",
                  "equal load at 7314 req/s (256 connections) in A, 8777 req/s",
                  "give both runs the same --equal-load in req/s"):
        if words not in p.stdout:
            fail(f"compare at other equal-load rates does not say {words!r}:\n{p.stdout[-1500:]}")
    if "| epoll | msr | req/s |" not in p.stdout or "| epoll | c=256 | req/s |" not in p.stdout:
        fail("compare at other equal-load rates dropped the comparable figures")
    if "Not comparable" in md:
        fail(f"compare of run-a and run-b (the same rates) lists points as not comparable")
    for args, what in (([a, os.path.join(tmp, "nowhere")], "a missing directory"),
                       ([a], "one run only"), ([tmp, b], "a directory without results.csv")):
        p = subprocess.run([harness, "compare"] + args, capture_output=True, text=True,
                           timeout=60)
        lines = p.stderr.strip().splitlines()
        if p.returncode != 2 or len(lines) != 1 or not lines[0].startswith("harness: "):
            fail(f"compare with {what}: exit {p.returncode}, stderr {p.stderr!r}")


def main():
    if sys.argv[1] == "derive-b":   # report.py derive-b RUN_A RUN_B: writes run-b
        copy_run(sys.argv[2], sys.argv[3], change=derive_b,
                 meta=lambda t: t.replace("date: 2026-11-30", "date: 2026-12-01", 1))
        return
    cmd, harness = sys.argv[1], os.path.abspath(sys.argv[2])
    args = [os.path.abspath(a) for a in sys.argv[3:]]
    with tempfile.TemporaryDirectory(prefix="c10k-report-") as tmp:
        {"golden": golden, "verdict": verdict, "browser": browser,
         "compare": compare, "claims": claims}[cmd](harness, *args, tmp)
    if FAILURES:
        print(f"{len(FAILURES)} failure(s)")
        sys.exit(1)
    print(f"ok: report {cmd}")


if __name__ == "__main__":
    main()
