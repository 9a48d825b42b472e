#!/usr/bin/env python3
"""The multihost suite, part 1: harness/remote.c end to end against two load
hosts (network namespaces with their own sshd, netlab.py) on this machine.

    test_remote.py REMOTE_CHECK LOADGEN SERVER DOCROOT

REMOTE_CHECK drives remote.c (remote_check.c); LOADGEN (build/loadgen) is
copied to the hosts as the harness does; SERVER (a model) serves DOCROOT on
the server address so that the hosts' path to it is tried too. Checks, each
printed PASS/FAIL:
- the route guard: the lab's targets stay on its veth devices; an address
  elsewhere aborts; a namespace has no route but to the server;
- per host: prepare (mktemp + scp + --version there), the clock offset
  within its stated bound, spawned commands' output and exit status back,
  the remote PID right, pinned to the client CPUs, cleanup leaving no
  process and no directory;
- Ctrl-C: the local ssh dies, the remote command survives it, cleanup ends it;
- one clear line for: unreachable (refused, silent), authentication refused,
  wrong architecture, loadgen missing, a remote command's failure;
- the clock offset's sign and the date fallback, against a host whose
  `date` runs 2.5 s ahead.
Exit 77 (skip) where namespaces cannot be made (not root, no `ip netns`).
"""

import os
import platform
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netlab  # noqa: E402
from mhlib import (FAKE_SKEW_NS, check, client_cpus, expect, failures,  # noqa: E402
                   fake_tools, gone, only_sshd_left)

RUN_TIMEOUT_S = 120              # one remote_check run, on a loaded machine
KEY_RE = re.compile(r"^([a-z_]+)=(.*)$")


class Driver:
    """remote_check runs; their key=value lines as a dict (lines with a
    prefix such as "out: " kept in .lines)."""

    def __init__(self, exe, lab):
        self.exe, self.lab = exe, lab

    def __call__(self, dest, mode, *args):
        p = subprocess.run([self.exe, self.lab.ssh_config, dest, mode, *args],
                           capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
        kv, lines = {}, []
        for line in p.stdout.splitlines():
            m = KEY_RE.match(line)
            if m and m.group(1) not in kv:
                kv[m.group(1)] = m.group(2)
            else:
                lines.append(line)
        kv["exit"] = p.returncode
        kv["lines"], kv["stderr"] = lines, p.stderr
        print(f"  {dest} {mode}: " + " ".join(
            f"{k}={v}" for k, v in kv.items() if k not in ("lines", "stderr")), flush=True)
        return kv


def nothing_left_there(drv, lab, h, kv):
    d = kv.get("dir", "")
    if d:
        expect(not os.path.exists(d), f"directory {d} left on {h.alias}")
        p = subprocess.run(["ssh", "-F", lab.ssh_config, h.alias, f"test -e '{d}'"],
                           capture_output=True, timeout=RUN_TIMEOUT_S)
        expect(p.returncode == 1, f"ssh test -e {d} on {h.alias}: exit {p.returncode}")
    for pid in (kv.get("remote_pid"),):
        if pid:
            expect(gone(int(pid)), f"PID {pid} still runs on {h.alias}")
    only_sshd_left(lab, h)


# ---- the checks -------------------------------------------------------------------

def route_guard(lab):
    lab.check_routes()
    for bad in ("203.0.113.7", "127.0.0.1"):
        try:
            lab.check_routes(extra_targets=[bad])
        except netlab.RouteError as e:
            print(f"  guard refused {bad}: {e}")
        else:
            raise AssertionError(f"route guard accepted {bad}")
    for h in lab.hosts:
        r = netlab.route_get("203.0.113.7", h.netns)
        expect(r is None, f"{h.netns} has a route out of the lab: {r}")


def full(drv, lab, h, binary, cpus):
    kv = drv(h.alias, "full", binary)
    expect(kv["exit"] == 0, f"exit {kv['exit']}: {kv.get('error')} {kv['stderr']}")
    expect(kv["arch"] == platform.machine(), f"arch {kv['arch']}")
    expect(kv["loadgen"] == f"{kv['dir']}/{os.path.basename(binary)}", kv["loadgen"])
    off, unc = int(kv["offset_ns"]), int(kv["uncertainty_ns"])
    print(f"  {h.alias} clock offset {off / 1e3:+.1f} us, uncertainty {unc / 1e3:.1f} us")
    # Same clock on both sides: the true offset is 0, so the bound must hold.
    expect(0 < unc < 1_000_000_000 and abs(off) <= unc, "offset outside its bound")
    local = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout
    got = [ln.removeprefix("version: ") for ln in kv["lines"] if ln.startswith("version: ")]
    expect(got == local.splitlines(), f"--version there {got}, here {local!r}")
    probe = {ln.split()[1]: ln.split(None, 2)[2] for ln in kv["lines"]
             if ln.startswith("probe: ")}
    conn = probe["conn"].split()
    expect(conn[0] == h.gateway and conn[2] == h.addr, f"SSH_CONNECTION {conn}")
    expect(probe["Cpus_allowed_list:"].strip() == cpus,
           f"pinned to {probe['Cpus_allowed_list:']}, want {cpus}")
    expect(kv["cleanup"] == "ok", kv.get("cleanup_error"))
    nothing_left_there(drv, lab, h, kv)
    return probe


def spawn_pid(drv, lab, h):
    """The PID remote_spawn records is the command's own $$."""
    kv = drv(h.alias, "run", "/bin/sh", "-c", "echo $$")
    expect(kv["exit"] == 0 and kv["lines"] == [f"out: {kv['remote_pid']}"],
           f"remote_pid {kv.get('remote_pid')}, the command said {kv['lines']}")
    nothing_left_there(drv, lab, h, kv)


def interrupt(drv, lab, h, binary):
    kv = drv(h.alias, "interrupt", binary)
    expect(kv["exit"] == 0, f"exit {kv['exit']}: {kv.get('error')} {kv['stderr']}")
    expect(kv["interrupted"] == "2" and kv["local_ssh_ended"] == "1", "Ctrl-C path")
    expect(kv["alive_before_cleanup"] == "1",
           "the remote command died with ssh: the test proves nothing")
    expect(kv["cleanup"] == "ok", kv.get("cleanup_error"))
    nothing_left_there(drv, lab, h, kv)


def error_line(drv, lab, h, dest, args, want):
    """args: remote_check's mode and arguments; want: a regex of the line.
    After a failure past mktemp the directory must be gone too."""
    kv = drv(dest, *args)
    expect(kv["exit"] == 1, f"exit {kv['exit']}, want 1 (a failure)")
    err = kv.get("error", "")
    expect(re.search(want, err), f"error line {err!r} does not match {want!r}")
    expect(kv["lines"] == [] or args[0] == "run", f"more than one line: {kv['lines']}")
    expect(kv.get("cleanup") == "ok", kv.get("cleanup_error"))
    expect(("dir" in kv) == ("does not run" in want), f"dir={kv.get('dir')}")
    nothing_left_there(drv, lab, h, kv)


def fake_clock(drv, lab, h):
    kv = drv(f"{h.alias}-fakeclock", "clock")
    expect(kv["exit"] == 0, f"exit {kv['exit']}: {kv.get('error')}")
    off, unc = int(kv["offset_ns"]), int(kv["uncertainty_ns"])
    print(f"  {h.alias}-fakeclock offset {off / 1e9:+.6f} s, uncertainty {unc / 1e3:.1f} us")
    expect(abs(off - FAKE_SKEW_NS) <= unc, f"offset {off}, want {FAKE_SKEW_NS} +- {unc}")


def serve_from_hosts(drv, lab, server, docroot):
    """Each host fetches / from the server address (the load's path)."""
    srv = subprocess.Popen([server, "--bind", lab.server_addr, "--port", "0",
                            "--docroot", docroot], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True)
    try:
        m = re.match(r"listening on [\d.]+:(\d+)", srv.stdout.readline())
        expect(m, "server did not start")
        fetch = (f"exec 3<>/dev/tcp/{lab.server_addr}/{m.group(1)}; "
                 "printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3; head -n 1 <&3")
        for h in lab.hosts:
            kv = drv(h.alias, "run", "bash", "-c", fetch)
            expect(kv["exit"] == 0 and kv["lines"] == ["out: HTTP/1.1 200 OK"],
                   f"{h.alias}: {kv['lines']} {kv.get('error')}")
    finally:
        srv.terminate()
        srv.wait(10)


def run_checks(lab, drv, binary, server, docroot, cpus, broken):
    h0, h1 = lab.hosts
    for h in lab.hosts:
        print(f"host {h.alias}: netns {h.netns}, {h.addr} via {h.root_dev} "
              f"(root side {h.gateway}), sshd PID {h.sshd.pid}, CPUs {cpus}")
    print(f"server address {lab.server_addr}")
    check("route guard", route_guard, lab)
    for h in lab.hosts:
        check(f"{h.alias}: prepare, clock, spawn, cleanup", full, drv, lab, h, binary, cpus)
    check("spawn records the command's PID", spawn_pid, drv, lab, h0)
    check("Ctrl-C: cleanup kills the remote command", interrupt, drv, lab, h1, binary)
    check("clock offset sign, date fallback", fake_clock, drv, lab, h0)
    check("hosts reach the server address", serve_from_hosts, drv, lab, server, docroot)
    for name, dest, args, want in (
        ("unreachable (refused)", "h0-refused", ("prepare", binary),
         r"^h0-refused: unreachable: .*Connection refused"),
        ("unreachable (no answer)", "h0-silent", ("prepare", binary),
         r"^h0-silent: unreachable: .*(No route to host|timed out)"),
        ("authentication refused", "h0-badkey", ("prepare", binary),
         r"^h0-badkey: authentication refused .*Permission denied"),
        ("wrong architecture", "h0-fakearch", ("prepare", binary),
         rf"^h0-fakearch: wrong architecture: fakearch64 there, {platform.machine()} here"),
        ("loadgen missing there", "h0", ("prepare", binary, "/nonexistent/loadgen"),
         r"^h0: loadgen missing: /nonexistent/loadgen is not an executable file "
         r"there \(--remote-loadgen\)$"),
        ("loadgen does not run there", "h1", ("prepare", broken),
         r"^h1: loadgen does not run there: --version failed \(exit status 127\): "
         r".*error while loading shared libraries: libc10k\.so\.1"),
        ("loadgen missing here", "h0", ("prepare", "/nonexistent/loadgen"),
         r"^loadgen not found at /nonexistent/loadgen"),
        ("remote command fails", "h1", ("run", "/bin/sh", "-c", "echo boom >&2; exit 3"),
         r"^h1: /bin/sh failed \(exit status 3\): boom$"),
        ("spawn on an unreachable host", "h1-refused", ("run", "/bin/true"),
         r"^h1-refused: unreachable: "),
    ):
        host = h1 if dest.startswith("h1") else h0
        check(f"error line: {name}", error_line, drv, lab, host, dest, args, want)
    check("--remote-loadgen used in place", lambda: expect(
        drv("h1", "prepare", binary, binary)["exit"] == 0, "prepare failed"))


def main():
    exe, binary, server, docroot = (os.path.abspath(a) for a in sys.argv[1:5])
    cpus = client_cpus()
    with tempfile.TemporaryDirectory(prefix="c10k-fake-") as fakes:
        arch, clock = fake_tools(fakes)
        identities = [("badkey", False, None),
                      ("fakearch", True, f"{arch}:/usr/local/bin:/usr/bin:/bin"),
                      ("fakeclock", True, f"{clock}:/usr/local/bin:/usr/bin:/bin")]
        lab = netlab.NetLab(hosts=2, cpus=cpus, identities=identities)
        try:
            with lab:
                labdir = lab.dir
                run_checks(lab, Driver(exe, lab), binary, server, docroot, cpus,
                           os.path.join(fakes, "broken", "loadgen"))
        except netlab.Unavailable as e:
            print(f"SKIP: {e}")
            return 77
    left = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    check("teardown: no namespace, veth or key left",
          lambda: expect(lab.tag not in left and not os.path.exists(labdir)
                         and not os.path.exists(f"/sys/class/net/{lab.tag}r0"), left))
    print(f"{len(failures)} failed" if failures else "all passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
