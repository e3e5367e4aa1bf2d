"""Power-cut stand-in: SIGKILL `convene run` at 50 random moments during a
fast sim script. After each kill every tap whose confirmation was drawn (the
program logs "confirmed tap seq=N" after presenting the frame) must be in
the database, and the database must pass PRAGMA integrity_check."""
import os
import random
import re
import signal
import sqlite3
import subprocess
import time
import unittest

from kiosk import CONVENE, Kiosk

KILLS = int(os.environ.get("CONVENE_CRASH_KILLS", "50"))
PEOPLE = 60


class Crash(unittest.TestCase):
    def test_confirmed_taps_survive_sigkill(self):
        k = Kiosk("crash", mode="both",
                  extra="debounce_ms = 0\n")
        rows = ["name,external_id,badge_uid"]
        uids = []
        for i in range(PEOPLE):
            uid = "04C0FFEE%06X" % (i + 1)
            uids.append(uid)
            rows.append("Person %d,c-%03d,%s" % (i + 1, i + 1, uid))
        k.write("roster.csv", "\n".join(rows) + "\n")
        r = k.run("import-roster", k.path("roster.csv"))
        self.assertEqual(r.returncode, 0, r.stderr)
        rng = random.Random(20261202)
        lines = []
        for i in range(1500):
            lines.append("%d tap %s" % (rng.randint(10, 40), uids[rng.randrange(PEOPLE)]))
            if rng.random() < 0.15:
                lines.append("%d press offered_help" % rng.randint(5, 20))
        k.write("tour.script", "\n".join(lines) + "\n")

        confirmed = set()
        for kill in range(KILLS):
            log_path = k.path("run-%02d.log" % kill)
            with open(log_path, "w") as log:
                p = subprocess.Popen([CONVENE, "--config", k.config, "run", "--headless"],
                                     stdout=subprocess.DEVNULL, stderr=log)
                time.sleep(rng.uniform(0.3, 2.5))
                p.send_signal(signal.SIGKILL)
                p.wait()
            with open(log_path, encoding="utf-8", errors="replace") as log:
                seqs = {int(m.group(1)) for m in re.finditer(r"confirmed tap seq=(\d+)", log.read())}
            confirmed |= seqs
            con = sqlite3.connect(k.db)
            try:
                self.assertEqual(con.execute("PRAGMA integrity_check").fetchone()[0], "ok")
                stored = {row[0] for row in con.execute(
                    "SELECT seq FROM taps WHERE kiosk_id = 'test-kiosk'")}
            finally:
                con.close()
            missing = seqs - stored
            self.assertFalse(missing, "kill %d: confirmed taps missing: %s" % (kill, sorted(missing)[:10]))
        # The test proves nothing if no confirmation was ever drawn.
        self.assertGreater(len(confirmed), KILLS)
        print("crash test: %d kills, %d confirmed taps, all stored" % (KILLS, len(confirmed)))


if __name__ == "__main__":
    unittest.main()
