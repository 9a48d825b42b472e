#!/usr/bin/env python3
"""The multihost suite, part 2: `harness run --load-hosts` end to end, with
two load hosts (network namespaces with their own sshd, netlab.py) and the
server on this machine, bound to the lab's server address.

    test_harness.py HARNESS

Checks, each printed PASS/FAIL:
- a run of epoll and the calibration server, one closed-loop level (16
  connections, loadgen --closed on the hosts) and two open-loop steps (2000
  and 4000 req/s): exit 0; per point one merged row (host=all) and one row
  per host with its share (connections split, rate halved); merged
  completions == the sum of the hosts' == the server's count up to what can
  be in flight; the merged p99 between the hosts' p99s; summary.csv holds
  the merged points only; meta.txt and the report name the hosts and their
  clock offsets; the run directory holds only the report's files; nothing
  runs and nothing copied is left on either host;
- SIGINT to the harness in the middle of a step: loadgen ran on both hosts
  pinned to the client CPUs; exit 130; nothing left on either host;
- one line on stderr and exit 2, before any work (no run directory, nothing
  left on the host), for: --target without --load-hosts and the reverse, an
  address that is not this machine's, an unreachable host, authentication
  refused, the wrong architecture, loadgen missing there, a clock offset
  too large (a host whose `date` runs 2.5 s ahead).
The namespaces' processes are pinned to the client CPUs, the server to the
others, as the harness splits them. Exit 77 (skip) where namespaces cannot
be made (not root, no `ip netns`).
"""

import csv
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netlab  # noqa: E402
from mhlib import (check, client_cpus, expect, failures, fake_tools,  # noqa: E402
                   only_sshd_left)

RUN_TIMEOUT_S = 240          # the two-host run, on a loaded machine (about 40 s)
ERROR_TIMEOUT_S = 120        # a run refused before any work
STOP_TIMEOUT_S = 60          # from SIGINT to the harness's exit
RUN_FILES = {"hgrm", "logs", "meta.txt", "plots", "report.html", "results.csv", "summary.csv",
             "summary.md"}


def server_cpus():
    """The other half of the harness's split (client_cpus is the rest)."""
    cpus = sorted(os.sched_getaffinity(0))
    return ",".join(map(str, cpus[:max(len(cpus) // 2, 1)]))


def base_args(lab, out):
    return ["--ssh-config", lab.ssh_config, "--target", lab.server_addr,
            "--server-cpus", server_cpus(), "--client-cpus", client_cpus(), "--out", out]


def num(row, key):
    return float(row[key]) if row[key] else None


def loadgen_dirs(run):
    """The hosts' temporary directories, from meta.txt's load_host lines."""
    with open(os.path.join(run, "meta.txt")) as f:
        meta = f.read()
    return re.findall(r"^load_host_\S+: .*loadgen (\S+)/loadgen$", meta, re.M)


def nothing_left(lab, dirs):
    for h in lab.hosts:
        only_sshd_left(lab, h)
    for d in dirs:
        expect(not os.path.exists(d), f"{d} left on a host")
        p = subprocess.run(["ssh", "-F", lab.ssh_config, "h0", f"test -e '{d}'"],
                           capture_output=True, timeout=ERROR_TIMEOUT_S)
        expect(p.returncode == 1, f"ssh test -e {d}: exit {p.returncode}")


# ---- the run ----------------------------------------------------------------------

def group_points(rows):
    """{(model, mode, step, offered over all hosts): {host: row}}; a host's
    offered rate is half the point's (two hosts)."""
    points = {}
    for r in rows:
        offered = num(r, "offered_rps") or 0
        key = (r["model"], r["mode"], r["step"], offered * (1 if r["host"] == "all" else 2))
        expect(r["host"] not in points.get(key, {}), f"two rows for {key} {r['host']}")
        points.setdefault(key, {})[r["host"]] = r
    return points


def check_point(key, rows):
    expect(set(rows) == {"all", "h0", "h1"}, f"{key}: rows for {sorted(rows)}")
    m, hosts = rows["all"], [rows["h0"], rows["h1"]]
    for r in [m] + hosts:
        expect(r["status"] == "ok", f"{key} {r['host']}: {r['status']} {r['note']}")
    expect(num(m, "conns") == sum(num(h, "conns") for h in hosts) and
           abs(num(hosts[0], "conns") - num(hosts[1], "conns")) <= 1,
           f"{key}: conns {m['conns']} split {[h['conns'] for h in hosts]}")
    completed = [num(h, "requests") for h in hosts]
    expect(num(m, "requests") == sum(completed) and min(completed) > 0,
           f"{key}: merged {m['requests']}, hosts {completed}")
    # Open steps: the server also answered loadgen's warm-up (same process).
    warmup = num(m, "warmup_requests") if m["warmup_requests"] else 0
    excess = num(m, "srv_responses") - num(m, "requests") - warmup
    expect(0 <= excess <= num(m, "conns") * num(m, "pipeline"),
           f"{key}: server {m['srv_responses']}, loadgen {m['requests']} + {warmup} in warm-up")
    p99 = [num(h, "lat_p99_us") for h in hosts]
    expect(min(p99) <= num(m, "lat_p99_us") <= max(p99),
           f"{key}: merged p99 {m['lat_p99_us']} outside the hosts' {p99}")
    expect(num(m, "threads") == sum(num(h, "threads") for h in hosts), f"{key}: threads")
    print(f"  {key[0]:<11} {key[1]:<6} {key[2] or '-':<4} offered {key[3]:>6.0f}: "
          f"all {m['requests']:>6} ({m['srv_responses']} served) p99 {m['lat_p99_us']} us"
          f" | h0 {hosts[0]['requests']:>6} p99 {hosts[0]['lat_p99_us']} us"
          f" | h1 {hosts[1]['requests']:>6} p99 {hosts[1]['lat_p99_us']} us"
          f"  flags {m['flags'] or '-'}")


def check_run(run, rows):
    hosts = {r["host"] for r in rows}
    expect(hosts == {"all", "h0", "h1"}, f"host column holds {sorted(hosts)}")
    points = group_points(rows)
    expect(len(points) == 6, f"{len(points)} points, want 2 models x 3")
    for key, by_host in sorted(points.items()):
        check_point(key, by_host)
    with open(os.path.join(run, "summary.csv")) as f:
        summary = list(csv.DictReader(f))
    expect(len(summary) == 6, f"summary.csv has {len(summary)} points, want the 6 merged")
    with open(os.path.join(run, "meta.txt")) as f:
        meta = f.read()
    expect("\nload_hosts: h0,h1\n" in meta and re.search(r"^load_host_h1: .*clock offset", meta,
                                                          re.M), "meta.txt: hosts")
    with open(os.path.join(run, "report.html")) as f:
        html = f.read()
    expect("Each load host" in html and "epoll @ h1" in html, "report.html: host table")
    expect(set(os.listdir(run)) == RUN_FILES, f"run directory holds {os.listdir(run)}")
    # One corrected histogram per open-loop point, the hosts' merged.
    hgrm = sorted(os.listdir(os.path.join(run, "hgrm")))
    expect(len(hgrm) == 4 and all(h.endswith(".hgrm") for h in hgrm),
           f"hgrm/ holds {hgrm}, want 2 models x 2 rates")


def two_host_run(lab, harness):
    with tempfile.TemporaryDirectory(prefix="c10k-mh-out-") as out:
        cmd = [harness, "run", "--load-hosts", "h0,h1", "--models", "epoll,calibration",
               "--rates", "2000,4000", "--conns", "16", "--duration", "1", "--warmup", "0",
               "--rate-duration", "1", "--memory-idle", "0"] + base_args(lab, out)
        print("  " + " ".join(cmd), flush=True)
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
        for line in p.stdout.splitlines():
            if line.startswith(("load host", "[")):
                print("  | " + line)
        expect(p.returncode == 0, f"exit {p.returncode}: {p.stderr.strip()}")
        run = os.path.join(out, os.readlink(os.path.join(out, "latest")))
        with open(os.path.join(run, "results.csv")) as f:
            rows = list(csv.DictReader(f))
        print(f"  results.csv: {len(rows)} rows ({sum(r['host'] == 'all' for r in rows)} "
              "merged)")
        dirs = loadgen_dirs(run)
        expect(len(dirs) == 2, f"meta.txt: loadgen directories {dirs}")
        check_run(run, rows)
        nothing_left(lab, dirs)


# ---- Ctrl-C -------------------------------------------------------------------------

def loadgens(lab, duration):
    """{host alias: (pid, argv, Cpus_allowed_list)} of loadgen processes
    measuring for duration (not the warm-up before)."""
    found = {}
    for h in lab.hosts:
        for pid in lab.ns_pids(h):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    argv = f.read().decode().split("\0")
                with open(f"/proc/{pid}/status") as f:
                    cpus = re.search(r"Cpus_allowed_list:\s*(\S+)", f.read()).group(1)
            except (FileNotFoundError, ProcessLookupError):
                continue
            if argv[0].endswith("/loadgen") and duration in argv:
                found[h.alias] = (pid, argv, cpus)
    return found


def interrupted_run(lab, harness):
    with tempfile.TemporaryDirectory(prefix="c10k-mh-out-") as out:
        cmd = [harness, "run", "--load-hosts", "h0,h1", "--models", "epoll", "--conns", "none",
               "--rates", "2000", "--rate-duration", "30", "--memory-idle", "0"] + \
            base_args(lab, out)
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + RUN_TIMEOUT_S
            while len(seen := loadgens(lab, "30.000")) < 2 and p.poll() is None and \
                    time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(1.0)  # into the step
            p.send_signal(signal.SIGINT)
            stdout, stderr = p.communicate(timeout=STOP_TIMEOUT_S)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        expect(len(seen) == 2, f"loadgen did not run on both hosts: {seen}; {stderr}")
        for alias, (pid, argv, cpus) in seen.items():
            print(f"  {alias}: loadgen PID {pid} on CPUs {cpus}: {' '.join(argv[1:])}")
            expect(cpus == client_cpus(), f"{alias}: loadgen on CPUs {cpus}")
        expect(p.returncode == 130 and "interrupted" in stdout,
               f"exit {p.returncode}: {stdout[-300:]} {stderr}")
        nothing_left(lab, [os.path.dirname(argv[0]) for _, argv, _ in seen.values()])


# ---- refused before any work -----------------------------------------------------------

def refused(lab, harness, args, want):
    before = set(os.listdir(lab.remote_tmp))
    with tempfile.TemporaryDirectory(prefix="c10k-mh-out-") as out:
        p = subprocess.run([harness, "run", "--models", "epoll", "--conns", "16", "--rates",
                            "none", "--memory-idle", "0", "--out", out] + args,
                           capture_output=True, text=True, timeout=ERROR_TIMEOUT_S)
        print(f"  exit {p.returncode}: {p.stderr.strip()}")
        expect(p.returncode == 2, f"exit {p.returncode}, want 2")
        lines = p.stderr.splitlines()
        expect(len(lines) == 1 and re.search(want, lines[0]), f"want one line ~ {want!r}")
        expect(os.listdir(out) == [], f"work was done: {os.listdir(out)}")
    left = [d for d in set(os.listdir(lab.remote_tmp)) - before
            if d.startswith("c10k-lab.")]
    expect(left == [], f"left on the hosts ({lab.remote_tmp}): {left}")
    nothing_left(lab, [])


def refusals(lab, harness):
    ssh = ["--ssh-config", lab.ssh_config]
    target = ["--target", lab.server_addr]
    return [
        ("--target without --load-hosts", target, r"--target is only used with --load-hosts"),
        ("--load-hosts without --target", ["--load-hosts", "h0"] + ssh,
         r"--load-hosts needs --target"),
        ("--target not this machine's", ["--load-hosts", "h0", "--target",
                                          lab.hosts[0].addr] + ssh,
         r"--target \S+: not an address of this machine"),
        ("unreachable host", ["--load-hosts", "h0,h1-refused"] + ssh + target,
         r"^harness: h1-refused: unreachable: .*Connection refused"),
        ("authentication refused", ["--load-hosts", "h0-badkey"] + ssh + target,
         r"^harness: h0-badkey: authentication refused"),
        ("wrong architecture", ["--load-hosts", "h1-fakearch"] + ssh + target,
         r"^harness: h1-fakearch: wrong architecture: fakearch64 there"),
        ("loadgen missing there", ["--load-hosts", "h0", "--remote-loadgen",
                                   "/nonexistent/loadgen"] + ssh + target,
         r"^harness: h0: loadgen missing: /nonexistent/loadgen"),
        # The offset is measured as half a round trip: on a loaded machine
        # the 2.5 s skew can read tens of ms off, never hundreds.
        ("clock offset too large", ["--load-hosts", "h0-fakeclock", "--duration", "2"] +
         ssh + target, r"^harness: h0-fakeclock: clock offset too large: \+2[45]\d\d\.\d+ ms"),
    ]


def run_checks(lab, harness):
    for h in lab.hosts:
        print(f"host {h.alias}: netns {h.netns}, {h.addr}, sshd PID {h.sshd.pid}, "
              f"CPUs {client_cpus()}")
    print(f"server address {lab.server_addr}, server CPUs {server_cpus()}")
    check("route guard", lab.check_routes)
    check("two hosts: merged and per-host rows, counts, p99, nothing left",
          two_host_run, lab, harness)
    check("SIGINT mid-step: nothing left on the hosts", interrupted_run, lab, harness)
    for name, args, want in refusals(lab, harness):
        check(f"refused before any work: {name}", refused, lab, harness, args, want)


def main():
    harness = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="c10k-fake-") as fakes:
        arch, clock = fake_tools(fakes)
        identities = [("badkey", False, None),
                      ("fakearch", True, f"{arch}:/usr/local/bin:/usr/bin:/bin"),
                      ("fakeclock", True, f"{clock}:/usr/local/bin:/usr/bin:/bin")]
        try:
            with netlab.NetLab(hosts=2, cpus=client_cpus(), identities=identities) as lab:
                run_checks(lab, harness)
        except netlab.Unavailable as e:
            print(f"SKIP: {e}")
            return 77
    print(f"{len(failures)} failed" if failures else "all passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
