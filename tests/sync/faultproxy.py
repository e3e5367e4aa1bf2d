"""A fault-injecting HTTP proxy for the sync tests: one request per client
connection (forwarded with Connection: close), and on a configurable share
of them one fault: the connection dropped mid-body or mid-response, a 500
without forwarding, a stall, the reply sent twice, or the request sent to
the server twice. Counts what passes through."""
import random
import socket
import threading
import time

FAULTS = ("drop_body", "drop_reply", "http500", "stall", "dup_reply", "dup_request")


def _recv_request(sock):
    """Reads one HTTP request: (head bytes, body bytes) or None."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
        if len(data) > 1 << 20:
            return None
    head, _, rest = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    body = rest
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        body += chunk
    return head, body[:length]


def _with_close(head):
    lines = [l for l in head.split(b"\r\n") if not l.lower().startswith(b"connection:")]
    lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n"


class FaultProxy:
    def __init__(self, upstream_port, rate=0.0, stall_s=10.0, seed=1, weights=None):
        self.upstream_port = upstream_port
        self.rate = rate
        self.stall_s = stall_s
        self.rng = random.Random(seed)
        self.weights = weights or {f: 1 for f in FAULTS}
        self.lock = threading.Lock()
        self.counts = {f: 0 for f in FAULTS}
        self.requests = 0
        self.posts = 0
        self.bytes_up = 0
        self.bytes_down = 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.forced = []  # faults applied to the next requests first, in order
        self.stopping = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def stop(self):
        self.stopping = True
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        except OSError:
            pass
        self.sock.close()

    def _pick(self):
        with self.lock:
            if self.forced and self.rate > 0:
                return self.forced.pop(0)
            if self.rng.random() >= self.rate:
                return None
            names = list(self.weights)
            return self.rng.choices(names, [self.weights[n] for n in names])[0]

    def _accept(self):
        while not self.stopping:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            if self.stopping:
                client.close()
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _upstream(self, request):
        up = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=60)
        try:
            up.sendall(request)
            reply = b""
            while True:
                chunk = up.recv(65536)
                if not chunk:
                    break
                reply += chunk
            return reply
        finally:
            up.close()

    def _serve(self, client):
        client.settimeout(60)
        try:
            req = _recv_request(client)
            if req is None:
                return
            head, body = req
            with self.lock:
                self.requests += 1
                self.bytes_up += len(head) + 4 + len(body)
                if head.startswith(b"POST"):
                    self.posts += 1
            fault = self._pick()
            if fault:
                with self.lock:
                    self.counts[fault] += 1
            request = _with_close(head) + body
            if fault == "http500":
                client.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n"
                               b"Connection: close\r\n\r\n")
                return
            if fault == "drop_body":
                # The server sees half a body, then the connection goes.
                try:
                    up = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
                    up.sendall(request[: len(_with_close(head)) + len(body) // 2])
                    up.close()
                except OSError:
                    pass
                return
            if fault == "stall":
                time.sleep(self.stall_s)
            try:
                reply = self._upstream(request)
                if fault == "dup_request":
                    reply = self._upstream(request)
            except OSError:
                return  # the server is down: the client sees the drop
            if fault == "drop_reply":
                client.sendall(reply[: len(reply) // 2])
                return
            client.sendall(reply)
            with self.lock:
                self.bytes_down += len(reply)
            if fault == "dup_reply":
                client.sendall(reply)
        except OSError:
            pass
        finally:
            try:
                client.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            client.close()
