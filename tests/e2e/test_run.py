"""`convene run --headless` on sim scripts: what reaches the database in
each mode, the screens shown, and bad scripts."""
import os
import re
import unittest

from kiosk import ROSTER, UID, Kiosk


def kiosk_with(mode, script, name=None, extra=""):
    k = Kiosk(name or "run-" + mode, mode=mode, extra=extra)
    k.write("roster.csv", ROSTER)
    r = k.run("import-roster", k.path("roster.csv"))
    assert r.returncode == 0, r.stderr
    k.write("tour.script", script)
    return k


def run(k, *extra):
    r = k.run("run", "--headless", "--exit-when-done", "--screenshots", k.path("shots"), *extra)
    if r.returncode != 0:
        raise AssertionError("convene run failed (%d): %s" % (r.returncode, r.stderr))
    return r


def shots(k):
    return sorted(os.listdir(k.path("shots")))


class Modes(unittest.TestCase):
    def test_both_records_pair_only_with_an_answer(self):
        k = kiosk_with("both", "100 tap %s\n300 tap %s\n300 press offered_help\n"
                       "1500 tap %s\n300 tap %s\n300 press not_together\n"
                       % (UID[0], UID[1], UID[2], UID[3]))
        run(k)
        self.assertEqual(k.scalar("SELECT count(*) FROM taps"), 4)
        self.assertEqual(k.scalar("SELECT count(*) FROM checkins"), 4)
        rows = k.query("SELECT pa.external_id, pb.external_id, e.answer FROM encounters e "
                       "JOIN people pa ON pa.id = e.person_a JOIN people pb ON pb.id = e.person_b")
        self.assertEqual(rows, [("p-001", "p-002", "offered_help")])
        names = shots(k)
        self.assertTrue(any(n.endswith("-prompt.png") for n in names), names)
        self.assertTrue(any(n.endswith("-thanks.png") for n in names), names)
        self.assertTrue(all(re.fullmatch(r"\d{3}-[a-z]+\.png", n) for n in names), names)

    def test_meet_records_at_second_tap_and_adds_answer(self):
        k = kiosk_with("meet", "100 tap %s\n300 tap %s\n300 press shared_challenge\n"
                       "1500 tap %s\n300 tap %s\n" % (UID[0], UID[1], UID[2], UID[3]))
        run(k)
        enc = k.query("SELECT person_a, person_b FROM encounters ORDER BY seq")
        self.assertEqual(len(enc), 2)
        answers = k.query("SELECT answer FROM answers")
        self.assertEqual(answers, [("shared_challenge",)])

    def test_checkin_mode_never_pairs(self):
        k = kiosk_with("checkin", "100 tap %s\n300 tap %s\n300 press offered_help\n"
                       % (UID[0], UID[1]))
        run(k)
        self.assertEqual(k.scalar("SELECT count(*) FROM encounters"), 0)
        self.assertEqual(k.scalar("SELECT count(*) FROM checkins"), 2)
        self.assertFalse(any(n.endswith("-prompt.png") for n in shots(k)))


class Taps(unittest.TestCase):
    def test_check_in_once_per_zone_and_day(self):
        k = kiosk_with("checkin", "100 tap %s\n1500 tap %s\n" % (UID[0], UID[0]))
        run(k)
        self.assertEqual(k.scalar("SELECT count(*) FROM taps"), 2)
        self.assertEqual(k.scalar("SELECT count(*) FROM checkins"), 1)

    def test_debounce_ignores_a_quick_repeat(self):
        k = kiosk_with("both", "100 tap %s\n200 tap %s\n" % (UID[0], UID[0]))
        r = run(k)
        # Both reads are in the raw log; only one was shown.
        self.assertEqual(k.scalar("SELECT count(*) FROM taps"), 2)
        self.assertEqual(len(re.findall(r"confirmed tap", r.stderr)), 1)

    def test_held_badge_is_one_tap(self):
        k = kiosk_with("both", "100 present %s\n2000 remove\n" % UID[0])
        run(k)
        self.assertEqual(k.scalar("SELECT count(*) FROM taps"), 1)

    def test_unknown_badge_is_logged_and_shown(self):
        k = kiosk_with("both", "100 tap 04FFEEDDCCBBAA\n")
        r = run(k)
        self.assertEqual(k.query("SELECT uid, person_id FROM taps"), [("04FFEEDDCCBBAA", None)])
        self.assertTrue(any(n.endswith("-unknown.png") for n in shots(k)))
        self.assertIn("confirmed tap", r.stderr)
        self.assertEqual(k.scalar("SELECT count(*) FROM people"), 4)

    def test_random_uid_is_refused_and_not_stored(self):
        k = kiosk_with("both", "100 tap 08112233\n")
        run(k)
        self.assertEqual(k.scalar("SELECT count(*) FROM taps"), 0)
        self.assertEqual(k.scalar("SELECT count(*) FROM people"), 4)
        self.assertTrue(any(n.endswith("-refused.png") for n in shots(k)))

    def test_pair_window_expires(self):
        # pair_window_ms is 4000 in the test config.
        k = kiosk_with("both", "100 tap %s\n4500 tap %s\n300 press offered_help\n"
                       % (UID[0], UID[1]))
        run(k)
        self.assertEqual(k.scalar("SELECT count(*) FROM encounters"), 0)

    def test_touch_presses_an_option(self):
        # At 800x480 the prompt's five options sit in two rows in the lower
        # two thirds; (200, 330) is inside "We just said hi" in the second
        # row. The second touch lands on the thanks screen and does nothing.
        k = kiosk_with("both", "100 tap %s\n300 tap %s\n300 touch 200 330\n300 touch 600 330\n"
                       % (UID[0], UID[1]))
        run(k)
        self.assertEqual(k.query("SELECT answer FROM encounters"), [("said_hi",)])

    def test_every_record_carries_clock_and_sequence(self):
        k = kiosk_with("both", "100 tap %s\n300 tap %s\n300 press offered_help\n"
                       % (UID[0], UID[1]))
        run(k)
        seqs = []
        for table in ("taps", "checkins", "encounters"):
            for kid, seq, boot, mono, wall, trusted in k.query(
                    "SELECT kiosk_id, seq, boot_id, mono_ms, wall_ms, wall_trusted FROM " + table):
                self.assertEqual(kid, "test-kiosk")
                self.assertRegex(boot, r"^[0-9a-f-]{36}$")
                self.assertGreater(mono, 0)
                self.assertGreater(wall, 1_600_000_000_000)
                self.assertIn(trusted, (0, 1))
                seqs.append(seq)
        self.assertEqual(sorted(seqs), list(range(1, len(seqs) + 1)))


class BadScripts(unittest.TestCase):
    def test_bad_line_is_reported_with_its_number(self):
        k = kiosk_with("both", "# tour\n100 tap %s\n200 hop 0411\n" % UID[0])
        r = k.run("run", "--headless", "--exit-when-done")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("line 3", r.stderr)
        self.assertEqual(k.scalar("SELECT count(*) FROM people"), 4)

    def test_exit_when_done_needs_a_script(self):
        k = Kiosk("noscript")
        with open(k.config, encoding="utf-8") as f:
            text = f.read().replace("script = " + k.script + "\n", "script =\n")
        with open(k.config, "w", encoding="utf-8") as f:
            f.write(text)
        r = k.run("run", "--headless", "--exit-when-done")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--exit-when-done", r.stderr)


if __name__ == "__main__":
    unittest.main()
