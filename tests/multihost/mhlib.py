"""What the multihost suite's tests share (test_remote.py, test_harness.py):
PASS/FAIL checks that keep going, the harness's CPU split, waiting for the
hosts to hold nothing but their sshd, and fake tools put first in a host's
PATH (by the lab's identities) to make a host misbehave."""

import os
import time

import netlab

FAKE_SKEW_NS = 2_500_000_000     # the fake-clock host's date runs this far ahead

failures = []


def check(name, fn, *args):
    """Runs one check; an AssertionError or exception is a FAIL, not a stop."""
    try:
        fn(*args)
        print(f"PASS {name}", flush=True)
    except Exception as e:  # noqa: BLE001 (report every kind, keep going)
        failures.append(name)
        print(f"FAIL {name}: {type(e).__name__}: {e}", flush=True)


def expect(cond, msg):
    if not cond:
        raise AssertionError(msg)


def client_cpus():
    """The harness's split (opts.c): the first half of the usable CPUs for
    the server, the rest for the load; one CPU is shared."""
    cpus = sorted(os.sched_getaffinity(0))
    half = max(len(cpus) // 2, 1)
    rest = cpus[half:] or cpus[:1]
    return ",".join(map(str, rest))


def gone(pid, timeout_s=10.0):
    """True once PID no longer exists (or is only a zombie)."""
    deadline = time.monotonic() + timeout_s
    while netlab.alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def only_sshd_left(lab, h, timeout_s=10.0):
    """Nothing runs in the host's namespace but its sshd listener (sessions
    end a moment after their client)."""
    deadline = time.monotonic() + timeout_s
    while lab.ns_pids(h) != [h.sshd.pid] and time.monotonic() < deadline:
        time.sleep(0.1)
    expect(lab.ns_pids(h) == [h.sshd.pid],
           f"left in {h.netns}: {lab.ns_pids(h)} (sshd is {h.sshd.pid})")


def fake_tools(root):
    """Directories put first in PATH by the fakearch and fakeclock keys, and
    a loadgen that cannot run."""
    arch, clock = os.path.join(root, "fakearch"), os.path.join(root, "fakeclock")
    for d in (arch, clock, os.path.join(root, "broken")):
        os.makedirs(d)
    scripts = {
        # A loadgen built against a library the host lacks.
        f"{root}/broken/loadgen": "#!/bin/sh\necho 'loadgen: error while loading "
                                  "shared libraries: libc10k.so.1' >&2\nexit 127\n",
        f"{arch}/uname": "#!/bin/sh\necho fakearch64\n",
        # No bash, so the probe falls back to date, which runs 2.5 s ahead.
        f"{clock}/bash": "#!/bin/sh\nexec /bin/dash \"$@\"\n",
        f"{clock}/date": "#!/bin/sh\nt=$(( $(/usr/bin/date +%s%N) + "
                         f"{FAKE_SKEW_NS} ))\n"
                         "printf '%d.%09d\\n' $((t / 1000000000)) $((t % 1000000000))\n",
    }
    for path, text in scripts.items():
        netlab.write(path, text)
        os.chmod(path, 0o755)
    return arch, clock
