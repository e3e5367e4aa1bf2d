"""The real program under a stand-in for systemd's notify socket: it says
READY=1 once its first frame is drawn, pings the watchdog from its main loop
when WATCHDOG_USEC is set for it, and says STOPPING=1 on the way out."""
import os
import socket
import subprocess
import tempfile
import unittest

CONVENE = os.environ["CONVENE"]
ARTIFACTS = os.environ.get("CONVENE_TEST_ARTIFACTS", tempfile.gettempdir())


class NotifyTest(unittest.TestCase):
    def run_kiosk(self, watchdog_usec):
        os.makedirs(ARTIFACTS, exist_ok=True)
        d = tempfile.mkdtemp(prefix="notify-", dir=ARTIFACTS)
        script = os.path.join(d, "tour.script")
        with open(script, "w") as f:
            # A tap, then enough quiet for several half-intervals.
            f.write("100 tap 04A1B2C3D4E501\n1500 remove\n")
        config = os.path.join(d, "kiosk.conf")
        with open(config, "w") as f:
            f.write("[kiosk]\nid = notify\n[store]\npath = %s/kiosk.db\n"
                    "[reader]\ndriver = sim\nscript = %s\n[audio]\nsound = false\n"
                    "[flow]\nmessage_ms = 600\n" % (d, script))
        path = os.path.join(d, "notify.sock")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(path)
        sock.settimeout(0.5)
        self.addCleanup(sock.close)
        env = dict(os.environ, NOTIFY_SOCKET=path)
        for k in ("WATCHDOG_USEC", "WATCHDOG_PID"):
            env.pop(k, None)
        if watchdog_usec:
            # No WATCHDOG_PID: sd_watchdog_enabled then trusts the variable.
            env["WATCHDOG_USEC"] = str(watchdog_usec)
        proc = subprocess.run(
            [CONVENE, "--config", config, "run", "--headless", "--exit-when-done"],
            env=env, capture_output=True, text=True, timeout=120)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        msgs = []
        while True:
            try:
                msgs.append(sock.recv(4096).decode())
            except socket.timeout:
                break
        return msgs

    def test_ready_then_stopping_without_watchdog(self):
        msgs = self.run_kiosk(0)
        self.assertIn("READY=1", msgs)
        self.assertEqual(msgs[-1], "STOPPING=1")
        self.assertLess(msgs.index("READY=1"), msgs.index("STOPPING=1"))
        self.assertNotIn("WATCHDOG=1", msgs)

    def test_watchdog_pinged_from_the_loop(self):
        # 400 ms: pings every 200 ms or so over the script's 1.6 s.
        msgs = self.run_kiosk(400000)
        self.assertIn("READY=1", msgs)
        pings = msgs.count("WATCHDOG=1")
        self.assertGreaterEqual(pings, 3, msgs)
        self.assertLess(msgs.index("READY=1"), msgs.index("WATCHDOG=1"))
        self.assertEqual(msgs[-1], "STOPPING=1")


if __name__ == "__main__":
    unittest.main()
