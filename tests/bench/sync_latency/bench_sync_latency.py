"""Tap-to-frame latency while a sync runs: the kiosk runs headless with the
sim reader playing a script of taps, once idle and once while its
background sync uploads a large backlog to a loopback `convene serve` in
small batches (so it keeps running through every tap). Latency per tap is
the kiosk's own detection-to-frame time from its --verbose log: the
recorder's "tap seq=N detected mono_ms=D" and the app's "confirmed tap
seq=N ... mono_ms=F" (both CLOCK_BOOTTIME). Prints p50/p99 of both runs and
their ratio (goal: within 10% of idle). Fails only when something could not
be measured (or the sync did not overlap the taps).

Sizes: LATENCY_TAPS=120 taps, LATENCY_GAP_MS=400 between taps,
LATENCY_BACKLOG=200000 records pending, LATENCY_BATCH=5 records a batch."""
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(__file__)
sys.path.insert(0, os.path.join(HERE, "..", "..", "e2e"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "sync"))
from kiosk import Kiosk  # noqa: E402
from synclib import GEN, Server, scalar, scratch  # noqa: E402

TAPS = int(os.environ.get("LATENCY_TAPS", "120"))
GAP_MS = int(os.environ.get("LATENCY_GAP_MS", "400"))
BACKLOG = int(os.environ.get("LATENCY_BACKLOG", "200000"))
BATCH = int(os.environ.get("LATENCY_BATCH", "5"))
PEOPLE = 200


def script():
    # People of gen_records' roster (badges 04000001..), each tapped once
    # in turn, so every tap is a fresh check-in (no debounce).
    lines = ["%d tap 04%06X" % (GAP_MS, (i % PEOPLE) + 1) for i in range(TAPS)]
    return "\n".join(lines) + "\n"


def percentile(values, p):
    s = sorted(values)
    k = (len(s) - 1) * p / 100.0
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def measure(k):
    """Runs the kiosk through the script; returns (latencies ms, run start, end)."""
    t0 = time.time()
    r = k.run("--verbose", "run", "--headless", "--exit-when-done", timeout=TAPS * GAP_MS / 1000
              + 300)
    t1 = time.time()
    if r.returncode != 0:
        raise RuntimeError("run failed: %s" % r.stderr[-2000:])
    detected, frame = {}, {}
    for line in r.stderr.splitlines():
        m = re.search(r"tap seq=(\d+) detected mono_ms=(\d+)", line)
        if m:
            detected[int(m.group(1))] = int(m.group(2))
            continue
        m = re.search(r"confirmed tap seq=(\d+) .*mono_ms=(\d+)", line)
        if m:
            frame[int(m.group(1))] = int(m.group(2))
    lat = [frame[s] - detected[s] for s in detected if s in frame]
    if len(lat) < TAPS * 0.9:
        raise RuntimeError("only %d of %d taps measured" % (len(lat), TAPS))
    return lat, t0, t1, r.stderr


def kiosk(name, extra=""):
    # Global options go before the command: Kiosk.run puts --config first.
    k = Kiosk(name, mode="checkin", extra=extra)
    k.write("tour.script", script())
    g = subprocess.run([GEN, k.db, "test-kiosk", str(BACKLOG)], capture_output=True, text=True,
                       timeout=900)
    if g.returncode != 0:
        raise RuntimeError(g.stderr)
    return k


def main():
    root = scratch("bench-sync-latency")
    idle = kiosk("latency-idle")
    server = Server(root)
    server.start()
    token = server.add_kiosk("test-kiosk")
    token_file = os.path.join(root, "token")
    with open(token_file, "w") as f:
        f.write(token + "\n")
    os.chmod(token_file, 0o600)
    busy = kiosk("latency-sync", "[sync]\nurl = http://127.0.0.1:%d\ntoken_file = %s\n"
                 "batch_size = %d\n" % (server.port, token_file, BATCH))

    lat_idle, _, _, _ = measure(idle)
    lat_busy, t0, t1, log = measure(busy)
    held = scalar(server.db, "SELECT held_seq FROM sync_held WHERE kiosk_id = 'test-kiosk'")
    # The sync ran through the taps: batches were stored from the first tap
    # to the last (server wall clock, the same machine).
    first, last, batches = (
        scalar(server.db, "SELECT min(wall_ms) FROM sync_batches") or 0,
        scalar(server.db, "SELECT max(wall_ms) FROM sync_batches") or 0,
        scalar(server.db, "SELECT count(*) FROM sync_batches"))
    taps_start = t0 * 1000 + 1000
    taps_end = taps_start + TAPS * GAP_MS
    overlap = max(0.0, min(last, taps_end) - max(first, taps_start)) / (taps_end - taps_start)
    server.stop()

    p50i, p99i = percentile(lat_idle, 50), percentile(lat_idle, 99)
    p50b, p99b = percentile(lat_busy, 50), percentile(lat_busy, 99)
    print("taps: %d, %d ms apart; backlog %d records, batches of %d" % (TAPS, GAP_MS, BACKLOG,
                                                                       BATCH))
    print("idle:    p50 %.1f ms  p99 %.1f ms  mean %.1f ms  (n=%d)" % (
        p50i, p99i, statistics.mean(lat_idle), len(lat_idle)))
    print("syncing: p50 %.1f ms  p99 %.1f ms  mean %.1f ms  (n=%d)" % (
        p50b, p99b, statistics.mean(lat_busy), len(lat_busy)))
    print("ratio syncing/idle: p50 %.2f  p99 %.2f" % (p50b / max(p50i, 0.1),
                                                       p99b / max(p99i, 0.1)))
    print("sync during the run: %d batches, server holds %d of %d, tap window covered %.0f%%"
          % (batches, held, BACKLOG, overlap * 100))
    if overlap < 0.9:
        raise RuntimeError("the sync did not run through the taps (%.0f%%): raise "
                           "LATENCY_BACKLOG" % (overlap * 100))


if __name__ == "__main__":
    main()
