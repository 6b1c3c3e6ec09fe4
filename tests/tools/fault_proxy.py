#!/usr/bin/python3
"""Fault-injecting HTTPS reverse proxy for rotator's integration tests.

It sits between the client under test and a Kubernetes API server, both on
loopback, forwards requests unchanged, and injects faults chosen by rules that
a test installs over a small plain-HTTP control API.  Python 3 standard
library only.

Usage
-----
    fault_proxy.py --upstream https://127.0.0.1:6443 --upstream-ca ca.crt \\
                   --cert serving.crt --key serving.key \\
                   [--listen-port 0] [--control-port 0] [--port-file FILE] \\
                   [--max-lifetime 1800] [--max-requests 100000] [--quiet]

* Listens on 127.0.0.1 only.  TLS from the client is terminated with
  --cert/--key (the tests reuse the API server's serving cert, whose SAN
  includes 127.0.0.1, so clients verify it with the same CA).  Only HTTP/1.1
  is offered (ALPN "http/1.1"); client keep-alive works.
* The upstream must be https on 127.0.0.1, ::1 or localhost (anything else is
  refused at start-up); it is verified against --upstream-ca, with hostname
  checking against the upstream host.  Optional --upstream-client-cert /
  --upstream-client-key present a client certificate upstream.
* One fresh upstream connection per request.  Request headers pass through
  (Authorization included) except hop-by-hop ones (Connection and the headers
  it names, Keep-Alive, Proxy-*, TE, Trailer, Transfer-Encoding, Upgrade) and
  Expect; Host is rewritten to the upstream.  Request bodies are read by
  Content-Length (a chunked request body is de-chunked and sent with a
  Content-Length).  Responses are buffered and re-framed with Content-Length,
  except watch requests (query watch=true|1, or a /watch/ path) whose chunked
  responses are streamed chunk by chunk.
* Once listening it writes {"port": N, "control_port": M, "pid": P} to
  --port-file (temp file + rename) and prints the same line on stdout.
* Bounded: exits by itself after --max-lifetime seconds and after serving
  --max-requests proxied requests.  SIGTERM/SIGINT shut it down (exit 0).
  All threads are daemon threads.

Control API (plain HTTP on 127.0.0.1:control_port)
--------------------------------------------------
    GET    /healthz    -> "ok"
    PUT    /rules      body: JSON list of rules (or one rule object); replaces
                       the rule set and resets the request counter used by
                       "nth"/"every".  400 with {"error": ...} if invalid.
    GET    /rules      the current rules, with "fired" and "remaining" counts
    DELETE /rules      clears the rules (and resets the counter)
    GET    /requests   JSON list of the proxied requests seen so far
    DELETE /requests   clears that list

A request record never contains headers or bodies (they carry tokens and
secrets):

    {"n": 7,            # sequence number since proxy start (never reset)
     "nth": 3,          # count since the last rules change (what "nth" matches)
     "conn": 2,         # client connection id: same id = connection reused
     "method": "GET", "path": "/api/v1/namespaces/x/secrets/y", "query": "",
     "action": "forwarded" | "delay" | "status" | "reset_before" | ...,
     "rule": 0 | null,  # index of the rule that fired
     "status": 200 | null,          # status line sent to the client, if any
     "upstream_status": 200 | null, # what the API server answered, if asked
     "error": null | "...",         # upstream failure (client got a 502)
     "done": true}                  # false while still in progress

The record is created as soon as the request has been read and updated before
the client can observe the outcome, so after a client sees its response (or
its reset) GET /requests already reflects it.

Rules
-----
    {"match": {"method": "GET",            # string or list, case-insensitive
               "path_regex": "/secrets/",   # re.search on the path (no query)
               "query_regex": "watch=",     # re.search on the raw query
               "nth": 2,                    # only the 2nd request overall
               "every": 3,                  # only requests 3, 6, 9, ...
               "nth_match": 2},             # only the 2nd request matching
                                            #   this rule's other criteria
     "action": "status",
     "times": 1,             # fires at most this often (default: unlimited)
     "probability": 0.2,     # fire randomly (default 1.0) ...
     "seed": 42,             # ... from a per-rule RNG (default seed = index)
     "status": 503,          # for status / garbage_* actions
     "retry_after": 1,       # status action: Retry-After header + details
     "delay_ms": 500,        # delay: sleep, then forward; any other action:
                             #   sleep first; hang: how long (max 60000)
     "reason": "...", "message": "...",  # status action: Status fields
     "body": "...",          # garbage_* actions: replace the body
     "body_bytes": 314572800, # huge_body: how many bytes (max 4 GiB)
     "chunked": false,       # huge_body: chunked instead of Content-Length
     "interval_ms": 1000,    # trickle: pause between two bytes (max 60000)
     "name": "...", "comment": "..."}  # ignored

All "match" fields are optional and all present ones must match.  "nth" and
"every" count every proxied request (from 1) since the last PUT/DELETE
/rules.  "nth_match" counts, per rule, the requests that satisfied the rule's
other match fields.  Rules are tried in order; the first live one (not spent
by "times") whose match fields hold and whose probability draw succeeds
fires.  The RNG is drawn only for requests that satisfy the match fields, so a
sequential test sees the same faults every run.  Unknown keys are rejected.

Actions
-------
    status        answer `status` (default 503) with a Kubernetes Status JSON
                  body; Retry-After when retry_after is set; not forwarded
    reset_before  close the client connection with a TCP RST (SO_LINGER 0);
                  not forwarded
    reset_after   forward (the server commits the request), read the whole
                  response, then reset the client connection
    delay         sleep delay_ms (default 1000), then forward
    truncate      forward, send the headers with the real Content-Length and
                  only half the body, then close (FIN, no TLS close_notify)
    garbage_html  answer 502 (or `status`) with an HTML body; not forwarded
    garbage_json  answer 200 (or `status`), Content-Type application/json and
                  an invalid JSON body; not forwarded
    hang          read the request and never answer; the connection is
                  closed when the client gives up or after delay_ms
                  (default and maximum 60000)
    down          the API server goes away: reset this connection, close
                  the listening socket (new connections are refused) and
                  reset every open connection at its next request.  For the
                  rest of the proxy's life; not forwarded
    swap_cert     from now on every TLS handshake presents --alt-cert (one
                  the client does not trust: a CA mismatch); this connection
                  is reset so the client has to shake hands again; not
                  forwarded.  Needs --alt-cert/--alt-key
    huge_body     answer `status` (default 200), Content-Type
                  application/json, with a body of body_bytes bytes (default
                  300 MiB) that starts like a Secret and never ends as JSON;
                  with Content-Length, or chunked when "chunked" is true.
                  Generated while sent (the proxy holds 64 KiB of it), and
                  abandoned when the client hangs up; not forwarded
    trickle       forward, then send the real status line and headers at once
                  and the body one byte every interval_ms (default 1000), as a
                  server on a dying link would; gives up (closes) after 60 s

Limitations: HTTP/1.1 only (no h2, no Upgrade: exec/attach/port-forward
will not work); reset_after/truncate buffer the whole response so they never
finish on an endless watch; at most one rule fires per request.
"""

import argparse
import ipaddress
import json
import os
import random
import re
import select
import signal
import socket
import ssl
import struct
import sys
import threading
import time
import http.client
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit, parse_qs

ACTIONS = ("status", "reset_before", "reset_after", "delay", "truncate",
           "garbage_html", "garbage_json", "hang", "down", "swap_cert",
           "huge_body", "trickle")
RULE_KEYS = {"match", "action", "times", "probability", "status",
             "retry_after", "delay_ms", "seed", "reason", "message", "body",
             "body_bytes", "chunked", "interval_ms", "comment", "name"}
MAX_HUGE_BODY = 4 * 1024 * 1024 * 1024
MAX_TRICKLE_S = 60
MATCH_KEYS = {"method", "path_regex", "query_regex", "nth", "every",
              "nth_match"}
MAX_DELAY_MS = 60000
MAX_BODY = 64 * 1024 * 1024
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate",
              "proxy-authorization", "proxy-connection", "te", "trailer",
              "trailers", "transfer-encoding", "upgrade"}
K8S_REASONS = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden",
               404: "NotFound", 405: "MethodNotAllowed", 406: "NotAcceptable",
               408: "Timeout", 409: "Conflict", 410: "Expired",
               413: "RequestEntityTooLarge", 415: "UnsupportedMediaType",
               422: "Invalid", 429: "TooManyRequests", 500: "InternalError",
               503: "ServiceUnavailable", 504: "Timeout"}
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


class RuleError(ValueError):
    pass


def _int(v, what, lo=None, hi=None):
    if isinstance(v, bool) or not isinstance(v, int):
        raise RuleError("%s must be an integer" % what)
    if lo is not None and v < lo:
        raise RuleError("%s must be >= %d" % (what, lo))
    if hi is not None and v > hi:
        raise RuleError("%s must be <= %d" % (what, hi))
    return v


class Rule:
    def __init__(self, spec, index):
        if not isinstance(spec, dict):
            raise RuleError("rule %d: not an object" % index)
        unknown = set(spec) - RULE_KEYS
        if unknown:
            raise RuleError("rule %d: unknown keys %s" % (index, sorted(unknown)))
        self.spec = spec
        self.index = index
        self.action = spec.get("action")
        if self.action not in ACTIONS:
            raise RuleError("rule %d: action must be one of %s"
                            % (index, ", ".join(ACTIONS)))
        m = spec.get("match") or {}
        if not isinstance(m, dict):
            raise RuleError("rule %d: match must be an object" % index)
        unknown = set(m) - MATCH_KEYS
        if unknown:
            raise RuleError("rule %d: unknown match keys %s" % (index, sorted(unknown)))
        meth = m.get("method")
        if meth is None:
            self.methods = None
        elif isinstance(meth, str):
            self.methods = {meth.upper()}
        elif isinstance(meth, list) and all(isinstance(x, str) for x in meth):
            self.methods = {x.upper() for x in meth}
        else:
            raise RuleError("rule %d: match.method must be a string or list" % index)
        try:
            self.path_re = re.compile(m["path_regex"]) if "path_regex" in m else None
            self.query_re = re.compile(m["query_regex"]) if "query_regex" in m else None
        except (re.error, TypeError) as e:
            raise RuleError("rule %d: bad regex: %s" % (index, e))
        w = "rule %d: match." % index
        self.nth = _int(m["nth"], w + "nth", 1) if "nth" in m else None
        self.every = _int(m["every"], w + "every", 1) if "every" in m else None
        self.nth_match = (_int(m["nth_match"], w + "nth_match", 1)
                          if "nth_match" in m else None)
        w = "rule %d: " % index
        t = spec.get("times")
        self.remaining = None if t is None else _int(t, w + "times", 0)
        p = spec.get("probability", 1.0)
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
            raise RuleError(w + "probability must be a number in [0, 1]")
        self.probability = float(p)
        self.rng = random.Random(_int(spec.get("seed", index), w + "seed"))
        default_status = {"status": 503, "garbage_html": 502,
                          "garbage_json": 200, "huge_body": 200}.get(self.action, 503)
        self.status = _int(spec.get("status", default_status), w + "status", 100, 599)
        ra = spec.get("retry_after")
        self.retry_after = None if ra is None else _int(ra, w + "retry_after", 0)
        d = spec.get("delay_ms")
        if d is None:
            d = {"delay": 1000, "hang": MAX_DELAY_MS}.get(self.action, 0)
        if isinstance(d, bool) or not isinstance(d, (int, float)) \
                or not 0 <= d <= MAX_DELAY_MS:
            raise RuleError(w + "delay_ms must be a number in [0, %d]" % MAX_DELAY_MS)
        self.delay_ms = d
        for k in ("reason", "message", "body"):
            if k in spec and not isinstance(spec[k], str):
                raise RuleError(w + k + " must be a string")
        self.body_bytes = _int(spec.get("body_bytes", 300 * 1024 * 1024),
                               w + "body_bytes", 0, MAX_HUGE_BODY)
        self.chunked = spec.get("chunked", False)
        if not isinstance(self.chunked, bool):
            raise RuleError(w + "chunked must be true or false")
        self.interval_ms = _int(spec.get("interval_ms", 1000), w + "interval_ms",
                                1, MAX_DELAY_MS)
        self.fired = 0
        self.matched = 0

    def try_fire(self, method, path, query, nth):
        """Called under the state lock.  True if this rule fires now."""
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.methods is not None and method.upper() not in self.methods:
            return False
        if self.path_re is not None and not self.path_re.search(path):
            return False
        if self.query_re is not None and not self.query_re.search(query):
            return False
        if self.nth is not None and nth != self.nth:
            return False
        if self.every is not None and nth % self.every != 0:
            return False
        self.matched += 1
        if self.nth_match is not None and self.matched != self.nth_match:
            return False
        if self.probability < 1.0 and self.rng.random() >= self.probability:
            return False
        if self.remaining is not None:
            self.remaining -= 1
        self.fired += 1
        return True

    def describe(self):
        d = dict(self.spec)
        d["index"] = self.index
        d["fired"] = self.fired
        d["remaining"] = self.remaining
        return d


class State:
    def __init__(self, max_requests):
        self.lock = threading.Lock()
        self.rules = []
        self.since_rules = 0
        self.seq = 0
        self.conn_seq = 0
        self.records = []
        self.max_requests = max_requests
        self.stop = threading.Event()
        self.has_alt_cert = False

    def set_rules(self, specs):
        rules = [Rule(s, i) for i, s in enumerate(specs)]
        if any(r.action == "swap_cert" for r in rules) and not self.has_alt_cert:
            raise RuleError("swap_cert needs the proxy started with --alt-cert/--alt-key")
        with self.lock:
            self.rules = rules
            self.since_rules = 0

    def new_conn(self):
        with self.lock:
            self.conn_seq += 1
            return self.conn_seq

    def begin(self, conn, method, path, query):
        """Count a request, pick a rule, create its record.

        Returns (rule or None, record) or (None, None) if over the limit."""
        with self.lock:
            if self.seq >= self.max_requests:
                return None, None
            self.seq += 1
            self.since_rules += 1
            rule = None
            for r in self.rules:
                if r.try_fire(method, path, query, self.since_rules):
                    rule = r
                    break
            rec = {"n": self.seq, "nth": self.since_rules, "conn": conn,
                   "method": method, "path": path, "query": query,
                   "action": rule.action if rule else "forwarded",
                   "rule": rule.index if rule else None,
                   "status": None, "upstream_status": None, "error": None,
                   "done": False}
            self.records.append(rec)
            return rule, rec

    def update(self, rec, **kw):
        with self.lock:
            rec.update(kw)

    def dump(self, what):
        with self.lock:
            if what == "requests":
                return json.dumps(self.records)
            return json.dumps([r.describe() for r in self.rules])


def k8s_status_body(code, reason=None, message=None, retry_after=None):
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {},
            "status": "Success" if code < 400 else "Failure",
            "message": message or "injected by fault proxy",
            "reason": reason if reason is not None else K8S_REASONS.get(code, ""),
            "code": code}
    if retry_after is not None:
        body["details"] = {"retryAfterSeconds": retry_after}
    return json.dumps(body).encode()


def set_rst(sock):
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass


class ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = 300  # idle keep-alive timeout for client connections
    server_version = "fault-proxy"

    def version_string(self):
        return self.server_version

    # -- plumbing ---------------------------------------------------------
    def setup(self):
        super().setup()
        self.conn_id = self.server.state.new_conn()

    def log_message(self, fmt, *args):
        pass

    def log(self, rec):
        if not self.server.quiet:
            sys.stderr.write("fault_proxy: #%d conn=%d %s %s -> %s %s\n" % (
                rec["n"], rec["conn"], rec["method"], rec["path"],
                rec["action"], rec["status"] if rec["status"] is not None
                else "(no response)"))

    def _read_body(self):
        te = self.headers.get("Transfer-Encoding", "")
        if te and te.strip().lower() != "identity":
            if te.strip().lower() != "chunked":
                raise ValueError("unsupported Transfer-Encoding")
            out = bytearray()
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline(65537)
                if len(out) > MAX_BODY:
                    raise ValueError("request body too large")
        cl = self.headers.get("Content-Length")
        if cl is None:
            return None
        n = int(cl)
        if n < 0 or n > MAX_BODY:
            raise ValueError("bad Content-Length")
        data = self.rfile.read(n)
        if len(data) != n:
            raise ValueError("short request body")
        return data

    def _send_simple(self, code, body, ctype, extra=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _reset(self):
        set_rst(self.connection)
        self.close_connection = True

    def _sleep(self, ms):
        if ms > 0:
            self.server.state.stop.wait(ms / 1000.0)

    # -- upstream ---------------------------------------------------------
    def _forward(self, body, stream_ok):
        """Returns (status, reason, headers, data, resp_or_None, conn).

        When streaming, data is None and the caller reads resp."""
        srv = self.server
        conn = http.client.HTTPSConnection(srv.up_host, srv.up_port,
                                           context=srv.up_ctx,
                                           timeout=srv.up_timeout)
        try:
            conn.putrequest(self.command, self.path, skip_host=True,
                            skip_accept_encoding=True)
            drop = set(HOP_BY_HOP) | {"host", "content-length", "expect"}
            for v in self.headers.get_all("Connection") or ():
                drop |= {t.strip().lower() for t in v.split(",")}
            for k, v in self.headers.items():
                if k.lower() not in drop:
                    conn.putheader(k, v)
            conn.putheader("Host", srv.up_netloc)
            if body is not None:
                conn.putheader("Content-Length", str(len(body)))
            conn.putheader("Connection", "close")
            conn.endheaders(body)
            resp = conn.getresponse()
            headers = [(k, v) for k, v in resp.getheaders()
                       if k.lower() not in HOP_BY_HOP]
            if stream_ok and resp.chunked:
                conn.sock.settimeout(None)
                return resp.status, resp.reason, headers, None, resp, conn
            data = resp.read()
            return resp.status, resp.reason, headers, data, None, conn
        except BaseException:
            conn.close()
            raise

    def _write_response(self, status, reason, headers, data, truncate=False):
        self.send_response_only(status, reason)
        no_body = self.command == "HEAD" or status in (204, 304) or status < 200
        for k, v in headers:
            if k.lower() == "content-length" and not (self.command == "HEAD"):
                continue
            self.send_header(k, v)
        if not no_body:
            self.send_header("Content-Length", str(len(data)))
        if self.close_connection or truncate:
            self.send_header("Connection", "close")
        self.end_headers()
        if not no_body:
            self.wfile.write(data[:len(data) // 2] if truncate else data)

    def _stream_response(self, status, reason, headers, resp):
        self.send_response_only(status, reason)
        for k, v in headers:
            if k.lower() != "content-length":
                self.send_header(k, v)
        self.send_header("Transfer-Encoding", "chunked")
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        while not self.server.state.stop.is_set():
            chunk = resp.read1(65536)
            if not chunk:
                break
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        self.wfile.write(b"0\r\n\r\n")

    # -- main dispatch ----------------------------------------------------
    def _handle(self):
        state = self.server.state
        if not self.path.startswith("/"):
            self.close_connection = True
            self._send_simple(400, b"origin-form request target required\n",
                              "text/plain")
            return
        parts = urlsplit(self.path)
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            try:
                self._send_simple(400, b"bad request body\n", "text/plain")
            except OSError:
                pass
            return
        if self.server.is_down.is_set():
            # A keep-alive connection opened before "down": as if the server died.
            self._reset()
            return
        rule, rec = state.begin(self.conn_id, self.command, parts.path, parts.query)
        if rec is None:
            self.close_connection = True
            state.stop.set()
            self._send_simple(503, k8s_status_body(
                503, message="fault proxy request limit reached"),
                "application/json")
            return
        try:
            self._dispatch(rule, rec, body, parts)
        finally:
            state.update(rec, done=True)
            self.log(rec)
            if rec["n"] >= state.max_requests:
                state.stop.set()

    def _dispatch(self, rule, rec, body, parts):
        state = self.server.state
        action = rule.action if rule else "forwarded"
        if rule is not None and action != "hang":
            self._sleep(rule.delay_ms)

        if action == "status":
            extra = []
            if rule.retry_after is not None:
                extra.append(("Retry-After", str(rule.retry_after)))
            data = k8s_status_body(rule.status, rule.spec.get("reason"),
                                   rule.spec.get("message"), rule.retry_after)
            state.update(rec, status=rule.status)
            self._send_simple(rule.status, data, "application/json", extra)
            return
        if action == "reset_before":
            self._reset()
            return
        if action == "down":
            self.server.go_down()
            self._reset()
            return
        if action == "swap_cert":
            self.server.swap_cert()
            self._reset()
            return
        if action == "garbage_html":
            data = rule.spec.get("body", "<html><head><title>502 Bad Gateway"
                                 "</title></head><body><h1>Bad Gateway</h1>"
                                 "<p>injected by fault proxy</p></body></html>\n")
            state.update(rec, status=rule.status)
            self._send_simple(rule.status, data.encode(), "text/html; charset=utf-8")
            return
        if action == "garbage_json":
            data = rule.spec.get("body", '{"kind": "Secret", "apiVersion": "v1", '
                                 '"data": {"token": "aW5q')
            state.update(rec, status=rule.status)
            self._send_simple(rule.status, data.encode(), "application/json")
            return
        if action == "hang":
            self._hang(rule.delay_ms / 1000.0)
            return
        if action == "huge_body":
            state.update(rec, status=rule.status)
            self._huge_body(rule)
            return

        # forwarded, delay, reset_after, truncate
        q = parse_qs(parts.query)
        watch = (any(v.lower() in ("true", "1") for v in q.get("watch", ()))
                 or "/watch/" in parts.path)
        stream_ok = watch and action in ("forwarded", "delay")
        if action == "trickle":
            stream_ok = False
        try:
            status, reason, headers, data, resp, conn = self._forward(body, stream_ok)
        except (OSError, http.client.HTTPException, ssl.SSLError) as e:
            err = "%s: %s" % (type(e).__name__, e)
            state.update(rec, status=502, error=err)
            self.close_connection = True
            self._send_simple(502, k8s_status_body(
                502, "InternalError", "fault proxy: upstream error: " + err),
                "application/json")
            return
        try:
            if action == "reset_after":
                state.update(rec, upstream_status=status)
                self._reset()
                return
            state.update(rec, status=status, upstream_status=status)
            if action == "trickle":
                self._trickle(status, reason, headers, data, rule.interval_ms)
            elif resp is not None:
                self._stream_response(status, reason, headers, resp)
            else:
                self._write_response(status, reason, headers, data,
                                     truncate=(action == "truncate"))
            if action == "truncate":
                self.close_connection = True
        finally:
            conn.close()

    def _huge_body(self, rule):
        """A body of rule.body_bytes, generated piece by piece while sent."""
        self.close_connection = True
        self.send_response_only(rule.status)
        self.send_header("Content-Type", "application/json")
        if rule.chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(rule.body_bytes))
        self.send_header("Connection", "close")
        self.end_headers()
        head = b'{"kind":"Secret","apiVersion":"v1","data":{"x":"'
        piece = b"A" * 65536
        left = rule.body_bytes
        stop = self.server.state.stop
        try:
            first = head[:left]
            chunks = [first] if first else []
            left -= len(first)
            while True:
                for chunk in chunks:
                    if rule.chunked:
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    else:
                        self.wfile.write(chunk)
                if left <= 0 or stop.is_set():
                    break
                chunks = [piece[:min(left, len(piece))]]
                left -= len(chunks[0])
            if rule.chunked:
                self.wfile.write(b"0\r\n\r\n")
        except (OSError, ssl.SSLError):
            pass  # the client gave up: that is what the test wants to see

    def _trickle(self, status, reason, headers, data, interval_ms):
        """Headers at once, then the body a byte at a time."""
        self.close_connection = True
        self.send_response_only(status, reason)
        for k, v in headers:
            if k.lower() != "content-length":
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.flush()
        deadline = time.monotonic() + MAX_TRICKLE_S
        stop = self.server.state.stop
        try:
            for i in range(len(data)):
                if stop.is_set() or time.monotonic() > deadline:
                    return
                self.wfile.write(data[i:i + 1])
                self.wfile.flush()
                stop.wait(interval_ms / 1000.0)
        except (OSError, ssl.SSLError):
            pass

    def _hang(self, limit_s):
        """Never answer; return when the client goes away or time is up."""
        self.close_connection = True
        sock = self.connection
        stop = self.server.state.stop
        deadline = time.monotonic() + limit_s
        try:
            sock.settimeout(0.2)
            while not stop.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                r, _, _ = select.select([sock], [], [], min(0.2, left))
                if r or sock.pending():
                    try:
                        if not sock.recv(65536):
                            return  # client closed
                    except socket.timeout:
                        pass  # TLS record without application data
                    except (OSError, ssl.SSLError):
                        return
        except (OSError, ValueError):
            return

    def do_GET(self):
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET


class TLSProxyServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    alt_tls_ctx = None
    is_down = threading.Event()
    cert_swapped = threading.Event()

    def go_down(self):
        """Stops accepting: the listening socket is closed, so a new connection
        is refused as by a dead server.  shutdown() waits for serve_forever, so
        it runs in its own thread, never in a handler's."""
        self.is_down.set()

        def stop_listening():
            self.shutdown()
            self.server_close()
        threading.Thread(target=stop_listening, daemon=True).start()

    def swap_cert(self):
        self.cert_swapped.set()

    def finish_request(self, request, client_address):
        # TLS handshake in the per-connection thread, not in the accept loop.
        request.settimeout(15)
        if self.is_down.is_set():
            set_rst(request)
            return
        ctx = self.alt_tls_ctx if self.cert_swapped.is_set() else self.tls_ctx
        try:
            tls = ctx.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError):
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)
        except (OSError, ssl.SSLError):
            pass
        finally:
            try:
                tls.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        if not self.quiet:
            super().handle_error(request, client_address)


class ControlHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 60
    server_version = "fault-proxy-control"

    def version_string(self):
        return self.server_version

    def log_message(self, fmt, *args):
        pass

    def _reply(self, code, body, ctype="application/json"):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _body(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n < 0 or n > 1024 * 1024:
            raise ValueError("bad Content-Length")
        return self.rfile.read(n)

    def _route(self):
        state = self.server.state
        path = urlsplit(self.path).path.rstrip("/") or "/"
        m = self.command
        try:
            body = self._body()
        except ValueError as e:
            self.close_connection = True
            return self._reply(400, json.dumps({"error": str(e)}))
        if path == "/healthz" and m in ("GET", "HEAD"):
            return self._reply(200, "ok\n", "text/plain")
        if path == "/rules":
            if m == "GET":
                return self._reply(200, state.dump("rules"))
            if m in ("PUT", "POST"):
                try:
                    specs = json.loads(body or b"[]")
                    if isinstance(specs, dict):
                        specs = [specs]
                    if not isinstance(specs, list):
                        raise RuleError("expected a JSON list of rules")
                    state.set_rules(specs)
                except (ValueError, RuleError) as e:
                    return self._reply(400, json.dumps({"error": str(e)}))
                return self._reply(200, json.dumps({"ok": True, "rules": len(specs)}))
            if m == "DELETE":
                state.set_rules([])
                return self._reply(200, json.dumps({"ok": True, "rules": 0}))
        if path == "/requests":
            if m == "GET":
                return self._reply(200, state.dump("requests"))
            if m == "DELETE":
                with state.lock:
                    state.records = []
                return self._reply(200, json.dumps({"ok": True}))
        return self._reply(404, json.dumps({"error": "no such endpoint"}))

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _route


class ControlServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def parse_upstream(url):
    u = urlsplit(url)
    if u.scheme != "https":
        raise SystemExit("fault_proxy: --upstream must be an https:// URL")
    host = u.hostname
    if host not in LOOPBACK_NAMES:
        raise SystemExit("fault_proxy: refusing non-loopback upstream host %r "
                         "(allowed: %s)" % (host, ", ".join(LOOPBACK_NAMES)))
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError as e:
        raise SystemExit("fault_proxy: cannot resolve %s: %s" % (host, e))
    for info in infos:
        if not ipaddress.ip_address(info[4][0].split("%")[0]).is_loopback:
            raise SystemExit("fault_proxy: %s resolves to non-loopback %s"
                             % (host, info[4][0]))
    if u.path not in ("", "/") or u.query:
        raise SystemExit("fault_proxy: --upstream must not have a path or query")
    port = u.port or 443
    netloc = ("[%s]" % host if ":" in host else host) + ":%d" % port
    return host, port, netloc


def write_port_file(path, info):
    d = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(d, ".%s.%d.tmp" % (os.path.basename(path), os.getpid()))
    with open(tmp, "w") as f:
        f.write(json.dumps(info) + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--upstream", required=True,
                    help="https://127.0.0.1:PORT (loopback only)")
    ap.add_argument("--upstream-ca", required=True, help="CA bundle for the upstream")
    ap.add_argument("--upstream-client-cert", help="optional client cert upstream")
    ap.add_argument("--upstream-client-key", help="key for --upstream-client-cert")
    ap.add_argument("--upstream-timeout", type=float, default=60.0,
                    help="upstream connect/read timeout in seconds (default 60)")
    ap.add_argument("--cert", required=True, help="serving certificate (PEM)")
    ap.add_argument("--key", required=True, help="serving key (PEM)")
    ap.add_argument("--alt-cert", help="certificate the swap_cert action presents")
    ap.add_argument("--alt-key", help="key for --alt-cert")
    ap.add_argument("--listen-port", type=int, default=0)
    ap.add_argument("--control-port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--max-lifetime", type=float, default=1800.0,
                    help="exit after this many seconds (default 1800)")
    ap.add_argument("--max-requests", type=int, default=100000,
                    help="exit after this many proxied requests (default 100000)")
    ap.add_argument("--quiet", action="store_true",
                    help="no per-request line on stderr")
    a = ap.parse_args(argv)

    up_host, up_port, up_netloc = parse_upstream(a.upstream)
    if a.max_lifetime <= 0 or a.max_requests <= 0:
        raise SystemExit("fault_proxy: --max-lifetime and --max-requests must be > 0")

    up_ctx = ssl.create_default_context(cafile=a.upstream_ca)
    if a.upstream_client_cert:
        up_ctx.load_cert_chain(a.upstream_client_cert, a.upstream_client_key)
    up_ctx.set_alpn_protocols(["http/1.1"])

    tls_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls_ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    tls_ctx.load_cert_chain(a.cert, a.key)
    tls_ctx.set_alpn_protocols(["http/1.1"])

    alt_ctx = None
    if a.alt_cert:
        alt_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        alt_ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        alt_ctx.load_cert_chain(a.alt_cert, a.alt_key)
        alt_ctx.set_alpn_protocols(["http/1.1"])

    state = State(a.max_requests)
    state.has_alt_cert = alt_ctx is not None

    proxy = TLSProxyServer(("127.0.0.1", a.listen_port), ProxyHandler)
    proxy.tls_ctx = tls_ctx
    proxy.alt_tls_ctx = alt_ctx
    proxy.is_down = threading.Event()
    proxy.cert_swapped = threading.Event()
    proxy.up_ctx = up_ctx
    proxy.up_host, proxy.up_port, proxy.up_netloc = up_host, up_port, up_netloc
    proxy.up_timeout = a.upstream_timeout
    proxy.state = state
    proxy.quiet = a.quiet

    control = ControlServer(("127.0.0.1", a.control_port), ControlHandler)
    control.state = state

    def on_signal(signum, frame):
        state.stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    for srv in (proxy, control):
        threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.2},
                         daemon=True).start()

    info = {"port": proxy.server_address[1],
            "control_port": control.server_address[1], "pid": os.getpid()}
    if a.port_file:
        write_port_file(a.port_file, info)
    sys.stdout.write(json.dumps(info) + "\n")
    sys.stdout.flush()

    deadline = time.monotonic() + a.max_lifetime
    why = "signal"
    while not state.stop.is_set():
        left = deadline - time.monotonic()
        if left <= 0:
            why = "max lifetime reached"
            break
        state.stop.wait(min(left, 1.0))
    else:
        with state.lock:
            if state.seq >= state.max_requests:
                why = "max requests reached"
    state.stop.set()
    for srv in (proxy, control):
        srv.shutdown()
        srv.server_close()
    if not a.quiet:
        sys.stderr.write("fault_proxy: exiting (%s)\n" % why)
    sys.stderr.flush()
    sys.stdout.flush()
    # Daemon handler threads may still be blocked on sockets; skip finalization.
    os._exit(0)


if __name__ == "__main__":
    main()
