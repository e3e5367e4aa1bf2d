"""A TLS-terminating reverse proxy for the sync tests: accepts TLS on a
loopback port with a given certificate and key (Python's ssl module) and
passes the plain bytes to `convene serve`, which speaks HTTP only, the way a
reverse proxy in front of it would on a real network."""
import select
import socket
import ssl
import threading


class TlsProxy:
    def __init__(self, upstream_port, cert, key):
        self.upstream_port = upstream_port
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        self.handshakes_failed = 0
        self.connections = 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.running = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while self.running:
            try:
                raw, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(raw,), daemon=True).start()

    def _serve(self, raw):
        raw.settimeout(10)
        try:
            tls = self.ctx.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            self.handshakes_failed += 1
            raw.close()
            return
        self.connections += 1
        try:
            up = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=10)
        except OSError:
            tls.close()
            return
        try:
            while True:
                ready = [tls] if tls.pending() else select.select([tls, up], [], [], 30)[0]
                if not ready:
                    break
                if tls in ready:
                    data = tls.recv(65536)
                    if not data:
                        break
                    up.sendall(data)
                if up in ready:
                    data = up.recv(65536)
                    if not data:
                        break
                    tls.sendall(data)
        except (ssl.SSLError, OSError):
            pass
        finally:
            up.close()
            tls.close()

    def stop(self):
        self.running = False
        self.sock.close()
