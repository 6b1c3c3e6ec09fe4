#!/usr/bin/python3
"""Self-test for fault_proxy.py.  Run: python3 tests/tools/fault_proxy_selftest.py

Starts a throwaway TLS HTTP server on 127.0.0.1 (self-signed cert made with
openssl in a temp dir), runs fault_proxy.py in front of it and checks
forwarding, keep-alive, every action, the request record and the
nth/every/nth_match/times/probability matching.  Loopback only, bounded in
time (hard limit 180 s), exit status 0 on success.  Uses curl when available.
"""

import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
PROXY = os.path.join(HERE, "fault_proxy.py")
TOKEN = "sekret-token-0123456789"

FAILURES = []
CHECKS = [0]


def check(cond, what):
    CHECKS[0] += 1
    if cond:
        print("  ok   %s" % what)
    else:
        print("  FAIL %s" % what)
        FAILURES.append(what)


# --------------------------------------------------------------------------
# upstream test server


class Upstream:
    def __init__(self):
        self.lock = threading.Lock()
        self.seen = []  # (method, path, headers(lower->value), body)

    def count(self, method=None, path=None):
        with self.lock:
            return sum(1 for m, p, _, _ in self.seen
                       if (method is None or m == method) and (path is None or p == path))


def make_upstream_handler(up):
    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def _go(self):
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n) if n else b""
            path = self.path.split("?")[0]
            with up.lock:
                up.seen.append((self.command, path,
                                {k.lower(): v for k, v in self.headers.items()}, body))
            if path == "/chunked":
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for part in (b'{"kind":', b'"List",', b'"items":[]}'):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                self.wfile.write(b"0\r\n\r\n")
                return
            if path == "/watch":
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for i in range(3):
                    ev = b'{"type":"ADDED","n":%d}\n' % i
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(ev), ev))
                    self.wfile.flush()
                    time.sleep(0.3)
                self.wfile.write(b"0\r\n\r\n")
                return
            if path == "/nocontent":
                self.send_response(204)
                self.end_headers()
                return
            if path == "/big":
                data = b"x" * 10000
            else:
                data = json.dumps({
                    "method": self.command, "path": path,
                    "auth": self.headers.get("Authorization"),
                    "headers": sorted(k.lower() for k in self.headers.keys()),
                    "body": body.decode("latin-1")}).encode()
            self.send_response(201 if self.command == "POST" else 200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _go

    return H


# --------------------------------------------------------------------------
# helpers


def gen_cert(d, name):
    crt, key = os.path.join(d, name + ".crt"), os.path.join(d, name + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-subj", "/CN=127.0.0.1", "-addext",
                    "subjectAltName=IP:127.0.0.1,DNS:localhost",
                    "-days", "2", "-keyout", key, "-out", crt],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=60)
    return crt, key


class Proxy:
    def __init__(self, d, up_port, ca, crt, key, extra=(), tag="p"):
        self.port_file = os.path.join(d, tag + ".json")
        self.errlog = open(os.path.join(d, tag + ".err"), "w+")
        self.proc = subprocess.Popen(
            [sys.executable, PROXY, "--upstream", "https://127.0.0.1:%d" % up_port,
             "--upstream-ca", ca, "--cert", crt, "--key", key,
             "--port-file", self.port_file] + list(extra),
            stdout=subprocess.PIPE, stderr=self.errlog, text=True)
        deadline = time.monotonic() + 15
        while not os.path.exists(self.port_file):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("proxy did not start")
            time.sleep(0.05)
        with open(self.port_file) as f:
            self.info = json.load(f)
        self.stdout_line = self.proc.stdout.readline()
        self.port = self.info["port"]
        self.cport = self.info["control_port"]

    def control(self, method, path, body=None):
        c = http.client.HTTPConnection("127.0.0.1", self.cport, timeout=10)
        try:
            data = None if body is None else json.dumps(body).encode()
            c.request(method, path, body=data,
                      headers={"Content-Type": "application/json"} if data else {})
            r = c.getresponse()
            raw = r.read()
            try:
                return r.status, json.loads(raw)
            except ValueError:
                return r.status, raw.decode()
        finally:
            c.close()

    def rules(self, rules):
        st, body = self.control("PUT", "/rules", rules)
        assert st == 200, (st, body)

    def records(self):
        return self.control("GET", "/requests")[1]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.errlog.close()
        return self.proc.returncode


class Client:
    """Keep-alive HTTPS client to the proxy."""

    def __init__(self, port, ca, timeout=10):
        self.ctx = ssl.create_default_context(cafile=ca)
        self.port, self.timeout = port, timeout
        self.conn = None

    def request(self, method, path, body=None, headers=None):
        if self.conn is None:
            self.conn = http.client.HTTPSConnection("127.0.0.1", self.port,
                                                    context=self.ctx,
                                                    timeout=self.timeout)
        h = {"Authorization": "Bearer " + TOKEN}
        h.update(headers or {})
        try:
            self.conn.request(method, path, body=body, headers=h)
            r = self.conn.getresponse()
            return r, r.read()
        except BaseException:
            self.close()
            raise

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def raw_probe(port, ca, request, limit=5.0):
    """Send `request` over TLS, then read the raw TCP stream: 'reset' if the
    proxy sent a TCP RST, 'eof' on a FIN, 'open' if neither within limit.
    (Python's ssl layer reports an RST after TLS 1.3 tickets as a plain EOF,
    so this looks below it.)"""
    ctx = ssl.create_default_context(cafile=ca)
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=limit),
                        server_hostname="127.0.0.1")
    raw = socket.socket(fileno=os.dup(s.fileno()))
    try:
        s.sendall(request)
        raw.settimeout(limit)
        while True:
            try:
                if not raw.recv(65536):
                    return "eof"
            except ConnectionResetError:
                return "reset"
            except socket.timeout:
                return "open"
    finally:
        raw.close()
        s.close()


def expect_exc(fn, types):
    try:
        fn()
    except types as e:
        return e
    except Exception as e:  # wrong kind of failure
        return ("unexpected", e)
    return None


# --------------------------------------------------------------------------
# tests


def run(d):
    crt, key = gen_cert(d, "server")
    wrong_ca, _ = gen_cert(d, "other")

    up = Upstream()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), make_upstream_handler(up))
    srv.daemon_threads = True
    uctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    uctx.load_cert_chain(crt, key)
    srv.socket = uctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    up_port = srv.server_address[1]

    p = Proxy(d, up_port, crt, crt, key, ["--quiet"])
    try:
        tests(d, p, up, crt)
    finally:
        rc = p.stop()
        check(rc == 0, "SIGTERM: clean exit status 0 (got %r)" % rc)

    print("start-up and limits")
    for bad in ("https://example.com:443", "https://10.1.2.3:6443", "http://127.0.0.1:1"):
        r = subprocess.run([sys.executable, PROXY, "--upstream", bad,
                            "--upstream-ca", crt, "--cert", crt, "--key", key],
                           capture_output=True, text=True, timeout=20)
        check(r.returncode != 0 and "fault_proxy" in r.stderr,
              "refuses upstream %s" % bad)

    q = Proxy(d, up_port, crt, crt, key, ["--quiet", "--max-requests", "3"], tag="q")
    c = Client(q.port, crt)
    for _ in range(3):
        c.request("GET", "/x")
    try:
        q.proc.wait(10)
    except subprocess.TimeoutExpired:
        pass
    check(q.proc.returncode == 0, "--max-requests 3: exits after 3 requests")
    c.close()
    q.stop()

    t0 = time.monotonic()
    q = Proxy(d, up_port, crt, crt, key, ["--quiet", "--max-lifetime", "2"], tag="l")
    try:
        q.proc.wait(10)
    except subprocess.TimeoutExpired:
        pass
    el = time.monotonic() - t0
    check(q.proc.returncode == 0 and el < 8, "--max-lifetime 2: exits (%.1fs)" % el)
    q.stop()

    q = Proxy(d, up_port, wrong_ca, crt, key, ["--quiet"], tag="w")
    c = Client(q.port, crt)
    r, body = c.request("GET", "/x")
    check(r.status == 502 and q.records()[0]["error"] and "CERTIFICATE_VERIFY_FAILED"
          in q.records()[0]["error"], "upstream cert verified: wrong CA -> 502")
    c.close()
    q.stop()
    srv.shutdown()


def tests(d, p, up, ca):
    print("start-up")
    check(set(p.info) == {"port", "control_port", "pid"} and p.info["pid"] == p.proc.pid,
          "port file has port/control_port/pid")
    check(json.loads(p.stdout_line) == p.info, "same JSON line on stdout")
    st, body = p.control("GET", "/healthz")
    check(st == 200 and body.strip() == "ok", "GET /healthz")

    print("forwarding")
    c = Client(p.port, ca)
    r, body = c.request("GET", "/api/v1/namespaces/x/secrets/y?a=b",
                        headers={"Connection": "keep-alive, X-Hop",
                                 "X-Hop": "1", "Keep-Alive": "timeout=5",
                                 "X-Keep": "2"})
    j = json.loads(body)
    check(r.status == 200 and j["path"] == "/api/v1/namespaces/x/secrets/y",
          "GET forwarded")
    check(j["auth"] == "Bearer " + TOKEN, "Authorization passed through")
    check("x-keep" in j["headers"] and "x-hop" not in j["headers"]
          and "keep-alive" not in j["headers"], "hop-by-hop headers dropped")
    payload = json.dumps({"kind": "Secret", "data": {"k": "dg=="}})
    r, body = c.request("PUT", "/api/v1/namespaces/x/secrets/y", body=payload,
                        headers={"Content-Type": "application/json"})
    check(r.status == 200 and json.loads(body)["body"] == payload, "PUT body forwarded")
    r, body = c.request("POST", "/api/v1/namespaces/x/secrets", body="{}")
    check(r.status == 201, "POST status passed through (201)")
    r, body = c.request("GET", "/chunked")
    check(r.status == 200 and json.loads(body) == {"kind": "List", "items": []}
          and r.getheader("Content-Length") == str(len(body))
          and r.getheader("Transfer-Encoding") is None,
          "chunked upstream response re-framed with Content-Length")
    r, body = c.request("GET", "/nocontent")
    check(r.status == 204 and body == b"", "204 passed through")
    r, body = c.request("HEAD", "/big")
    check(r.status == 200 and body == b"" and r.getheader("Content-Length") == "10000",
          "HEAD keeps upstream Content-Length")
    r, body = c.request("GET", "/x")
    check(r.status == 200, "connection still usable after HEAD/204")
    recs = p.records()
    check(len({x["conn"] for x in recs}) == 1 and len(recs) == 7,
          "python client: 7 requests on one keep-alive connection")
    check(recs[0]["query"] == "a=b" and recs[0]["action"] == "forwarded"
          and recs[0]["status"] == 200 and recs[0]["done"], "record fields")
    t0 = time.monotonic()
    r, body = c.request("GET", "/watch?watch=true")
    check(r.status == 200 and body.count(b"ADDED") == 3
          and r.getheader("Transfer-Encoding") == "chunked",
          "watch response streamed chunked (%.1fs)" % (time.monotonic() - t0))
    c.close()

    curl = shutil.which("curl")
    if curl:
        r = subprocess.run([curl, "-sv", "--cacert", ca, "-H",
                            "Authorization: Bearer " + TOKEN,
                            "https://127.0.0.1:%d/a" % p.port,
                            "https://127.0.0.1:%d/b" % p.port],
                           capture_output=True, text=True, timeout=30)
        check(r.returncode == 0 and "Re-using existing connection" in r.stderr
              and r.stdout.count('"method": "GET"') == 2,
              "curl: two URLs, connection re-used")
    else:
        print("  skip curl not installed")

    st, body = p.control("GET", "/requests")
    check(TOKEN not in json.dumps(body) and "dg==" not in json.dumps(body),
          "request record holds no token and no body")
    st, _ = p.control("DELETE", "/requests")
    check(st == 200 and p.records() == [], "DELETE /requests clears the record")

    print("control API validation")
    for bad in ({"action": "explode"}, {"action": "status", "matc": {}},
                {"action": "delay", "delay_ms": 999999},
                {"action": "status", "match": {"path_regex": "("}},
                {"action": "status", "probability": 2}):
        st, body = p.control("PUT", "/rules", [bad])
        check(st == 400 and "error" in body, "rejects %s" % json.dumps(bad))

    print("actions")
    c = Client(p.port, ca, timeout=10)

    # status
    p.rules([{"action": "status", "status": 503, "retry_after": 1,
              "match": {"method": "GET", "path_regex": "^/status$"}}])
    before = up.count()
    r, body = c.request("GET", "/status")
    j = json.loads(body)
    check(r.status == 503 and r.getheader("Retry-After") == "1"
          and j["kind"] == "Status" and j["code"] == 503 and j["status"] == "Failure"
          and j["reason"] == "ServiceUnavailable"
          and j["message"] == "injected by fault proxy"
          and j["details"]["retryAfterSeconds"] == 1, "status 503 + Retry-After")
    check(up.count() == before, "status: not forwarded")
    r, body = c.request("POST", "/status", body="{}")
    check(r.status == 201, "status: method filter (POST forwarded)")
    r, body = c.request("GET", "/status")
    check(r.status == 503, "status: keep-alive connection still usable")

    # reset_before
    p.rules([{"action": "reset_before", "match": {"path_regex": "reset"}}])
    before = up.count()
    e = expect_exc(lambda: c.request("POST", "/reset", body="{}"), ConnectionResetError)
    check(isinstance(e, ConnectionResetError), "reset_before: no response (%r)" % (e,))
    check(raw_probe(p.port, ca, b"GET /reset HTTP/1.1\r\nHost: x\r\n\r\n") == "reset",
          "reset_before: TCP RST on the wire")
    check(up.count() == before, "reset_before: not forwarded")
    check(p.records()[-1]["action"] == "reset_before"
          and p.records()[-1]["status"] is None, "reset_before recorded")

    # reset_after
    p.rules([{"action": "reset_after", "match": {"method": "POST"}}])
    before = up.count("POST", "/commit")
    e = expect_exc(lambda: c.request("POST", "/commit", body="{}"), ConnectionResetError)
    check(isinstance(e, ConnectionResetError), "reset_after: no response (%r)" % (e,))
    check(up.count("POST", "/commit") == before + 1, "reset_after: upstream committed")
    check(raw_probe(p.port, ca, b"POST /commit HTTP/1.1\r\nHost: x\r\n"
                    b"Content-Length: 2\r\n\r\n{}") == "reset"
          and up.count("POST", "/commit") == before + 2,
          "reset_after: TCP RST on the wire after the upstream committed")
    rec = p.records()[-1]
    check(rec["action"] == "reset_after" and rec["upstream_status"] == 201
          and rec["status"] is None, "reset_after recorded with upstream_status")

    # delay
    p.rules([{"action": "delay", "delay_ms": 700}])
    t0 = time.monotonic()
    r, body = c.request("GET", "/x")
    el = time.monotonic() - t0
    check(r.status == 200 and 0.65 <= el < 5, "delay 700 ms (%.2fs)" % el)

    # truncate
    p.rules([{"action": "truncate", "match": {"path_regex": "^/big$"}}])
    e = expect_exc(lambda: c.request("GET", "/big"), http.client.IncompleteRead)
    check(isinstance(e, http.client.IncompleteRead) and len(e.partial) == 5000
          and e.expected == 5000, "truncate: 5000 of 10000 bytes then EOF")
    check(raw_probe(p.port, ca, b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n") == "eof",
          "truncate: closed with FIN, not RST")
    if curl:
        r = subprocess.run([curl, "-s", "-o", "/dev/null", "--cacert", ca,
                            "https://127.0.0.1:%d/big" % p.port],
                           capture_output=True, timeout=30)
        check(r.returncode in (18, 56), "curl sees the truncation (exit %d)" % r.returncode)

    # garbage_html / garbage_json
    p.rules([{"action": "garbage_html", "match": {"path_regex": "html"}},
             {"action": "garbage_json", "match": {"path_regex": "json"}}])
    r, body = c.request("GET", "/html")
    check(r.status == 502 and r.getheader("Content-Type").startswith("text/html")
          and b"<html>" in body, "garbage_html: 502 text/html")
    r, body = c.request("GET", "/json")
    bad = expect_exc(lambda: json.loads(body), ValueError)
    check(r.status == 200 and r.getheader("Content-Type") == "application/json"
          and isinstance(bad, ValueError), "garbage_json: 200 invalid JSON")

    # hang: client gives up
    p.rules([{"action": "hang", "match": {"path_regex": "hang"}}])
    hc = Client(p.port, ca, timeout=1)
    t0 = time.monotonic()
    e = expect_exc(lambda: hc.request("GET", "/hang"), (socket.timeout, TimeoutError))
    check(isinstance(e, (socket.timeout, TimeoutError)) and time.monotonic() - t0 < 3,
          "hang: client times out")
    rec = p.records()[-1]
    check(rec["action"] == "hang" and rec["status"] is None, "hang recorded")
    deadline = time.monotonic() + 5
    while not p.records()[-1]["done"] and time.monotonic() < deadline:
        time.sleep(0.1)
    check(p.records()[-1]["done"], "hang: proxy notices the client gave up")
    # hang: bounded by delay_ms
    p.rules([{"action": "hang", "delay_ms": 1000}])
    hc = Client(p.port, ca, timeout=10)
    t0 = time.monotonic()
    e = expect_exc(lambda: hc.request("GET", "/hang"),
                   (http.client.RemoteDisconnected, ConnectionError, ssl.SSLError))
    el = time.monotonic() - t0
    check(e is not None and not isinstance(e, tuple) and 0.9 <= el < 5,
          "hang delay_ms 1000: connection closed after %.1fs" % el)
    hc.close()

    print("matching")
    c.close()

    def statuses(n, path="/m", method="GET"):
        out = []
        for _ in range(n):
            try:
                r, _ = c.request(method, path, body="{}" if method != "GET" else None)
                out.append(r.status)
            except (OSError, http.client.HTTPException):
                out.append("X")
        return out

    p.rules([{"action": "status", "status": 500, "match": {"nth": 3}}])
    check(statuses(5) == [200, 200, 500, 200, 200], "nth 3")
    p.rules([{"action": "status", "status": 429, "times": 2}])
    check(statuses(4) == [429, 429, 200, 200], "times 2")
    p.rules([{"action": "status", "status": 500, "match": {"every": 2}}])
    check(statuses(5) == [200, 500, 200, 500, 200], "every 2")
    p.rules([{"action": "status", "status": 409,
              "match": {"method": "PUT", "nth_match": 2}}])
    seq = statuses(2, method="GET") + statuses(3, method="PUT")
    check(seq == [200, 200, 200, 409, 200], "nth_match 2 among PUTs")
    p.rules([{"action": "status", "status": 503, "match": {"nth": 1}},
             {"action": "status", "status": 504}])
    check(statuses(2) == [503, 504], "first matching rule wins")
    st, body = p.control("GET", "/rules")
    check(st == 200 and body[0]["fired"] == 1 and body[1]["fired"] == 1, "GET /rules counts")

    rule = [{"action": "status", "status": 500, "probability": 0.3, "seed": 42}]
    p.rules(rule)
    a = statuses(30)
    p.rules(rule)
    b = statuses(30)
    check(a == b and 0 < a.count(500) < 30,
          "probability 0.3 seed 42 repeatable (%d/30 faults)" % a.count(500))
    p.rules([{"action": "reset_before", "times": 1}])
    check(statuses(3) == ["X", 200, 200], "client reconnects after reset")
    recs = p.records()
    check(recs[-1]["conn"] != recs[-3]["conn"], "new connection after reset")
    st, _ = p.control("DELETE", "/rules")
    check(statuses(2) == [200, 200] and p.records()[-1]["nth"] == 2,
          "DELETE /rules clears rules and resets nth")

    print("huge_body and trickle")
    for chunked in (False, True):
        p.rules([{"action": "huge_body", "body_bytes": 3 * 65536 + 7, "chunked": chunked, "times": 1}])
        cl = Client(p.port, ca)
        r, body = cl.request("GET", "/api/v1/namespaces/x/secrets/big")
        cl.close()
        check(r.status == 200 and len(body) == 3 * 65536 + 7 and body.startswith(b'{"kind":"Secret"')
              and (r.getheader("Transfer-Encoding") == "chunked") == chunked,
              "huge_body: %d bytes, %s" % (len(body), "chunked" if chunked else "Content-Length"))
    # A client that hangs up early: the proxy stops generating and lives on.
    p.rules([{"action": "huge_body", "body_bytes": 1024 * 1024 * 1024, "times": 1}])
    cl = Client(p.port, ca)
    cl.conn = http.client.HTTPSConnection("127.0.0.1", p.port, context=cl.ctx, timeout=10)
    cl.conn.request("GET", "/big")
    resp = cl.conn.getresponse()
    first = resp.read(100000)
    check(resp.getheader("Content-Length") == str(1024 * 1024 * 1024) and len(first) == 100000,
          "huge_body: 1 GiB announced, read a little")
    cl.close()
    check(statuses(1) == [200], "proxy serves on after a client hung up on a huge body")
    p.rules([{"action": "trickle", "interval_ms": 20, "times": 1}])
    cl = Client(p.port, ca)
    r, body = cl.request("GET", "/x")
    cl.close()
    check(r.status == 200 and json.loads(body)["path"] == "/x" and p.records()[-1]["action"] == "trickle",
          "trickle: the whole upstream body arrives, a byte at a time")
    p.control("DELETE", "/rules")

    print("concurrency")
    p.rules([{"action": "delay", "delay_ms": 500}])
    results = []

    def worker():
        cl = Client(p.port, ca)
        r, _ = cl.request("GET", "/x")
        results.append(r.status)
        cl.close()

    t0 = time.monotonic()
    ts = [threading.Thread(target=worker) for _ in range(10)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(20)
    el = time.monotonic() - t0
    check(results == [200] * 10 and el < 3, "10 concurrent delayed requests (%.1fs)" % el)
    c.close()


def main():
    signal.signal(signal.SIGALRM, lambda *a: (print("selftest: timed out"), os._exit(2)))
    signal.alarm(180)
    d = tempfile.mkdtemp(prefix="fault-proxy-selftest.")
    try:
        run(d)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    print("%d checks, %d failed" % (CHECKS[0], len(FAILURES)))
    for f in FAILURES:
        print("FAILED: " + f)
    sys.exit(1 if FAILURES else 0)


if __name__ == "__main__":
    main()
