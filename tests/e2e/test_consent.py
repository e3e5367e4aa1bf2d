"""Consent end to end: `convene run --headless` with [consent] ask = true
and sim scripts that answer the consent screen (`press consent-...`); a
pair with someone who chose attendance only records no encounter; the
roster's consent column; consent changed from the welcome screen."""
import os
import unittest

from kiosk import ROSTER, UID, Kiosk

ASK = "[consent]\nask = true\n"


def kiosk_with(mode, script, roster=ROSTER, extra=ASK, name="consent"):
    k = Kiosk(name + "-" + mode, mode=mode, extra=extra)
    k.write("roster.csv", roster)
    r = k.run("import-roster", k.path("roster.csv"))
    assert r.returncode == 0, r.stderr
    k.write("tour.script", script)
    return k


def run(k):
    r = k.run("run", "--headless", "--exit-when-done", "--screenshots", k.path("shots"))
    if r.returncode != 0:
        raise AssertionError("convene run failed (%d): %s" % (r.returncode, r.stderr))
    return r


def shots(k):
    return sorted(os.listdir(k.path("shots")))


def consent_of(k, external_id):
    return k.query("SELECT consent, show_name FROM people WHERE external_id = ?",
                   (external_id,))[0]


def encounters(k):
    return k.query("SELECT pa.external_id, pb.external_id, e.answer FROM encounters e "
                   "JOIN people pa ON pa.id = e.person_a JOIN people pb ON pb.id = e.person_b "
                   "ORDER BY e.seq")


class AskedOnScreen(unittest.TestCase):
    def test_attendance_only_pair_records_no_encounter(self):
        k = kiosk_with("both",
                       # Ada: attendance only
                       "100 tap %s\n300 press consent-attendance\n200 press consent-done\n"
                       # Zoë: encounters, her name shown
                       "300 tap %s\n300 press consent-encounters\n200 press consent-show-name\n"
                       "200 press consent-done\n"
                       # Ada pairs with Zoë: private, nothing recorded
                       "300 tap %s\n"
                       # Amara: encounters; Amara and Zoë pair and answer
                       "1500 tap %s\n300 press consent-encounters\n200 press consent-done\n"
                       "300 tap %s\n300 press offered_help\n"
                       % (UID[0], UID[1], UID[0], UID[2], UID[1]))
        r = run(k)
        self.assertEqual(encounters(k), [("p-003", "p-002", "offered_help")])
        self.assertEqual(consent_of(k, "p-001"), ("attendance", 0))
        self.assertEqual(consent_of(k, "p-002"), ("encounters", 1))
        self.assertEqual(consent_of(k, "p-003"), ("encounters", 0))
        # each choice is an append-only record with this kiosk's id and the clock
        rows = k.query("SELECT c.seq, p.external_id, c.consent, c.kiosk_id, c.tap_seq > 0, "
                       "c.wall_ms > 0, length(c.boot_id) > 0 FROM consents c "
                       "JOIN people p ON p.id = c.person_id ORDER BY c.seq")
        self.assertEqual(rows, [(1, "p-001", "attendance", "test-kiosk", 1, 1, 1),
                                (2, "p-002", "encounters", "test-kiosk", 1, 1, 1),
                                (3, "p-003", "encounters", "test-kiosk", 1, 1, 1)])
        # attendance is still logged for everyone
        self.assertEqual(k.scalar("SELECT count(DISTINCT person_id) FROM checkins"), 3)
        names = shots(k)
        self.assertTrue(any(n.endswith("-consent.png") for n in names), names)
        self.assertTrue(any(n.endswith("-private.png") for n in names), names)
        self.assertTrue(any(n.endswith("-thanks.png") for n in names), names)
        self.assertIn("consent of person", r.stderr)

    def test_unanswered_question_records_nothing_and_asks_again(self):
        # prompt_timeout_ms is 3000: the question goes away unanswered
        k = kiosk_with("meet", "100 tap %s\n300 press consent-attendance\n"
                       "3500 tap %s\n300 press consent-encounters\n200 press consent-done\n"
                       % (UID[0], UID[0]))
        run(k)
        self.assertEqual(k.scalar("SELECT count(*) FROM consents"), 1)
        self.assertEqual(consent_of(k, "p-001"), ("encounters", 0))

    def test_roster_consent_is_not_asked_again(self):
        roster = ROSTER.replace("external_id,badge_uid\n", "external_id,badge_uid,consent\n", 1)
        lines = roster.splitlines(True)
        lines[1] = lines[1].rstrip("\n") + ",attendance\n"
        lines[2] = lines[2].rstrip("\n") + ",encounters+name\n"
        lines[3] = lines[3].rstrip("\n") + ",encounters\n"
        lines[4] = lines[4].rstrip("\n") + ",\n"
        k = kiosk_with("meet", "100 tap %s\n300 tap %s\n1500 tap %s\n300 tap %s\n"
                       % (UID[1], UID[0], UID[2], UID[1]), roster="".join(lines))
        run(k)
        # Zoë and Ada: private; Amara and Zoë: recorded at the second tap
        self.assertEqual(encounters(k), [("p-003", "p-002", None)])
        self.assertEqual(k.scalar("SELECT count(*) FROM consents"), 0)
        self.assertFalse(any(n.endswith("-consent.png") for n in shots(k)))


class ChangedFromWelcome(unittest.TestCase):
    def test_change_at_a_later_tap(self):
        # no ask: everyone is welcomed; Ada opens the consent screen herself
        k = kiosk_with("meet", "100 tap %s\n300 press consent-open\n300 press consent-attendance\n"
                       "200 press consent-done\n300 tap %s\n"
                       % (UID[0], UID[1]), extra="")
        run(k)
        self.assertEqual(consent_of(k, "p-001"), ("attendance", 0))
        self.assertEqual(encounters(k), [])
        self.assertTrue(any(n.endswith("-private.png") for n in shots(k)))


if __name__ == "__main__":
    unittest.main()
