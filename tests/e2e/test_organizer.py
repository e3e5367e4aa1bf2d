"""Organiser mode through the real program at 800x480: an organiser's badge,
the menu button on the welcome screen, the PIN on the keypad, and "Export to
USB" writing the CSV export; a wrong PIN opens nothing. Touches are window
coordinates of the 800x480 layout (see build/test-artifacts/screens)."""
import glob
import os
import subprocess
import unittest

from kiosk import CONVENE, Kiosk

ORGANIZER = "04A1B2C3D4E5F1"
KEYS = {"1": (441, 75), "2": (576, 75), "3": (711, 75), "4": (441, 184), "5": (576, 184),
        "6": (711, 184), "7": (441, 293), "8": (576, 293), "9": (711, 293), "0": (576, 401),
        "ok": (711, 401)}
MENU_BUTTON = (680, 52)
MENU_EXPORT = (399, 289)
MENU_BACK = (652, 289)
PIN = "2468"


def pin_hash(pin):
    r = subprocess.run([CONVENE, "hash-pin"], input=pin + "\n", capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    assert pin not in r.stdout
    line = [l for l in r.stdout.splitlines() if l.startswith("pin_hash")]
    assert line, r.stdout
    return line[0]


def script_for(pin):
    lines = ["100 tap %s" % ORGANIZER, "600 touch %d %d" % MENU_BUTTON]
    for d in pin:
        lines.append("250 touch %d %d" % KEYS[d])
    lines.append("250 touch %d %d" % KEYS["ok"])
    lines.append("2500 touch %d %d" % MENU_EXPORT)
    lines.append("4000 touch %d %d" % MENU_BACK)
    return "\n".join(lines) + "\n"


class Organizer(unittest.TestCase):
    def kiosk(self, name):
        k = Kiosk(name, mode="both")
        export = k.path("usb")
        os.makedirs(export)
        with open(k.config, "a", encoding="utf-8") as f:
            f.write("[organizer]\n%s\nexport_dir = %s\n" % (pin_hash(PIN), export))
        k.write("roster.csv", "name,role,external_id,badge_uid\n"
                "Oona Ørsted,organizer,o-1,%s\nAda Lovelace,attendee,p-1,04A1B2C3D4E5F2\n"
                % ORGANIZER)
        self.assertEqual(k.run("import-roster", k.path("roster.csv")).returncode, 0)
        return k, export

    def run_kiosk(self, k):
        r = k.run("run", "--headless", "--exit-when-done", "--screenshots", k.path("shots"),
                  timeout=180)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r, sorted(os.listdir(k.path("shots")))

    def test_pin_opens_the_menu_and_exports(self):
        k, export = self.kiosk("organizer")
        k.write("tour.script", script_for(PIN))
        r, shots = self.run_kiosk(k)
        self.assertTrue(any("org-pin" in s for s in shots), shots)
        self.assertTrue(any("org-menu" in s for s in shots), shots)
        written = glob.glob(os.path.join(export, "convene-*", "people.csv"))
        self.assertEqual(len(written), 1, os.listdir(export))
        with open(written[0], encoding="utf-8") as f:
            self.assertIn("Oona Ørsted", f.read())
        self.assertNotIn(PIN, r.stderr)

    def test_wrong_pin_opens_nothing(self):
        k, export = self.kiosk("organizer-wrong")
        k.write("tour.script", script_for("1357"))
        r, shots = self.run_kiosk(k)
        self.assertTrue(any("org-pin" in s for s in shots), shots)
        self.assertFalse(any("org-menu" in s for s in shots), shots)
        self.assertEqual(os.listdir(export), [])
        self.assertNotIn("1357", r.stderr)


if __name__ == "__main__":
    unittest.main()
