"""`convene run --headless` with `[reader] driver = nfc` against the emulated
PN532 (pn532_emu on a pseudo-terminal) through Debian's real libnfc: the
badges the emulator presents must reach the database as taps, check-ins and
encounters; a random-UID card is refused and not stored; the reader
vanishing shows the offline banner, and taps after it comes back are
recorded. The emulator is driven line by line while the kiosk's log is read,
so each step waits for what the kiosk did rather than for a guessed time."""
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time
import unittest

from kiosk import ARTIFACTS, CONVENE, ROSTER, UID

EMU = os.environ.get("PN532_EMU", "")

# A fifth attendee with no badge bound: her badge names her only through
# the NDEF Text record it carries.
ROSTER_NDEF = ROSTER + "Grace Hopper,Compilers Inc,attendee,grace@example.org,p-005,\n"
NDEF_UID = "04C0FFEE123456"  # 7 bytes, bound to nobody
RANDOM_UID = "08112233"  # first byte 0x08: a random UID


class Emulator:
    """pn532_emu with --control: commands go to its stdin."""

    def __init__(self, folder):
        self.link = os.path.join(folder, "pn532")
        self.log = os.path.join(folder, "emu.log")
        self.proc = subprocess.Popen(
            [EMU, "--control", "--link", self.link, "--log", self.log],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        deadline = time.monotonic() + 5
        while not os.path.islink(self.link):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise AssertionError("the emulator did not create its pty")
            time.sleep(0.01)

    def say(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            self.proc.terminate()
            self.proc.wait(timeout=10)


class RunningKiosk:
    """`convene run` in the background; its log is collected line by line."""

    def __init__(self, config, shots):
        env = dict(os.environ)
        env.pop("LIBNFC_DEFAULT_DEVICE", None)
        env.pop("LIBNFC_DEVICE", None)
        env.setdefault("LIBNFC_LOG_LEVEL", "0")
        self.proc = subprocess.Popen(
            [CONVENE, "--config", config, "run", "--headless", "--screenshots", shots],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            text=True, env=env)
        self.lines = []
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stderr:
            with self.cond:
                self.lines.append(line.rstrip("\n"))
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_for(self, pattern, timeout, start=0):
        """Index and match of the first line from `start` matching pattern."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.cond:
            i = start
            while True:
                while i < len(self.lines):
                    m = rx.search(self.lines[i])
                    if m:
                        return i, m
                    i += 1
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and i == len(self.lines)):
                    raise AssertionError("no log line matching %r within %.1f s; log:\n%s"
                                         % (pattern, timeout, "\n".join(self.lines)))
                self.cond.wait(min(left, 0.1))

    def count(self, pattern):
        rx = re.compile(pattern)
        with self.cond:
            return sum(1 for line in self.lines if rx.search(line))

    def stop(self):
        """SIGTERM (SDL turns it into SDL_QUIT); returns the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            rc = None
        self.reader.join(timeout=5)
        return rc


class NfcKiosk(unittest.TestCase):
    def setUp(self):
        if not EMU or not os.access(EMU, os.X_OK):
            self.skipTest("PN532_EMU does not name the emulator")
        os.makedirs(ARTIFACTS, exist_ok=True)
        self.dir = tempfile.mkdtemp(prefix="nfc-e2e-", dir=ARTIFACTS)
        self.db = os.path.join(self.dir, "kiosk.db")
        self.shots = os.path.join(self.dir, "shots")
        self.emu = None
        self.kiosk = None
        self.last_seq = 0

    def tearDown(self):
        if self.kiosk:
            self.kiosk.stop()
        if self.emu:
            self.emu.stop()
        if not os.environ.get("CONVENE_KEEP_ARTIFACTS"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def start(self, mode, pair_window_ms=1000):
        self.emu = Emulator(self.dir)
        config = os.path.join(self.dir, "kiosk.conf")
        with open(config, "w", encoding="utf-8") as f:
            f.write("[kiosk]\nid = nfc-kiosk\nname = NFC kiosk\nzone = hall\nmode = %s\n"
                    "[store]\npath = %s\n"
                    "[reader]\ndriver = nfc\nconnstring = pn532_uart:%s\n"
                    "[audio]\nsound = false\n"
                    "[flow]\npair_window_ms = %d\ndebounce_ms = 1000\n"
                    "prompt_timeout_ms = 3000\nmessage_ms = 500\n"
                    % (mode, self.db, self.emu.link, pair_window_ms))
        roster = os.path.join(self.dir, "roster.csv")
        with open(roster, "w", encoding="utf-8", newline="") as f:
            f.write(ROSTER_NDEF)
        r = subprocess.run([CONVENE, "--config", config, "import-roster", roster],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.kiosk = RunningKiosk(config, self.shots)
        self.kiosk.wait_for(r"reader online", 10)

    def tap(self, uid, extra=""):
        """Presents a badge, waits for the frame confirming it (a tap newer
        than the last one confirmed), removes it; returns the screen."""
        k = self.kiosk
        start = len(k.lines)
        self.emu.say(("present %s %s" % (uid, extra)).strip())
        _, m = k.wait_for(r"confirmed tap seq=(\d+) screen=(\w+)", 10, start)
        self.emu.say("remove")
        seq = int(m.group(1))
        self.assertGreater(seq, self.last_seq)
        self.last_seq = seq
        return m.group(2)

    def query(self, sql, params=()):
        con = sqlite3.connect(self.db)
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()

    def test_taps_ndef_random_uid_and_an_outage(self):
        self.start("both")
        k = self.kiosk
        self.assertEqual(self.tap(UID[0]), "welcome")  # 7-byte UID
        time.sleep(1.2)  # past the pair window: each badge its own flow
        self.assertEqual(self.tap(UID[3]), "welcome")  # 4-byte UID
        time.sleep(1.2)
        self.assertEqual(self.tap(NDEF_UID, "ndef-text p-005"), "welcome")
        time.sleep(1.2)
        start = len(k.lines)
        self.emu.say("present %s type classic1k" % RANDOM_UID)
        k.wait_for(r"refused a random-UID card %s" % RANDOM_UID, 10, start)
        self.emu.say("remove")
        time.sleep(1.0)  # the refusal's message is over: idle

        # The reader vanishes: the banner is shown, then it comes back.
        start = len(k.lines)
        t0 = time.monotonic()
        self.emu.say("vanish")
        k.wait_for(r"reader offline", 5, start)
        self.assertLess(time.monotonic() - t0, 2.0, "offline not shown within 2 s")
        time.sleep(0.5)  # a frame with the banner is drawn and saved
        start = len(k.lines)
        self.emu.say("reappear")
        k.wait_for(r"reader online", 15, start)
        self.assertEqual(self.tap(UID[1]), "welcome")
        time.sleep(1.2)
        self.assertEqual(self.tap(UID[0]), "welcome")  # after debounce
        time.sleep(0.3)
        self.assertEqual(k.stop(), 0, "\n".join(k.lines))
        self.kiosk = None

        taps = self.query("SELECT t.uid, t.ndef_id, p.external_id FROM taps t "
                          "LEFT JOIN people p ON p.id = t.person_id ORDER BY t.seq")
        self.assertEqual(taps, [(UID[0], None, "p-001"), (UID[3], None, "p-004"),
                                (NDEF_UID, "p-005", "p-005"), (UID[1], None, "p-002"),
                                (UID[0], None, "p-001")])
        # The random UID left no trace: no tap, no person, no badge.
        self.assertEqual(self.query("SELECT count(*) FROM taps WHERE uid LIKE '08%'"), [(0,)])
        self.assertEqual(self.query("SELECT count(*) FROM people"), [(5,)])
        self.assertEqual(self.query("SELECT count(*) FROM badges WHERE uid = ?",
                                    (RANDOM_UID,)), [(0,)])
        checkins = self.query("SELECT p.external_id, t.uid FROM checkins c "
                              "JOIN people p ON p.id = c.person_id "
                              "JOIN taps t ON t.kiosk_id = c.kiosk_id AND t.seq = c.tap_seq "
                              "ORDER BY c.seq")
        self.assertEqual(checkins, [("p-001", UID[0]), ("p-004", UID[3]),
                                    ("p-005", NDEF_UID), ("p-002", UID[1])])
        self.assertEqual(self.query("SELECT count(*) FROM encounters"), [(0,)])

        # Screenshots: one per distinct screen state. The outage happened at
        # idle, so it shows as three idle frames in a row: before, with the
        # banner, after; the middle one alone differs.
        names = sorted(os.listdir(self.shots))
        self.assertTrue(any(n.endswith("-refused.png") for n in names), names)
        runs = [i for i in range(len(names) - 2)
                if all(names[i + j].endswith("-idle.png") for j in range(3))]
        self.assertTrue(runs, "no idle/offline/idle screenshots: %s" % names)

        def png(n):
            with open(os.path.join(self.shots, n), "rb") as f:
                return f.read()

        before, banner, after = (png(names[runs[-1] + j]) for j in range(3))
        self.assertNotEqual(banner, before)
        self.assertEqual(before, after)

    def test_meet_records_the_encounter_at_the_second_tap(self):
        self.start("meet", pair_window_ms=4000)
        self.assertEqual(self.tap(UID[3]), "welcome")  # 4-byte UID
        self.assertEqual(self.tap(NDEF_UID, "ndef-text p-005"), "prompt")
        time.sleep(0.3)
        k = self.kiosk
        self.assertEqual(k.stop(), 0, "\n".join(k.lines))
        self.kiosk = None
        enc = self.query("SELECT pa.external_id, pb.external_id, ta.uid, tb.uid, e.answer "
                         "FROM encounters e JOIN people pa ON pa.id = e.person_a "
                         "JOIN people pb ON pb.id = e.person_b "
                         "JOIN taps ta ON ta.kiosk_id = e.kiosk_id AND ta.seq = e.a_tap_seq "
                         "JOIN taps tb ON tb.kiosk_id = e.kiosk_id AND tb.seq = e.b_tap_seq")
        self.assertEqual(enc, [("p-004", "p-005", UID[3], NDEF_UID, None)])
        self.assertEqual(self.query("SELECT count(*) FROM checkins"), [(2,)])


if __name__ == "__main__":
    unittest.main()
