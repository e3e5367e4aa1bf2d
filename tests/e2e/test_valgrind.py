"""valgrind stays clean: a short headless kiosk run, the roster import and
the CSV export under memcheck, with no memory error and nothing definitely
or indirectly lost."""
import shutil
import subprocess
import unittest

from kiosk import CONVENE, ROSTER, UID, Kiosk

VALGRIND = ["valgrind", "--error-exitcode=99", "--leak-check=full",
            "--show-leak-kinds=definite,indirect", "--errors-for-leak-kinds=definite,indirect"]


@unittest.skipUnless(shutil.which("valgrind"), "valgrind is not installed")
class Valgrind(unittest.TestCase):
    def test_run_import_export_are_clean(self):
        k = Kiosk("valgrind", mode="meet")
        k.write("roster.csv", ROSTER)
        k.write("tour.script", "100 tap %s\n300 tap %s\n300 press said_hi\n300 tap 04EEEEEEEEEEEE\n"
                "300 tap 08AABBCC\n" % (UID[0], UID[1]))
        for args in (["import-roster", k.path("roster.csv")],
                     ["run", "--headless", "--exit-when-done"],
                     ["export", "--format", "csv", "--out", k.path("out")],
                     ["status", "--json"]):
            r = subprocess.run(VALGRIND + [CONVENE, "--config", k.config, *args],
                               capture_output=True, text=True, timeout=600)
            self.assertEqual(r.returncode, 0, "%s: %s" % (args, r.stderr[-3000:]))
            self.assertIn("ERROR SUMMARY: 0 errors", r.stderr, args)
        self.assertEqual(k.scalar("SELECT count(*) FROM encounters"), 1)


if __name__ == "__main__":
    unittest.main()
