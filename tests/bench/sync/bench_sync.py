"""Sync benchmark: 100,000 records of one kiosk uploaded over loopback by
`convene sync` straight to `convene serve` (bytes on the wire at the HTTP
level, as curl inside convene counts them: request lines, headers, bodies),
next to one `curl` upload of the same records (the kiosk's pending
records as JSON, gzipped, as a bundle carries them) to a sink on the same
machine, in the same run. Prints the figures; docs/benchmarks.md keeps the
table. SYNC_BENCH_RECORDS changes the size."""
import gzip
import http.server
import os
import re
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(__file__)
sys.path.insert(0, os.path.join(HERE, "../../sync"))
from synclib import Kiosk, Server, content, run, scratch  # noqa: E402

RECORDS = int(os.environ.get("SYNC_BENCH_RECORDS", "100000"))


class Sink(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        while n > 0:
            n -= len(self.rfile.read(min(n, 1 << 16)))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def main():
    root = scratch("bench-sync")
    server = Server(root)
    server.start()
    token = server.add_kiosk("bench")
    k = Kiosk(root, "bench", "http://127.0.0.1:%d" % server.port, token)
    t = time.time()
    k.generate(RECORDS)
    gen_s = time.time() - t

    # The same records as one payload: the unsealed bundle's JSON lines.
    bundle = os.path.join(root, "bench.bundle")
    r = run(k.config, "export", "--format", "bundle", "--out", bundle)
    assert r.returncode == 0, r.stderr
    with open(bundle, "rb") as f:
        data = f.read()
    magic = b"CONVENE-BUNDLE 1 plain\n"
    assert data.startswith(magic)
    payload_gz = data[len(magic):]
    payload_json = gzip.decompress(payload_gz)

    t = time.time()
    r = k.sync()
    sync_s = time.time() - t
    assert r.returncode == 0, r.stderr
    assert content(k.db, "bench") == content(server.db, "bench")
    m = re.search(r"in (\d+) batches, (\d+) requests, (\d+) bytes up, (\d+) bytes down",
                  r.stdout)
    batches, requests, up_bytes, down_bytes = (int(x) for x in m.groups())
    wire = up_bytes + down_bytes

    sink = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    gz_path = os.path.join(root, "payload.json.gz")
    with open(gz_path, "wb") as f:
        f.write(payload_gz)
    t = time.time()
    c = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{size_upload} %{size_header}"
                        " %{size_request} %{size_download}", "-H", "Content-Encoding: gzip",
                        "-H", "Content-Type: application/json", "--data-binary", "@" + gz_path,
                        "http://127.0.0.1:%d/upload" % sink.server_address[1]],
                       capture_output=True, text=True, check=True)
    curl_s = time.time() - t
    up, hdr, req, down = (int(x) for x in c.stdout.split())
    curl_wire = up + hdr + req + down
    sink.shutdown()
    server.stop()

    print("sync benchmark: %d records (generated in %.1f s)" % (RECORDS, gen_s))
    print("  records as JSON: %d bytes, gzipped: %d bytes" % (len(payload_json),
                                                              len(payload_gz)))
    print("  convene sync: %.2f s, %d batches in %d requests, %d bytes on the wire "
          "(%d up, %d down)" % (sync_s, batches, requests, wire, up_bytes, down_bytes))
    print("  one curl upload of the same records: %.2f s, %d bytes on the wire" %
          (curl_s, curl_wire))
    print("  ratio convene/curl: time %.1fx, bytes %.2fx" % (sync_s / curl_s, wire / curl_wire))
    print("  %s" % r.stdout.strip())


if __name__ == "__main__":
    main()
