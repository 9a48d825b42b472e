"""Checks of tests/integration.py for what respond.c and conn.c decide after
a request parsed: validators and conditional requests (RFC 9110 section 13),
byte ranges (section 14), redirects, the error page of a rejected HEAD, and
the total deadlines of a request body and of the linger after a closing
response. Every model runs them (the core is shared, so every model must
agree); ranges are checked on a small file served from the file cache's
memory and on a large one sent by sendfile (or read and sent, for uring).

plan(suite) registers them with suite.check; they use the suite's helpers.
"""

import email.utils
import os
import re
import select
import time

from integration_lib import (FIXED_MTIME, Conn, Fail, expect, expect_eq, http_date, request,
                             short, wait_until)

ETAG_RE = re.compile(r'^"[0-9a-f]+-[0-9a-f]+-[0-9a-f]+"$')
SMALL = "/bench/16k.html"      # kept in memory by the file cache (<= 64 KiB)
LARGE = "/big.bin"             # 8 MiB: sendfile (uring: read, then sent)
CHANGING = "changing.txt"      # created and rewritten by one check
FUTURE = "future.txt"          # created with an mtime a day ahead by one check
PCT_DIR = "pct%41"             # a directory created by one check
DEADLINE_BOUND_S = 15.0        # an event due within 1-2 s; never seen: a fault
TRICKLE_S = 0.1                # the slow client's pause between two bytes


def file_etag(s, path):
    """The entity-tag files.h documents: inode, size, mtime in ns, in hex."""
    st = os.stat(os.path.join(s.www, path.lstrip("/")))
    return f'"{st.st_ino:x}-{st.st_size:x}-{st.st_mtime_ns:x}"'


def exchange(s, path, headers=(), method="GET", then=None):
    """One request on a keep-alive connection, and then, on the same
    connection, a GET of `then` (default /p/00.txt) with Connection: close,
    which parses only if the first response was framed right."""
    then = then or "/p/00.txt"
    with Conn(s.srv) as c:
        c.send(request(path, method, headers=list(headers)))
        r = c.read_response(method)
        if r.status < 400:
            c.send(request(then, close=True))
            s.expect_file(c.read_response(), then, f"the request after {short(path)}")
        return r


def expect_validators(r, etag):
    expect_eq(r.get("etag"), etag, "ETag")
    expect_eq(r.get("last-modified"), http_date(FIXED_MTIME), "Last-Modified")


# ---------------------------------------------------------------- validators

def check_etag_on_200(s):
    for path in ("/index.html", SMALL, LARGE):
        g = s.get(path)
        s.expect_file(g, path)
        h = s.get(path, "HEAD")
        expect(ETAG_RE.match(g.get("etag") or ""), f"{path}: ETag {g.get('etag')!r}")
        expect_eq(g.get("etag"), file_etag(s, path), f"{path}: ETag (inode-size-mtime_ns)")
        expect_eq(h.get("etag"), g.get("etag"), f"{path}: HEAD vs GET ETag")
        expect_eq(g.get("accept-ranges"), "bytes", f"{path}: Accept-Ranges")
        expect_eq(h.get("accept-ranges"), "bytes", f"{path}: HEAD Accept-Ranges")


def check_etag_follows_the_file(s):
    """A new content gets a new tag, once the cache revalidates (at most a
    second later): asked again until it shows, within a generous bound."""
    path = os.path.join(s.www, CHANGING)
    with open(path, "wb") as f:
        f.write(b"first content\n")
    os.chmod(path, 0o644)
    try:
        first = s.get("/" + CHANGING)
        expect_eq(first.body, b"first content\n", "first body")
        with open(path, "wb") as f:
            f.write(b"second, longer content\n")
        def new_body():
            r = s.get("/" + CHANGING)
            return r if r.body != first.body else None
        r = wait_until(new_body, DEADLINE_BOUND_S, 0.2)
        expect(r, f"still the old content {DEADLINE_BOUND_S} s after the change")
        expect_eq(r.body, b"second, longer content\n", "body after the change")
        expect(r.get("etag") != first.get("etag"), f"ETag unchanged: {r.get('etag')}")
        expect_eq(r.get("etag"), file_etag(s, "/" + CHANGING), "ETag after the change")
        # The old tag no longer matches: the new content is sent. Asked
        # until it shows too: prefork's workers each keep a cache, and the
        # one that answered the first GET may not have revalidated yet.
        def not_304():
            r = exchange(s, "/" + CHANGING, [("If-None-Match", first.get("etag"))])
            return r if r.status != 304 else None
        r = wait_until(not_304, DEADLINE_BOUND_S, 0.2)
        expect(r, f"still 304 for the old tag {DEADLINE_BOUND_S} s after the change")
        expect_eq(r.status, 200, "status for the old tag")
    finally:
        os.unlink(path)


def check_future_mtime(s):
    """RFC 9110 section 8.8.2.1: Last-Modified is never later than Date,
    even for a file whose mtime lies in the future; and it still works as
    a validator."""
    path = os.path.join(s.www, FUTURE)
    with open(path, "wb") as f:
        f.write(b"from the future\n")
    os.chmod(path, 0o644)
    ahead = time.time() + 86400
    os.utime(path, (ahead, ahead))
    try:
        # Both requests on one connection: the future mtime becomes "now"
        # when a cache entry is made, and fork's children and prefork's
        # workers each make their own, a second apart at times.
        with Conn(s.srv) as c:
            c.send(request("/" + FUTURE))
            r = c.read_response()
            expect_eq(r.status, 200, "status")
            lm, date = r.get("last-modified"), r.get("date")
            expect(lm and date, f"Last-Modified {lm!r}, Date {date!r}")
            expect(email.utils.parsedate_to_datetime(lm) <= email.utils.parsedate_to_datetime(date),
                   f"Last-Modified {lm} is later than Date {date}")
            c.send(request("/" + FUTURE, headers=[("If-Modified-Since", lm)], close=True))
            r = c.read_response()
        expect_eq(r.status, 304, "status for If-Modified-Since: that Last-Modified")
    finally:
        os.unlink(path)


def check_304(s, headers, method="GET", path="/p/01.txt"):
    """A 304 with only the validators (RFC 9110 section 15.4.5), no body."""
    r = exchange(s, path, headers, method)
    expect_eq(r.status, 304, f"status for {headers}")
    expect_validators(r, file_etag(s, path))
    expect(r.get("date") is not None, "304 without Date")
    for name in ("content-type", "content-length", "content-range"):
        expect(r.get(name) is None, f"304 carries {name}: {r.get(name)!r}")


def check_200(s, headers, method="GET", path="/p/01.txt"):
    r = exchange(s, path, headers, method)
    expect_eq(r.status, 200, f"status for {headers}")
    if method == "GET":
        s.expect_file(r, path)
    expect_validators(r, file_etag(s, path))


def check_412(s, headers, method="GET", path="/p/01.txt"):
    raw = request(path, method, headers=list(headers))
    with Conn(s.srv) as c:
        c.send(raw)
        r = c.read_response(method)
        expect_eq(r.status, 412, f"status for {headers}")
        if method == "GET":
            s.expect_error_shape(r)
        c.expect_closed()
    s.still_serves()


def conditional_checks(s, check):
    tag = lambda: file_etag(s, "/p/01.txt")  # noqa: E731  (evaluated once the docroot exists)
    lm = http_date(FIXED_MTIME)
    earlier, later = http_date(FIXED_MTIME - 86400), http_date(FIXED_MTIME + 86400)
    # If-None-Match (section 13.1.2): weak comparison, lists, "*".
    check("If-None-Match with the current ETag is 304 with only the validators",
          lambda: check_304(s, [("If-None-Match", tag())]))
    check("If-None-Match with the ETag made weak (W/) is 304: weak comparison",
          lambda: check_304(s, [("If-None-Match", "W/" + tag())]))
    check("If-None-Match list with the ETag second is 304",
          lambda: check_304(s, [("If-None-Match", f'"nope", W/"x", {tag()}')]))
    check("If-None-Match in two field lines, the ETag in the second, is 304",
          lambda: check_304(s, [("If-None-Match", '"nope"'), ("If-None-Match", tag())]))
    check("If-None-Match: * is 304", lambda: check_304(s, [("If-None-Match", "*")]))
    check("HEAD with If-None-Match matching is 304",
          lambda: check_304(s, [("If-None-Match", tag())], "HEAD"))
    check("If-None-Match of another tag is 200",
          lambda: check_200(s, [("If-None-Match", '"not-the-current-tag"')]))
    check("If-None-Match of another tag wins over If-Modified-Since: 200 (section 13.2.2)",
          lambda: check_200(s, [("If-None-Match", '"not-the-current-tag"'),
                                ("If-Modified-Since", lm)]))
    check("If-None-Match unreadable is 200",
          lambda: check_200(s, [("If-None-Match", tag()[1:])]))
    check("If-None-Match: * on a missing file is 404 (preconditions need a 2xx)",
          s.expect_error, request("/no-such-file.txt", headers=[("If-None-Match", "*")]), 404)
    # If-Modified-Since (section 13.1.3): the three date forms, invalid ignored.
    for form in ("Tuesday, 14-Nov-23 22:13:20 GMT", "Tue Nov 14 22:13:20 2023"):
        check(f"If-Modified-Since {form!r} (obsolete form, = mtime) is 304",
              lambda form=form: check_304(s, [("If-Modified-Since", form)]))
    for bad in ("Tue, 14 Nov 2023 22:13:20 gmt", "Thu, 30 Feb 2023 22:13:20 GMT",
                lm + ", " + lm, lm + " x", "Tue, 14 Nov 2023 24:13:20 GMT"):
        check(f"If-Modified-Since {bad!r} is ignored: 200",
              lambda bad=bad: check_200(s, [("If-Modified-Since", bad)]))
    check("If-Modified-Since given twice is ignored: 200",
          lambda: check_200(s, [("If-Modified-Since", later), ("If-Modified-Since", later)]))
    check("HEAD with If-Modified-Since later is 304",
          lambda: check_304(s, [("If-Modified-Since", later)], "HEAD"))
    # If-Match and If-Unmodified-Since (sections 13.1.1, 13.1.4): 412.
    check("If-Match with the current ETag is 200", lambda: check_200(s, [("If-Match", tag())]))
    check("If-Match: * is 200", lambda: check_200(s, [("If-Match", "*")]))
    check("If-Match list in two lines with the ETag is 200",
          lambda: check_200(s, [("If-Match", '"a"'), ("If-Match", f'"b", {tag()}')]))
    check("If-Match of another tag is 412", lambda: check_412(s, [("If-Match", '"other"')]))
    check("If-Match with the ETag made weak is 412: strong comparison",
          lambda: check_412(s, [("If-Match", "W/" + tag())]))
    check("HEAD with If-Match of another tag is 412 without a body",
          lambda: check_412(s, [("If-Match", '"other"')], "HEAD"))
    check("If-Unmodified-Since = mtime is 200",
          lambda: check_200(s, [("If-Unmodified-Since", lm)]))
    check("If-Unmodified-Since earlier is 412",
          lambda: check_412(s, [("If-Unmodified-Since", earlier)]))
    check("If-Unmodified-Since invalid is ignored: 200",
          lambda: check_200(s, [("If-Unmodified-Since", "yesterday")]))
    check("If-Unmodified-Since is ignored with If-Match: 200",
          lambda: check_200(s, [("If-Match", tag()), ("If-Unmodified-Since", earlier)]))
    check("If-Match failing wins over If-None-Match matching: 412",
          lambda: check_412(s, [("If-Match", '"other"'), ("If-None-Match", tag())]))


# ---------------------------------------------------------------- ranges

def check_part(s, path, spec, first, last, headers=()):
    """206 with bytes [first, last] of the file, compared with the file."""
    want = s.files[path]
    r = exchange(s, path, [("Range", spec)] + list(headers))
    expect_eq(r.status, 206, f"status for Range {spec}")
    expect_eq(r.get("content-range"), f"bytes {first}-{last}/{len(want)}",
              f"Content-Range for {spec}")
    expect_eq(r.get("content-length"), str(last - first + 1), f"Content-Length for {spec}")
    expect_eq(r.get("etag"), file_etag(s, path), "ETag of the 206")
    if r.body != want[first:last + 1]:
        raise Fail(f"{path} Range {spec}: {len(r.body)} bytes that differ from the"
                   f" file's bytes {first}-{last}")


def check_whole(s, path, headers, method="GET"):
    r = exchange(s, path, headers, method)
    expect_eq(r.status, 200, f"status for {headers}")
    expect(r.get("content-range") is None, f"Content-Range in a 200: {r.get('content-range')}")
    expect_eq(r.get("content-length"), str(len(s.files[path])), "Content-Length")
    if method == "GET":
        s.expect_file(r, path)


def check_416(s, path, spec):
    with Conn(s.srv) as c:
        c.send(request(path, headers=[("Range", spec)]))
        r = c.read_response()
        expect_eq(r.status, 416, f"status for Range {spec}")
        expect_eq(r.get("content-range"), f"bytes */{len(s.files[path])}", "Content-Range")
        s.expect_error_shape(r)
        c.expect_closed()
    s.still_serves()


def check_pipelined_parts(s):
    """Parts of the large and the small file pipelined on one connection:
    each arrives whole and in order."""
    big, small = s.files[LARGE], s.files[SMALL]
    asks = [(LARGE, "bytes=1000000-2999999", big[1000000:3000000]),
            (SMALL, "bytes=-100", small[-100:]),
            (LARGE, "bytes=8388000-", big[8388000:]),
            (SMALL, "bytes=0-0", small[:1])]
    with Conn(s.srv) as c:
        c.send(b"".join(request(p, headers=[("Range", spec)]) for p, spec, _ in asks))
        for p, spec, want in asks:
            r = c.read_response()
            expect_eq(r.status, 206, f"status for {p} {spec}")
            expect(r.body == want, f"{p} {spec}: {len(r.body)} bytes, not the file's")


def range_checks(s, check):
    for path in (SMALL, LARGE):
        n = len(s.files[path])
        where = "memory" if path == SMALL else "sendfile"
        for spec, first, last in (("bytes=0-0", 0, 0), (f"bytes=-1", n - 1, n - 1),
                                  (f"bytes={n - 1}-", n - 1, n - 1),
                                  ("bytes=100-199", 100, 199), ("bytes=0-", 0, n - 1),
                                  (f"bytes=-{n + 100}", 0, n - 1),
                                  (f"bytes={n - 10}-{n + 100}", n - 10, n - 1),
                                  (f"BYTES=,{n // 2}-{n // 2 + 4095}, ", n // 2, n // 2 + 4095)):
            check(f"{path} ({where}) Range {spec} is 206 with those bytes",
                  check_part, s, path, spec, first, last)
        check(f"{path} Range bytes={n}- is 416 with Content-Range: bytes */{n}",
              check_416, s, path, f"bytes={n}-")
    n = len(s.files[SMALL])
    check("Range bytes=-0 is 416", check_416, s, SMALL, "bytes=-0")
    check("Range with two ranges is 200 with the whole file", check_whole, s, SMALL,
          [("Range", "bytes=0-1,3-4")])
    for bad in ("bytes=2-1", "bytes=abc", "items=0-1", "bytes 0-1", "bytes=0-1;2"):
        check(f"Range {bad!r} (malformed) is ignored: 200", check_whole, s, SMALL,
              [("Range", bad)])
    check("Range given twice is ignored: 200", check_whole, s, SMALL,
          [("Range", "bytes=0-1"), ("Range", "bytes=0-1")])
    check("HEAD with Range is 200 with the whole length", check_whole, s, LARGE,
          [("Range", "bytes=0-99")], "HEAD")
    check("pipelined parts of a large and a small file arrive in order",
          check_pipelined_parts, s)
    # If-Range (section 13.1.5), and the conditionals before it.
    tag = lambda: file_etag(s, SMALL)  # noqa: E731
    check("If-Range with the ETag: 206", lambda: check_part(
        s, SMALL, "bytes=10-19", 10, 19, [("If-Range", tag())]))
    check("If-Range with Last-Modified: 206", lambda: check_part(
        s, SMALL, "bytes=10-19", 10, 19, [("If-Range", http_date(FIXED_MTIME))]))
    check("If-Range with the ETag made weak: 200 whole (strong comparison)",
          lambda: check_whole(s, SMALL, [("Range", "bytes=10-19"), ("If-Range", "W/" + tag())]))
    check("If-Range with another ETag: 200 whole",
          lambda: check_whole(s, SMALL, [("Range", "bytes=10-19"), ("If-Range", '"x"')]))
    check("If-Range with an earlier date: 200 whole", lambda: check_whole(
        s, SMALL, [("Range", "bytes=10-19"), ("If-Range", http_date(FIXED_MTIME - 1))]))
    check("If-Range with another ETag and an unsatisfiable Range: 200 whole",
          lambda: check_whole(s, SMALL, [("Range", f"bytes={n}-"), ("If-Range", '"x"')]))
    check("Range with If-None-Match matching is 304",
          lambda: check_304(s, [("Range", "bytes=0-1"), ("If-None-Match", tag())],
                            path=SMALL))


# ---------------------------------------------------------------- redirects

def check_redirect(s, target, location, method="GET"):
    """301 to the directory with its slash, the connection kept, then a GET."""
    r = exchange(s, target, method=method)
    expect_eq(r.status, 301, f"status of {short(target)}")
    expect_eq(r.get("location"), location, "Location")
    expect((r.get("connection") or "").lower() != "close", "the 301 closes the connection")


def check_redirect_encoded_percent(s):
    """A directory whose name holds "%41": its redirect encodes the '%'
    again (%2541), or the Location would name "A"."""
    path = os.path.join(s.www, PCT_DIR)
    os.mkdir(path)
    try:
        check_redirect(s, "/pct%2541?q=%41", "/pct%2541/?q=%41")
    finally:
        os.rmdir(path)


def redirect_checks(s, check):
    for target, location in (
            ("/models?lang=en", "/models/?lang=en"),
            ("/sub?a=1&b=%20c", "/sub/?a=1&b=%20c"),
            ("/sub?", "/sub/?"),
            ("/sub?x#frag", "/sub/?x"),
            ("/sub?a<b>\"c\"", "/sub/?a%3Cb%3E%22c%22"),
            ("/sub?%zz%4", "/sub/?%25zz%254"),
            ("/sub?q=/a?b:c@d", "/sub/?q=/a?b:c@d"),
            ("//models?x", "/models/?x"),
            ("/./sub/../models", "/models/"),
            ("http://localhost/models?lang=en", "/models/?lang=en")):
        check(f"GET {target} is 301 to {location}", check_redirect, s, target, location)
    check("HEAD /models?lang=en is 301 with the query, no body", check_redirect, s,
          "/models?lang=en", "/models/?lang=en", "HEAD")
    check("a directory named with %41 is redirected to /pct%2541/, the query as sent",
          check_redirect_encoded_percent, s)


# ---------------------------------------------------------------- HEAD errors

def head_error_checks(s, check):
    """RFC 9110 section 9.3.2: no body in a response to HEAD, an error page
    included (expect_error reads a HEAD's answer as a head alone and wants
    the close right after it)."""
    for name, raw, status in (
            ("a bad header line", b"HEAD / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n", 400),
            ("a control byte in the target", b"HEAD /a\x01b HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            ("no Host", b"HEAD / HTTP/1.1\r\n\r\n", 400),
            ("HTTP/2.0", b"HEAD / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
            ("Content-Length over 1 MiB",
             b"HEAD / HTTP/1.1\r\nHost: a\r\nContent-Length: 1048577\r\n\r\n", 413),
            ("Transfer-Encoding: gzip, chunked",
             b"HEAD / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
            ("a malformed chunked body",
             b"HEAD / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
            ("a target over 8 KiB", request("/" + "a" * 9000, "HEAD"), 414),
            ("a missing file", request("/no-such-file", "HEAD"), 404),
            ("an escaping path", request("/../secret", "HEAD"), 400)):
        check(f"HEAD with {name} is {status} without a body", s.expect_error, raw, status)


# ---------------------------------------------------------------- deadlines

def trickle_until_closed(c, what, eof_ends=True, t=None):
    """Sends a byte every TRICKLE_S until the server closes and returns how
    long that took since t (default: now). Each byte shows the server
    activity, so only a total deadline can end this. The close shows as a
    reset, or as an EOF unless the server half-closed before (eof_ends
    False: a linger), when only the reset that answers a byte sent after the
    full close tells it."""
    t = time.monotonic() if t is None else t
    while time.monotonic() - t < DEADLINE_BOUND_S:
        try:
            c.sock.send(b"x")
            if not eof_ends:
                time.sleep(TRICKLE_S)
                continue
            readable, _, _ = select.select([c.sock], [], [], TRICKLE_S)
            if readable and not c.sock.recv(4096):
                return time.monotonic() - t
        except (ConnectionResetError, BrokenPipeError):
            return time.monotonic() - t
    raise Fail(f"{what}: still open after {DEADLINE_BOUND_S} s of a byte every"
               f" {TRICKLE_S} s (no total deadline)")


def check_slow_body(s):
    """A request body sent a byte at a time is cut off by its total deadline
    (the header timeout, 1 s here, counted from the response's end)."""
    srv = s.new_server(args=["--header-timeout", "1000"])
    try:
        with Conn(srv) as c:
            t = time.monotonic()  # before the server's clock can start
            c.send(request("/p/02.txt", headers=[("Content-Length", "100000")]))
            s.expect_file(c.read_response(), "/p/02.txt")
            took = trickle_until_closed(c, "a body sent a byte at a time", t=t)
        expect(took >= 0.5, f"closed after {took:.2f} s, before the 1 s deadline")
        s.still_serves(srv)
    finally:
        srv.kill()


def check_slow_linger(s):
    """After a closing response the server drains the client's input for a
    while (so that the response is not destroyed by a reset), but no longer
    than its linger deadline however slowly the bytes come."""
    with Conn(s.srv) as c:
        c.send(b"GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n")
        expect_eq(c.read_response().status, 400, "status")
        c.expect_closed(what="the half-close after the 400")
        trickle_until_closed(c, "input trickling after a 400", eof_ends=False)
    s.still_serves()


def plan(s):
    check = s.check
    check("200 and HEAD carry a strong ETag (inode-size-mtime_ns) and Accept-Ranges",
          check_etag_on_200, s)
    check("ETag and body follow a file that changes", check_etag_follows_the_file, s)
    check("a file modified in the future gets a Last-Modified not later than Date",
          check_future_mtime, s)
    conditional_checks(s, check)
    range_checks(s, check)
    redirect_checks(s, check)
    head_error_checks(s, check)
    check("a request body trickling in is cut off at its total deadline", check_slow_body, s)
    check("input trickling in after a closing response is cut off at the linger deadline",
          check_slow_linger, s)
