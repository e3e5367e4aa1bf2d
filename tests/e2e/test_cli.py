"""The command-line contract: subcommands, exit codes, config errors,
roster import, status and export."""
import csv
import json
import os
import subprocess
import unittest

from kiosk import CONVENE, ROSTER, UID, Kiosk


def convene(*args, env=None):
    full_env = dict(os.environ)
    full_env.pop("CONVENE_CONFIG", None)
    if env:
        full_env.update(env)
    return subprocess.run([CONVENE, *args], capture_output=True, text=True, timeout=60,
                          env=full_env)


class Usage(unittest.TestCase):
    def test_help_and_version(self):
        r = convene("--help")
        self.assertEqual(r.returncode, 0)
        for cmd in ("run", "demo", "import-roster", "export", "status", "sync", "serve",
                    "reader-check"):
            self.assertIn(cmd, r.stdout)
        r = convene("--version")
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^convene \d+\.\d+\.\d+")

    def test_unknown_command_and_flags(self):
        for args in (["frobnicate"], ["--frob", "status"], ["status", "--frob"],
                     ["run", "--bogus"], [], ["--config"]):
            r = convene(*args)
            self.assertEqual(r.returncode, 2, args)
            self.assertIn("usage:", r.stderr, args)
            self.assertEqual(r.stdout, "", args)

    def test_missing_config_file(self):
        r = convene("--config", "/nonexistent/kiosk.conf", "status")
        self.assertEqual(r.returncode, 2)
        self.assertIn("/nonexistent/kiosk.conf", r.stderr)


class ConfigErrors(unittest.TestCase):
    def check(self, text, *expected):
        k = Kiosk("config")
        with open(k.config, "w", encoding="utf-8") as f:
            f.write(text)
        r = k.run("status")
        self.assertEqual(r.returncode, 2, r.stderr)
        for e in expected:
            self.assertIn(e, r.stderr)

    def test_bad_value_names_file_line_key(self):
        self.check("[kiosk]\nid = k1\n\n[flow]\npair_window_ms = soon\n",
                   "kiosk.conf:5", "pair_window_ms", "soon")

    def test_unknown_key(self):
        self.check("[kiosk]\nidd = k1\n", "kiosk.conf:2", "idd")

    def test_unknown_section(self):
        self.check("[kiosks]\nid = k1\n", "kiosk.conf:1", "kiosks")

    def test_bad_mode(self):
        self.check("[kiosk]\nmode = party\n", "kiosk.conf:2", "mode", "party")

    def test_env_config(self):
        k = Kiosk("envconfig")
        r = convene("status", "--json", env={"CONVENE_CONFIG": k.config})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["kiosk_id"], "test-kiosk")


class Board(unittest.TestCase):
    def test_board_profile_under_the_config(self):
        k = Kiosk("board")
        r = k.run("--board", "pi4-pn532-uart-dsi7", "status", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        # The config file's own keys win over the profile's.
        self.assertEqual(json.loads(r.stdout)["kiosk_id"], "test-kiosk")

    def test_unknown_board(self):
        r = convene("--board", "no-such-board", "status")
        self.assertEqual(r.returncode, 2)
        self.assertIn("no-such-board", r.stderr)


class SetTime(unittest.TestCase):
    def test_organizer_time_corrects_this_boots_untrusted_records(self):
        import datetime
        k = Kiosk("settime", extra="[clock]\ntrust = never\n")
        k.write("roster.csv", ROSTER)
        self.assertEqual(k.run("import-roster", k.path("roster.csv")).returncode, 0)
        k.write("tour.script", "100 tap %s\n300 tap %s\n300 press said_hi\n" % (UID[0], UID[1]))
        self.assertEqual(k.run("run", "--headless", "--exit-when-done").returncode, 0)
        self.assertEqual(k.scalar("SELECT count(*) FROM taps WHERE wall_trusted = 0"), 2)
        # The kiosk's clock is three days behind: the organiser gives the time.
        right = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=3)
        r = k.run("set-time", right.strftime("%Y-%m-%dT%H:%M:%SZ"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("corrected", r.stdout)
        rows = k.query("SELECT wall_ms, corrected_wall_ms FROM record_times")
        self.assertGreaterEqual(len(rows), 5)
        day = 86400000
        for wall, corrected in rows:
            self.assertLess(abs(corrected - wall - 3 * day), 60000, (wall, corrected))
        # Originals are kept, and a second fix in the same boot changes nothing.
        self.assertEqual(k.scalar("SELECT count(*) FROM taps WHERE wall_trusted = 0"), 2)
        r = k.run("set-time", right.strftime("%Y-%m-%dT%H:%M:%SZ"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("nothing to correct", r.stdout)
        self.assertEqual(k.scalar("SELECT count(*) FROM clock_fixes"), 1)

    def test_bad_time(self):
        k = Kiosk("settime-bad")
        for bad in ("yesterday", "2026-13-01T00:00:00Z", "2026-12-02 10:00"):
            r = k.run("set-time", bad)
            self.assertEqual(r.returncode, 2, bad)
        self.assertEqual(k.run("set-time").returncode, 2)


class Sync(unittest.TestCase):
    def test_sync_without_a_server_says_so(self):
        k = Kiosk("nosync")
        r = k.run("sync")
        self.assertEqual(r.returncode, 1)
        self.assertIn("[sync] url", r.stderr)


class Roster(unittest.TestCase):
    def test_import_status_reimport(self):
        k = Kiosk("roster")
        roster = k.write("roster.csv", ROSTER + "Grace Hopper,Navy,staff,,,\n")
        r = k.run("import-roster", roster)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("5 added", r.stdout)
        st = json.loads(k.run("status", "--json").stdout)
        for key in ("kiosk_id", "schema_version", "people", "badges", "checked_in", "checkins",
                    "encounters", "pending_upload"):
            self.assertIn(key, st)
        self.assertEqual(st["people"], 5)
        self.assertEqual(st["badges"], 4)
        self.assertEqual(st["checkins"], 0)
        before = k.query("SELECT * FROM people ORDER BY id")
        r = k.run("import-roster", roster)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("5 unchanged", r.stdout)
        self.assertEqual(k.query("SELECT * FROM people ORDER BY id"), before)

    def test_unknown_column_warns(self):
        k = Kiosk("roster-warn")
        roster = k.write("roster.csv", "Name,Shirt size\nAda Lovelace,M\n")
        r = k.run("import-roster", roster)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Shirt size", r.stderr)
        self.assertEqual(k.scalar("SELECT count(*) FROM people"), 1)

    def test_malformed_row_imports_nothing(self):
        k = Kiosk("roster-bad")
        good = k.write("good.csv", ROSTER)
        self.assertEqual(k.run("import-roster", good).returncode, 0)
        bad = k.write("bad.csv", "name,role,external_id\nNew Person,attendee,n-1\n"
                      "Other Person,emperor,n-2\n")
        r = k.run("import-roster", bad)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("line 3", r.stderr)
        self.assertIn("emperor", r.stderr)
        self.assertEqual(k.scalar("SELECT count(*) FROM people"), 4)
        self.assertEqual(k.scalar("SELECT count(*) FROM people WHERE external_id='n-1'"), 0)

    def test_missing_file(self):
        k = Kiosk("roster-missing")
        r = k.run("import-roster", k.path("nope.csv"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("nope.csv", r.stderr)

    def test_usage(self):
        k = Kiosk("roster-usage")
        self.assertEqual(k.run("import-roster").returncode, 2)


class Export(unittest.TestCase):
    def test_csv_after_a_run(self):
        k = Kiosk("export", mode="both")
        k.write("roster.csv", ROSTER)
        self.assertEqual(k.run("import-roster", k.path("roster.csv")).returncode, 0)
        k.write("tour.script", "100 tap %s\n300 tap %s\n300 press shared_challenge\n"
                % (UID[0], UID[2]))
        r = k.run("run", "--headless", "--exit-when-done")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = k.path("out")
        r = k.run("export", "--format", "csv", "--out", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(out, "encounters.csv"), newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        self.assertEqual(len(rows), 1)
        self.assertEqual((rows[0]["person_a"], rows[0]["person_b"]), ("p-001", "p-003"))
        self.assertEqual(rows[0]["answer"], "shared_challenge")
        self.assertEqual(rows[0]["kiosk_id"], "test-kiosk")
        self.assertTrue(rows[0]["ts"])
        with open(os.path.join(out, "people.csv"), newline="", encoding="utf-8") as f:
            names = {row["name"] for row in csv.DictReader(f)}
        self.assertIn("Okafor, Amara", names)
        self.assertIn("Zoë Ångström", names)
        with open(os.path.join(out, "checkins.csv"), newline="", encoding="utf-8") as f:
            self.assertEqual(len(list(csv.DictReader(f))), 2)

    def test_unknown_format_and_missing_options(self):
        k = Kiosk("export-fmt")
        r = k.run("export", "--format", "pdf", "--out", k.path("x"))
        self.assertEqual(r.returncode, 2)
        r = k.run("export", "--format", "csv")
        self.assertEqual(r.returncode, 2)


if __name__ == "__main__":
    unittest.main()
