#!/usr/bin/env bash
# What one request costs a server, per request: system calls by name, context
# switches, user and kernel CPU time, where the kernel time goes, and (with
# --callgrind) user-space instructions. A profile, not a benchmark: the
# server runs on CPU 0 and wrk on CPU 1 as in the harness, but with perf or
# strace attached; read differences under about 10% in time as noise. The
# system call and instruction counts do not depend on the machine's load.
#
#   bench/profile.sh [options] SERVER...     (a path: build/servers/epoll,
#                                            build/bench/calibration)
#   --conns N      wrk connections (default 256)
#   --rate R       open loop instead: build/loadgen offers R req/s over the
#                  connections, so that every server is profiled at the same
#                  load (the harness's equal-load figure) and not at its own
#                  saturation
#   --path P       the file requested (default /bench/1k.html; the
#                  calibration server answers as many body bytes)
#   --seconds S    each measured window (default 5)
#   --docroot D    serve D instead of html/ (e.g. the harness's file set,
#                  /var/tmp/c10k-lab/fileset-d60-s1/docroot)
#   --urls FILE    walk FILE's paths (the file set's urls.txt: wrk with
#                  bench/urls.lua, loadgen --urls) instead of --path
#   --callgrind    also user instructions per request: callgrind's Ir at
#                  22,000 requests minus at 2,000, over 20,000 (h2load -c 8)
#   --record       also the top of `perf report --no-children` (kernel and
#                  user symbols, cpu-clock samples with call graphs)
#   --strace       also `strace -c -f` over 20,000 requests (h2load -c 8):
#                  slows the server, so batching differs; counts only
#
# Every measurement also reports the most io_uring worker threads (io-wq,
# "iou-wrk-*") the server had at once while loaded, sampled every 0.1 s.
#
# Needs wrk, h2load (nghttp2-client), perf (linux-perf), curl, and for the
# options valgrind and strace; run as root (perf on another process). Wrap it in
# /work/tools/busy on a shared machine.
set -euo pipefail

conns=256 rate= path=/bench/1k.html secs=5 callgrind=0 record=0 strace_c=0 docroot= urls=
servers=()
while [ $# -gt 0 ]; do
    case $1 in
    --conns) conns=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --path) path=$2; shift 2 ;;
    --seconds) secs=$2; shift 2 ;;
    --docroot) docroot=$2; shift 2 ;;
    --urls) urls=$2; shift 2 ;;
    --callgrind) callgrind=1; shift ;;
    --record) record=1; shift ;;
    --strace) strace_c=1; shift ;;
    -*) echo "profile.sh: unknown option $1" >&2; exit 2 ;;
    *) servers+=("$1"); shift ;;
    esac
done
[ ${#servers[@]} -gt 0 ] || { echo "usage: bench/profile.sh [options] SERVER..." >&2; exit 2; }
for tool in wrk h2load perf; do
    command -v $tool >/dev/null || { echo "profile.sh: $tool missing (Debian: wrk, nghttp2-client, linux-perf)" >&2; exit 2; }
done
here=$(cd "$(dirname "$0")/.." && pwd)
[ -z "$rate" ] || [ -x "$here/build/loadgen" ] || { echo "profile.sh: --rate needs build/loadgen (run ./bootstrap)" >&2; exit 2; }
docroot=${docroot:-$here/html}
[ -z "$urls" ] || [ -r "$urls" ] || { echo "profile.sh: cannot read $urls" >&2; exit 2; }
if [ -n "$urls" ] && { [ $callgrind = 1 ] || [ $strace_c = 1 ]; }; then
    echo "profile.sh: --callgrind and --strace request --path, not --urls" >&2
    exit 2
fi
if [ -n "$urls" ]; then # the calibration server answers the list's mean size
    size=$(sort "$urls" | uniq -c | while read -r n p; do
        echo "$n $(stat -c %s "$docroot$p")"; done | awk '{ s += $1 * $2; n += $1 }
        END { printf "%d", s / n }')
else
    size=$(stat -c %s "$docroot$path")
fi
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
tck=$(getconf CLK_TCK)
# Counted exactly (tracepoints, no sampling): every call, and by name those
# the servers make.
calls="recvfrom sendto sendmsg recvmsg writev read write sendfile64 splice epoll_pwait
       epoll_pwait2 epoll_wait epoll_ctl io_uring_enter io_uring_register accept4 close
       shutdown setsockopt rt_sigprocmask rt_sigpending clock_gettime openat2 newfstatat futex"
events=raw_syscalls:sys_enter,context-switches
for c in $calls; do events=$events,syscalls:sys_enter_$c; done

# start BIN [wrapper...]: the server on CPU 0, port 0; sets pid and port.
start() {
    local bin=$1; shift
    local args=(--port 0 --docroot "$docroot")
    [ "$(basename "$bin")" = calibration ] && args=(--port 0 --size "$size")
    : >"$tmp/out"
    taskset -c 0 "$@" "$bin" "${args[@]}" >"$tmp/out" 2>"$tmp/err" &
    pid=$!
    for _ in $(seq 600); do
        grep -q '^listening on' "$tmp/out" && break
        sleep 0.1
    done
    port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$tmp/out" | head -1)
    [ -n "$port" ] || { echo "profile.sh: $bin did not start: $(cat "$tmp/err")" >&2; exit 1; }
}

# SIGTERM to the server, which under strace is strace's child (strace
# writes its summary once the server has exited).
stop() {
    local server
    server=$(pgrep -P "$pid" -x "$(basename "$1")" || echo "$pid")
    kill -TERM "$server"
    wait "$pid" 2>/dev/null || true
    pid=
}

# Responses so far, from the counters line SIGUSR1 prints.
requests() {
    local n
    n=$(grep -c '^counters:' "$tmp/out" || true)
    kill -USR1 "$pid"
    for _ in $(seq 100); do
        [ "$(grep -c '^counters:' "$tmp/out" || true)" -gt "$n" ] && break
        sleep 0.05
    done
    grep '^counters:' "$tmp/out" | tail -1 | sed 's/.* requests=\([0-9]*\).*/\1/'
}

load() {
    if [ -n "$rate" ] && [ -n "$urls" ]; then
        taskset -c 1 "$here/build/loadgen" --rate "$rate" --conns "$conns" --duration "$1" \
            --urls "$urls" "http://127.0.0.1:$port/" >/dev/null
    elif [ -n "$rate" ]; then
        taskset -c 1 "$here/build/loadgen" --rate "$rate" --conns "$conns" --duration "$1" \
            "http://127.0.0.1:$port$path" >/dev/null
    elif [ -n "$urls" ]; then
        taskset -c 1 wrk -t1 -c"$conns" -d"$1"s -s "$here/bench/urls.lua" \
            "http://127.0.0.1:$port/" -- 1 "$urls" 1 >/dev/null
    else
        taskset -c 1 wrk -t1 -c"$conns" -d"$1"s "http://127.0.0.1:$port$path" >/dev/null
    fi
}

# The most io-wq worker threads the server has at once, sampled until
# $tmp/iowq.stop appears; written to $tmp/iowq.
iowq_sample() {
    local most=0 n t
    while [ ! -e "$tmp/iowq.stop" ]; do
        n=0
        for t in /proc/"$pid"/task/*/comm; do
            case $(cat "$t" 2>/dev/null) in iou-wrk*) n=$((n + 1)) ;; esac
        done
        [ $n -gt $most ] && most=$n
        sleep 0.1
    done
    echo $most >"$tmp/iowq"
}

# utime and stime of the server, in clock ticks.
ticks() { awk '{print $14, $15}' "/proc/$pid/stat"; }

measure() {
    local bin=$1 name
    name=$(basename "$bin")
    start "$bin"
    load 1
    # CPU time first, with nothing attached: perf's tracepoints would add to
    # the cost of every system call, and so favour the server making fewer.
    local r0 t0 r1 t1
    r0=$(requests); t0=$(ticks)
    rm -f "$tmp/iowq.stop"
    iowq_sample &
    local sampler=$!
    load "$secs"
    r1=$(requests); t1=$(ticks)
    touch "$tmp/iowq.stop"
    wait $sampler
    local n=$((r1 - r0))
    # Then the counts, exact whatever perf costs: the perf window and wrk's
    # are the same length and start together.
    local r2 r3
    r2=$(requests)
    perf stat -x, -o "$tmp/stat" -e "$events" -p "$pid" -- sleep "$secs" 2>/dev/null &
    local perfpid=$!
    load "$secs"
    wait $perfpid || true
    r3=$(requests)
    awk -F, -v n="$n" -v m="$((r3 - r2))" -v name="$name" -v t0="$t0" -v t1="$t1" \
        -v iowq="$(cat "$tmp/iowq")" \
        -v tck="$tck" -v c="$conns${rate:+ rate=$rate/s}" '
        $3 ~ /raw_syscalls/ { sc = $1 } $3 == "context-switches" { cs = $1 }
        $3 ~ /sys_enter_/ && $1 > 0 { sub(/.*sys_enter_/, "", $3); by[$3] = $1; named += $1 }
        END {
            split(t0, a, " "); split(t1, b, " ")
            printf "%s c=%s: %d requests; per request: user %.2f us, kernel %.2f us; " \
                   "(%d requests:) %.3f syscalls, %.3f context switches\n", name, c, n,
                   (b[1] - a[1]) * 1e6 / tck / n, (b[2] - a[2]) * 1e6 / tck / n, m,
                   sc / m, cs / m
            printf "  io-wq worker threads at once (most seen): %d\n", iowq
            for (k in by)
                printf "  %-18s %.3f\n", k, by[k] / m | "sort -k2 -rn"
            close("sort -k2 -rn")
            if (sc - named > 0)
                printf "  %-18s %.3f\n", "(other)", (sc - named) / m
        }' "$tmp/stat"
    if [ $record = 1 ]; then
        perf record -q -e cpu-clock -g -o "$tmp/perf.data" -p "$pid" -- sleep "$secs" \
            2>/dev/null &
        perfpid=$!
        load "$secs"
        wait $perfpid || true
        perf report -q -i "$tmp/perf.data" --no-children --sort symbol --stdio -g none \
            --percent-limit 0.7 2>/dev/null | sed 's/^/  /' | head -60
    fi
    stop "$bin"
    if [ $strace_c = 1 ]; then
        command -v strace >/dev/null || { echo "profile.sh: strace missing (Debian: strace)" >&2; exit 2; }
        start "$bin" strace -c -f -o "$tmp/strace"
        taskset -c 1 h2load -n 20000 -c 8 --h1 "http://127.0.0.1:$port$path" >/dev/null
        stop "$bin"
        echo "  strace -c -f, 20,000 requests (h2load -c 8):"
        awk '$NF ~ /^[a-z_0-9]+$/ && $4 ~ /^[0-9]+$/ && $NF != "total" {
            printf "    %-20s %.3f per request\n", $NF, $4 / 20000 }' "$tmp/strace"
    fi
    if [ $callgrind = 1 ]; then
        for tool in valgrind curl; do
            command -v $tool >/dev/null || { echo "profile.sh: $tool missing (Debian: $tool)" >&2; exit 2; }
        done
        local ir=()
        for n in 2000 22000; do
            start "$bin" valgrind -q --tool=callgrind --callgrind-out-file="$tmp/cg.$n"
            taskset -c 1 h2load -n $n -c 8 --h1 "http://127.0.0.1:$port$path" >/dev/null
            # A dump on request, not at exit: valgrind 3.19 aborts when a
            # signal arrives inside io_uring_enter with a signal mask. It
            # looks for the request only while the program runs, so one
            # more request (counted in both runs alike) wakes it.
            callgrind_control -d "$pid" >/dev/null &
            local ctl=$!
            sleep 1
            curl -s -o /dev/null "http://127.0.0.1:$port$path" || true
            wait $ctl
            kill -9 "$pid"
            wait "$pid" 2>/dev/null || true
            pid=
            ir+=("$(cat "$tmp"/cg.$n.* | sed -n 's/^summary: *\([0-9]*\).*/\1/p' | head -1)")
        done
        echo "  user instructions per request (callgrind): $(( (ir[1] - ir[0]) / 20000 ))"
    fi
}

for s in "${servers[@]}"; do
    measure "$s"
done
