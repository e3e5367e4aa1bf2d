"""Helpers for the end-to-end tests: a scratch folder with a config, a
roster and a sim script, and the real convene program run against it."""
import os
import sqlite3
import subprocess
import tempfile

CONVENE = os.environ.get("CONVENE", os.path.join(os.path.dirname(__file__), "../../build/convene"))
ARTIFACTS = os.environ.get("CONVENE_TEST_ARTIFACTS", tempfile.gettempdir())


class Kiosk:
    """A scratch kiosk: its own folder, config file and database."""

    def __init__(self, name, mode="both", extra="", kiosk_id="test-kiosk"):
        os.makedirs(ARTIFACTS, exist_ok=True)
        self.dir = tempfile.mkdtemp(prefix=name + "-", dir=ARTIFACTS)
        self.db = os.path.join(self.dir, "kiosk.db")
        self.config = os.path.join(self.dir, "kiosk.conf")
        self.script = os.path.join(self.dir, "tour.script")
        self.write_config(mode, extra, kiosk_id)

    def write_config(self, mode="both", extra="", kiosk_id="test-kiosk"):
        with open(self.config, "w", encoding="utf-8") as f:
            f.write(
                "[kiosk]\nid = %s\nname = Test kiosk\nzone = hall\nmode = %s\n"
                "[store]\npath = %s\n"
                "[reader]\ndriver = sim\nscript = %s\n"
                "[audio]\nsound = false\n"
                "[flow]\npair_window_ms = 4000\ndebounce_ms = 1000\n"
                "prompt_timeout_ms = 3000\nmessage_ms = 600\n%s"
                % (kiosk_id, mode, self.db, self.script, extra)
            )

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, text):
        p = self.path(name)
        with open(p, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        return p

    def run(self, *args, timeout=120, env=None):
        full_env = dict(os.environ)
        if env:
            full_env.update(env)
        return subprocess.run(
            [CONVENE, "--config", self.config, *args],
            capture_output=True, text=True, timeout=timeout, env=full_env,
        )

    def query(self, sql, params=()):
        con = sqlite3.connect(self.db)
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()

    def scalar(self, sql, params=()):
        return self.query(sql, params)[0][0]


ROSTER = (
    "name,organization,role,email,external_id,badge_uid\n"
    "Ada Lovelace,Analytical Engines,attendee,ada@example.org,p-001,04A1B2C3D4E501\n"
    "Zoë Ångström,Climate Commons,attendee,zoe@example.org,p-002,04A1B2C3D4E502\n"
    "\"Okafor, Amara\",Riverside Health,organizer,amara@example.org,p-003,04A1B2C3D4E503\n"
    "Łukasz Nowak,Northside Schools,attendee,lukasz@example.org,p-004,A1B2C3D4\n"
)
UID = ["04A1B2C3D4E501", "04A1B2C3D4E502", "04A1B2C3D4E503", "A1B2C3D4"]
