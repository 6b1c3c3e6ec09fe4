#!/usr/bin/python3
"""A minimal HTTP CONNECT proxy for rotator's proxy tests.  Python 3 stdlib only.

    connect_proxy.py --port-file FILE --log FILE [--max-lifetime 600]

* Listens on 127.0.0.1 only and writes {"port": N, "pid": P} to --port-file
  (temp file + rename) once listening.
* Each CONNECT host:port request is appended to --log as one JSON line
  {"method": "CONNECT", "target": "host:port"} and tunnelled to 127.0.0.1:port,
  whatever host was asked for: a test can name a host that resolves nowhere
  (kube.invalid) and still reach the local API server, and nothing ever leaves
  loopback.  Any other request is logged and answered 501.
* Exits by itself after --max-lifetime seconds; SIGTERM stops it at once.
"""

import argparse
import json
import os
import select
import signal
import socket
import sys
import threading
import time


def write_port_file(path, info):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(json.dumps(info) + "\n")
    os.replace(tmp, path)


class Proxy:
    def __init__(self, log_path):
        self.log_path = log_path
        self.lock = threading.Lock()

    def log(self, record):
        with self.lock:
            with open(self.log_path, "a") as f:
                f.write(json.dumps(record) + "\n")

    def handle(self, client):
        client.settimeout(30)
        try:
            head = b""
            while b"\r\n\r\n" not in head:
                data = client.recv(4096)
                if not data or len(head) > 65536:
                    return
                head += data
            request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
            parts = request_line.split()
            if len(parts) != 3 or parts[0] != "CONNECT":
                self.log({"method": parts[0] if parts else "", "target": parts[1] if len(parts) > 1 else ""})
                client.sendall(b"HTTP/1.1 501 Not Implemented\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                return
            target = parts[1]
            self.log({"method": "CONNECT", "target": target})
            port = int(target.rsplit(":", 1)[1])
            upstream = socket.create_connection(("127.0.0.1", port), timeout=10)
        except (OSError, ValueError, IndexError):
            return
        try:
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            rest = head.split(b"\r\n\r\n", 1)[1]
            if rest:
                upstream.sendall(rest)
            client.settimeout(None)
            upstream.settimeout(None)
            pair = {client: upstream, upstream: client}
            while True:
                readable, _, _ = select.select(list(pair), [], [], 120)
                if not readable:
                    return
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    pair[sock].sendall(data)
        except OSError:
            return
        finally:
            upstream.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--max-lifetime", type=float, default=600.0)
    a = ap.parse_args()

    proxy = Proxy(a.log)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.5)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    write_port_file(a.port_file, {"port": listener.getsockname()[1], "pid": os.getpid()})
    deadline = time.monotonic() + a.max_lifetime

    def serve(client):
        try:
            proxy.handle(client)
        finally:
            client.close()

    while not stop.is_set() and time.monotonic() < deadline:
        try:
            client, _ = listener.accept()
        except socket.timeout:
            continue
        except OSError:
            break
        threading.Thread(target=serve, args=(client,), daemon=True).start()
    listener.close()
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
