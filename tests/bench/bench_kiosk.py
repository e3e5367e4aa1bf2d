"""Kiosk benchmarks: idle CPU over 30 s, start to first frame, and peak RSS
with a 5,000-person roster, on the headless (offscreen, software) renderer.
Prints the figures; fails only when something could not be measured."""
import os
import re
import select
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from kiosk import CONVENE, Kiosk  # noqa: E402

IDLE_SECONDS = float(os.environ.get("CONVENE_BENCH_IDLE_S", "30"))
ROSTER_PEOPLE = 5000
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def wait_for_line(p, pattern, timeout):
    """Reads p's stderr until a line matches; returns the time it arrived."""
    deadline = time.monotonic() + timeout
    buf = b""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([p.stderr], [], [], 0.05)
        if not ready:
            continue
        chunk = os.read(p.stderr.fileno(), 4096)
        if not chunk:
            break
        buf += chunk
        if re.search(pattern, buf):
            return time.monotonic()
    raise RuntimeError("no line matching %r; stderr: %s" % (pattern, buf[-2000:]))


def make_roster(k):
    rows = ["name,organization,email,external_id,badge_uid"]
    for i in range(ROSTER_PEOPLE):
        rows.append("Person %05d,Org %03d,p%05d@example.org,b-%05d,04B1%010X"
                    % (i, i % 200, i, i, i + 1))
    k.write("roster.csv", "\n".join(rows) + "\n")
    r = k.run("import-roster", k.path("roster.csv"), timeout=300)
    if r.returncode != 0:
        raise RuntimeError(r.stderr)


def start_to_first_frame(k, runs=10):
    times = []
    for _ in range(runs):
        t0 = time.monotonic()
        p = subprocess.Popen([CONVENE, "--config", k.config, "run", "--headless"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        t1 = wait_for_line(p, rb"first frame drawn", 30)
        times.append((t1 - t0) * 1000)
        p.terminate()
        p.wait(10)
    return statistics.median(times), max(times)


def idle_cpu(k):
    p = subprocess.Popen([CONVENE, "--config", k.config, "run", "--headless"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_for_line(p, rb"first frame drawn", 30)
    time.sleep(1)
    c0, t0 = cpu_seconds(p.pid), time.monotonic()
    time.sleep(IDLE_SECONDS)
    c1, t1 = cpu_seconds(p.pid), time.monotonic()
    p.terminate()
    p.wait(10)
    return 100.0 * (c1 - c0) / (t1 - t0)


def peak_rss_with_taps(k):
    lines = ["%d tap 04B1%010X" % (40, (i * 37) % ROSTER_PEOPLE + 1) for i in range(300)]
    k.write("tour.script", "\n".join(lines) + "\n")
    p = subprocess.Popen([CONVENE, "--config", k.config, "run", "--headless", "--exit-when-done"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # wait4 gives this one child's own peak, not the largest of all children.
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise RuntimeError("kiosk run failed with %d" % p.returncode)
    return usage.ru_maxrss / 1024.0


def main():
    k = Kiosk("bench", mode="both", extra="")
    with open(k.config, encoding="utf-8") as f:
        text = f.read().replace("script = " + k.script + "\n", "script =\n")
    with open(k.config, "w", encoding="utf-8") as f:
        f.write(text)
    make_roster(k)
    median_ms, worst_ms = start_to_first_frame(k)
    print("start to first frame: median %.1f ms, worst %.1f ms (10 runs, 800x480 offscreen)"
          % (median_ms, worst_ms))
    cpu = idle_cpu(k)
    print("idle CPU over %.0f s: %.2f%% of one core (target < 1%%)" % (IDLE_SECONDS, cpu))
    k.write_config(mode="both")
    rss = peak_rss_with_taps(k)
    print("peak RSS, %d-person roster, 300 taps: %.1f MiB" % (ROSTER_PEOPLE, rss))


if __name__ == "__main__":
    main()
