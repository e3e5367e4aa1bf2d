"""Helpers for the sync tests: a server (convene serve) and kiosks in a
scratch folder, record generation through gen_records, and a content hash
of each kiosk's records that is the same on the kiosk and on the server
(people named by external id, since the two stores number them apart)."""
import hashlib
import os
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
import urllib.request

CONVENE = os.environ.get("CONVENE", os.path.join(os.path.dirname(__file__), "../../build/convene"))
GEN = os.environ.get("GEN_RECORDS",
                     os.path.join(os.path.dirname(__file__), "../../build/tests/sync/gen_records"))
ARTIFACTS = os.environ.get("CONVENE_TEST_ARTIFACTS", tempfile.gettempdir())


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def run(config, *args, timeout=600):
    return subprocess.run([CONVENE, "--config", config, *args], capture_output=True, text=True,
                          timeout=timeout)


class Server:
    """convene serve in root/NAME; extra is appended to its config (a hub
    gets a [sync] section there)."""
    def __init__(self, root, extra="", name="server", kiosk_id="hub"):
        self.dir = os.path.join(root, name)
        os.makedirs(self.dir, exist_ok=True)
        self.db = os.path.join(self.dir, "server.db")
        self.port = free_port()
        self.config = os.path.join(self.dir, "server.conf")
        with open(self.config, "w") as f:
            f.write("[kiosk]\nid = %s\n[store]\npath = %s\n[serve]\nlisten = 127.0.0.1:%d\n"
                    "tokens_file = %s\n%s" % (kiosk_id, self.db, self.port,
                                              os.path.join(self.dir, "tokens"), extra))
        self.proc = None
        self.log = open(os.path.join(self.dir, "serve.log"), "a")

    def start(self):
        self.proc = subprocess.Popen([CONVENE, "--config", self.config, "serve"],
                                     stdout=self.log, stderr=self.log)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                urllib.request.urlopen("http://127.0.0.1:%d/health" % self.port, timeout=1)
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("server did not start")

    def kill(self):
        if self.proc:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
            self.proc = None

    def stop(self):
        if self.proc:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=10)
            self.proc = None

    def add_kiosk(self, kiosk_id, hub=False):
        r = run(self.config, "add-kiosk", *(["--hub"] if hub else []), kiosk_id)
        assert r.returncode == 0, r.stderr
        token = r.stdout.strip()
        assert len(token) == 43 and "\n" not in token, r.stdout
        return token


class Kiosk:
    def __init__(self, root, kiosk_id, url, token, extra=""):
        self.id = kiosk_id
        self.dir = os.path.join(root, kiosk_id)
        os.makedirs(self.dir, exist_ok=True)
        self.db = os.path.join(self.dir, "kiosk.db")
        self.token_file = os.path.join(self.dir, "token")
        with open(self.token_file, "w") as f:
            f.write(token + "\n")
        os.chmod(self.token_file, 0o600)
        self.config = os.path.join(self.dir, "kiosk.conf")
        self.url = url
        self.extra = extra
        self.write_config()

    def write_config(self):
        with open(self.config, "w") as f:
            f.write("[kiosk]\nid = %s\nzone = hall\n[store]\npath = %s\n[sync]\nurl = %s\n"
                    "token_file = %s\n%s" % (self.id, self.db, self.url, self.token_file,
                                             self.extra))

    def generate(self, records, *extra):
        r = subprocess.run([GEN, self.db, self.id, str(records), *extra], capture_output=True,
                           text=True, timeout=600)
        assert r.returncode == 0, r.stderr

    def sync(self, *args, timeout=900):
        return run(self.config, "sync", *args, timeout=timeout)

    def sync_status(self):
        r = run(self.config, "status", "--json")
        assert r.returncode == 0, r.stderr
        return r.stdout

    def last_seq(self):
        con = sqlite3.connect(self.db)
        try:
            row = con.execute("SELECT last_seq FROM sequences WHERE kiosk_id = ?",
                              (self.id,)).fetchone()
            return row[0] if row else 0
        finally:
            con.close()


_HASH_SQL = [
    "SELECT 'tap', t.seq, t.uid, t.ndef_id, p.external_id, t.zone, t.boot_id, t.mono_ms,"
    " t.wall_ms, t.wall_trusted FROM taps t LEFT JOIN people p ON p.id = t.person_id"
    " WHERE t.kiosk_id = ?",
    "SELECT 'checkin', c.seq, p.external_id, c.zone, c.day, c.tap_seq, c.boot_id, c.mono_ms,"
    " c.wall_ms, c.wall_trusted FROM checkins c JOIN people p ON p.id = c.person_id"
    " WHERE c.kiosk_id = ?",
    "SELECT 'encounter', e.seq, a.external_id, b.external_id, e.a_tap_seq, e.b_tap_seq,"
    " e.answer, e.zone, e.boot_id, e.mono_ms, e.wall_ms, e.wall_trusted FROM encounters e"
    " JOIN people a ON a.id = e.person_a JOIN people b ON b.id = e.person_b"
    " WHERE e.kiosk_id = ?",
    "SELECT 'answer', seq, encounter_seq, answer, boot_id, mono_ms, wall_ms, wall_trusted"
    " FROM answers WHERE kiosk_id = ?",
    "SELECT 'clock_fix', seq, boot_id, mono_ms, wall_ms, wall_trusted, trusted_wall_ms, source"
    " FROM clock_fixes WHERE kiosk_id = ?",
    # Consents: their place in the upload sequence and their own number.
    "SELECT 'consent', m.seq, c.seq, p.external_id, c.consent, c.show_name, c.tap_seq,"
    " c.boot_id, c.mono_ms, c.wall_ms, c.wall_trusted FROM consents c"
    " JOIN sync_consent_seqs m ON m.kiosk_id = c.kiosk_id AND m.consent_seq = c.seq"
    " JOIN people p ON p.id = c.person_id WHERE c.kiosk_id = ?",
]


def consents(db, kiosk_id):
    """How many consents of kiosk_id db holds (numbered for sync or not)."""
    return scalar(db, "SELECT count(*) FROM consents WHERE kiosk_id = ?", (kiosk_id,))


def content(db, kiosk_id):
    """(count, sha256) of every record of kiosk_id in db, in sequence order
    (consents once they have their place in the upload sequence)."""
    con = sqlite3.connect(db)
    try:
        rows = []
        for sql in _HASH_SQL:
            rows.extend(con.execute(sql, (kiosk_id,)).fetchall())
    finally:
        con.close()
    rows.sort(key=lambda r: r[1])
    h = hashlib.sha256()
    for r in rows:
        h.update(repr(r).encode())
    return len(rows), h.hexdigest()


def scalar(db, sql, params=()):
    con = sqlite3.connect(db)
    try:
        return con.execute(sql, params).fetchone()[0]
    finally:
        con.close()


def scratch(name):
    os.makedirs(ARTIFACTS, exist_ok=True)
    return tempfile.mkdtemp(prefix=name + "-", dir=ARTIFACTS)
