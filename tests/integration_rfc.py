"""Checks of tests/integration.py for the parsing rules of RFC 9110/9112 that
the parser and the path code decide: versions, Host, request-target forms,
Content-Length and Transfer-Encoding framing, %-encoded bytes in the path.
Every model runs them (the core is shared, so every model must agree).

plan(suite) registers them with suite.check; they use the suite's helpers
(expect_error: the status, the error shape, the close, then a normal GET).
"""

import os

from integration_lib import Conn, expect_eq, request

ALLOW = "GET, HEAD"
CTL_NAME = "ctl-\t-x.txt"        # created at check time, never committed
CTL_BODY = b"a file whose name holds a tab\n"


def check_higher_minor_version(s):
    """HTTP/1.2 is processed as HTTP/1.1 (RFC 9110 section 2.5): a 200 in
    HTTP/1.1, and the connection stays open as for 1.1."""
    with Conn(s.srv) as c:
        c.send(request("/p/15.txt", version="HTTP/1.2"))
        r = c.read_response()
        expect_eq(r.status_line, "HTTP/1.1 200 OK", "status line")
        s.expect_file(r, "/p/15.txt")
        c.send(request("/p/16.txt", version="HTTP/1.9", close=True))
        s.expect_file(c.read_response(), "/p/16.txt", "HTTP/1.9 on the same connection")
        c.expect_closed(what="the close after Connection: close")


def check_405_allow(s, raw):
    r = s.expect_error(raw, 405)
    expect_eq(r.get("allow"), ALLOW, "Allow")


def check_control_byte_file(s):
    """%09 names a file whose name holds a tab: served like any other."""
    path = os.path.join(s.www, CTL_NAME)
    with open(path, "wb") as f:
        f.write(CTL_BODY)
    os.chmod(path, 0o644)
    try:
        r = s.get("/ctl-%09-x.txt")
        expect_eq(r.status, 200, "status of /ctl-%09-x.txt")
        expect_eq(r.body, CTL_BODY, "body")
    finally:
        os.unlink(path)


def check_absolute_form_ignores_host(s):
    """With an absolute-form target the Host field is ignored (RFC 9112
    section 3.2.2), as long as it is valid."""
    raw = (b"GET http://a.example/p/17.txt HTTP/1.1\r\nHost: b.example:81\r\n"
           b"Connection: close\r\n\r\n")
    with Conn(s.srv) as c:
        c.send(raw)
        s.expect_file(c.read_response(), "/p/17.txt")


def get_with(host=None, version="HTTP/1.1", target="/index.html", fields=()):
    head = f"GET {target} {version}\r\n".encode("latin-1")
    if host is not None:
        head += b"Host: " + host + b"\r\n"
    return head + b"".join(f + b"\r\n" for f in fields) + b"\r\n"


def plan(s):
    check = s.check

    # Versions (RFC 9110 section 2.5).
    check("HTTP/1.2 and HTTP/1.9 are answered as HTTP/1.1", check_higher_minor_version, s)
    check("HTTP/1.2 without Host is 400 (as HTTP/1.1)", s.expect_error,
          request("/", version="HTTP/1.2", host=None), 400)
    check("HTTP/3.0 is 505", s.expect_error, request("/", version="HTTP/3.0"), 505)
    check("HTTP/0.9 as a version is 505", s.expect_error, request("/", version="HTTP/0.9"), 505)

    # Host is uri-host [":" port] (RFC 9112 section 3.2, RFC 3986 section 3.2.2).
    for host in (b"host.example/other HTTP", b"a/b", b"user@localhost", b"localhost:80:80",
                 b"localhost:http", b"[::1", b"[::1]x", b"[zz::1]", b"::1", b"a%zz", b"a?b",
                 b"caf\xc3\xa9"):
        check(f"Host: {host.decode('latin-1')!r} is 400", s.expect_error, get_with(host), 400)
    check("HTTP/1.0 with Host: 'a/b' is 400", s.expect_error,
          get_with(b"a/b", "HTTP/1.0"), 400)
    for host in (b"localhost:8080", b"127.0.0.1", b"[::1]:80", b"[::ffff:127.0.0.1]", b"",
                 b"ex_am-ple.com.", b"a%41"):
        check(f"Host: {host.decode('latin-1')!r} is served", s.check_serves, "", "/index.html",
              get_with(host, fields=(b"Connection: close",)))

    # Request-target forms (RFC 9112 section 3.2).
    check("OPTIONS * is 405 with Allow, as OPTIONS /", check_405_allow, s,
          request("*", "OPTIONS"))
    check("CONNECT host:port is 405 with Allow", check_405_allow, s,
          request("localhost:443", "CONNECT"))
    check("OPTIONS *x is 400", s.expect_error, request("*x", "OPTIONS"), 400)
    check("HEAD * is 400", s.expect_error, request("*", "HEAD"), 400)
    check("CONNECT without a port is 400", s.expect_error, request("localhost", "CONNECT"), 400)
    check("absolute-form: Host is ignored but must be valid", check_absolute_form_ignores_host, s)
    for target in ("http://user:pw@localhost/index.html", "http://localhost:x/index.html",
                   "http://:80/index.html", "http://[::1/index.html", "http://a<b/index.html"):
        check(f"absolute-form {target} is 400", s.expect_error, request(target), 400)
    check("absolute-form with an invalid Host is 400", s.expect_error,
          get_with(b"a/b", target="http://localhost/index.html"), 400)

    # Content-Length: one plain decimal (RFC 9110 section 8.6, RFC 9112 section 6.3).
    for v in ("1000,1000", "5, 5", "\"5\"", "1e3"):
        check(f"Content-Length {v!r} is 400", s.expect_error,
              request("/", headers=[("Content-Length", v)]) + b"hello", 400)
    check("two equal Content-Length fields are 400", s.expect_error,
          request("/", headers=[("Content-Length", "5"), ("Content-Length", "5")]) + b"hello", 400)

    # Transfer-Encoding (RFC 9112 sections 6.1 and 6.3).
    for v in ("gzip", "chunked, gzip", "chunked, chunked", "\"chunked\"", "chunked;x=1", ""):
        check(f"Transfer-Encoding {v!r} (no final, single chunked) is 400", s.expect_error,
              request("/", headers=[("Transfer-Encoding", v)]), 400)
    check("Transfer-Encoding chunked then gzip in two fields is 400", s.expect_error,
          request("/", headers=[("Transfer-Encoding", "chunked"),
                                ("Transfer-Encoding", "gzip")]), 400)
    check("Transfer-Encoding in HTTP/1.0 is 400 (faulty framing)", s.expect_error,
          request("/", version="HTTP/1.0", host=None,
                  headers=[("Transfer-Encoding", "chunked")]), 400)
    check("Transfer-Encoding 'gzip, chunked' is 501", s.expect_error,
          request("/", headers=[("Transfer-Encoding", "gzip, chunked")]), 501)

    # %-encoded bytes in the path: only NUL, '/' and '\' are refused.
    for p in ("/path-%09-x", "/path-%0A-x", "/path-%0D-x", "/path-%7F-x", "/path-%01-x"):
        check(f"{p} (no such file) is 404", s.check_status, p, 404)
    check("/ctl-%09-x.txt names a file with a tab in its name: 200",
          check_control_byte_file, s)
    for name, raw in (("raw HTAB", b"GET /path-\t-x HTTP/1.1\r\nHost: a\r\n\r\n"),
                      ("raw DEL", b"GET /path-\x7f-x HTTP/1.1\r\nHost: a\r\n\r\n"),
                      ("%00", request("/path-%00-x"))):
        check(f"{name} in the path is 400", s.expect_error, raw, 400)
