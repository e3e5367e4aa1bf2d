"""Sync end to end without faults: add-kiosk and tokens, an upload and a
second one that sends nothing, the server's refusals of bad requests (and
that none of them stores anything), the client's one-line reasons, a kiosk
clock three days wrong corrected from the server's, quarantine shown in
status, and a sealed bundle carried by hand and imported exactly once."""
import gzip
import json
import os
import socket
import sqlite3
import stat
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from synclib import Kiosk, Server, content, free_port, run, scalar, scratch  # noqa: E402

DAY_MS = 86400000


def post(port, body, kiosk="k1", token=None, encoding="gzip", raw=False, method="POST",
         path="/v1/batch"):
    data = body if raw else json.dumps(body).encode()
    if encoding == "gzip" and not raw:
        data = gzip.compress(data)
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=data,
                                 method=method)
    if kiosk:
        req.add_header("X-Convene-Kiosk", kiosk)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    if encoding:
        req.add_header("Content-Encoding", encoding)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def announce_big(port, token, length):
    """Headers of a body over the limit, without the body: the server
    answers before reading it (and would close on a client still sending)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.sendall(("POST /v1/batch HTTP/1.1\r\nHost: x\r\nX-Convene-Kiosk: k1\r\n"
               "Authorization: Bearer %s\r\nContent-Encoding: gzip\r\n"
               "Content-Length: %d\r\n\r\n" % (token, length)).encode())
    data = b""
    while b"}" not in data:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


def batch(kiosk="k1", records=(), people=(), skipped=(), acked=0):
    return {"protocol": 1, "kiosk_id": kiosk, "acked_seq": acked, "people": list(people),
            "records": list(records), "skipped": list(skipped)}


def tap(seq, uid="04A1B2C3"):
    return {"seq": seq, "kind": "tap", "boot_id": "b", "mono_ms": seq, "wall_ms": 1,
            "wall_trusted": True, "zone": "hall", "uid": uid, "ndef_id": None, "person": None}


def server_total(server):
    con = sqlite3.connect(server.db)
    try:
        return con.execute("SELECT (SELECT count(*) FROM taps) + (SELECT count(*) FROM checkins)"
                           " + (SELECT count(*) FROM people) + (SELECT count(*) FROM sync_gaps)"
                           " + (SELECT count(*) FROM sync_batches)").fetchone()[0]
    finally:
        con.close()


def test_tokens_and_upload(root, server):
    token = server.add_kiosk("k1")
    tokens = os.path.join(server.dir, "tokens")
    assert stat.S_IMODE(os.stat(tokens).st_mode) == 0o600
    with open(tokens) as f:
        text = f.read()
    assert token not in text and "k1 " in text
    k = Kiosk(root, "k1", "http://127.0.0.1:%d" % server.port, token)
    k.generate(500)
    r = k.sync()
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("sent 500 records in 2 batches"), r.stdout
    assert token not in r.stdout + r.stderr
    assert content(k.db, "k1") == content(server.db, "k1")
    r = k.sync()
    assert r.returncode == 0 and r.stdout.startswith("sent 0 records in 0 batches, 0 requests")
    st = json.loads(k.sync_status())
    assert st["sync"]["pending"] == 0 and st["sync"]["acked_seq"] == 500, st
    text = run(server.config, "status").stdout
    assert "sync: holds kiosk k1 up to sequence 500" in text, text
    with urllib.request.urlopen("http://127.0.0.1:%d/health" % server.port) as h:
        health = json.loads(h.read())
    assert health["ok"] is True and health["protocol"] == 1
    return k, token


def test_refusals(server, token):
    port = server.port
    before = server_total(server)
    cases = [
        (post(port, batch(), kiosk=None, token=token), 400, "no_kiosk"),
        (post(port, batch(), token=None), 401, "no_token"),
        (post(port, batch(), kiosk="nobody", token=token), 403, "unknown_kiosk"),
        (post(port, batch(), token="x" * 43), 401, "bad_token"),
        (post(port, gzip.compress(b'{"protocol":1,'), token=token, raw=True), 400, "bad_batch"),
        (post(port, b"not gzip", token=token, raw=True), 400, "bad_gzip"),
        (post(port, {"protocol": 1, "kiosk_id": "k1", "acked_seq": "0", "people": [],
                     "records": [], "skipped": []}, token=token), 400, "bad_batch"),
        (post(port, batch(records=[dict(tap(501), seq="501")]), token=token), 400, "bad_batch"),
        (post(port, batch(kiosk="k2"), token=token), 403, "wrong_kiosk"),
        (announce_big(port, token, 5 << 20), 413, "too_big"),
        (post(port, gzip.compress(b" " * (64 << 20)), token=token, raw=True), 413, "too_big"),
        # Replayed: the server holds 1..500 already.
        (post(port, batch(records=[tap(499), tap(500)]), token=token), 409, "replayed"),
        # Out of order: 502 without 501.
        (post(port, batch(records=[tap(502)]), token=token), 409, "out_of_order"),
        # A gap inside the batch.
        (post(port, batch(records=[tap(501), tap(503)]), token=token), 400, "bad_batch"),
        # A check-in naming someone the batch does not carry.
        (post(port, batch(records=[{"seq": 501, "kind": "checkin", "boot_id": "b",
                                    "mono_ms": 1, "wall_ms": 1, "wall_trusted": True,
                                    "zone": "hall", "person": 9, "day": "2026-01-01",
                                    "tap_seq": 1}]), token=token), 400, "bad_batch"),
        (post(port, b"", token=token, raw=True, method="GET"), 405, "method"),
        (post(port, b"", token=token, raw=True, path="/v2/nope"), 404, "not_found"),
    ]
    for (status, body), want_status, want_error in cases:
        assert status == want_status and body.get("error") == want_error, \
            (status, body, want_status, want_error)
        assert body.get("message"), body
    # A record refused for good makes the whole batch store nothing.
    people = [{"id": 1, "external_id": "Z-1", "name": "Zed", "organization": "", "role":
               "attendee", "email": None, "updated_wall_ms": 1, "badges": ["04FFFFFF"]}]
    status, body = post(port, batch(records=[
        tap(501), {"seq": 502, "kind": "checkin", "boot_id": "b", "mono_ms": 1, "wall_ms": 1,
                   "wall_trusted": True, "zone": "hall", "person": 1, "day": "2026-01-01",
                   "tap_seq": 1000}], people=people), token=token)
    assert status == 400 or (status == 422 and body["error"] == "rejected"), (status, body)
    assert server_total(server) == before, "a refused request stored something"


def test_client_reasons(root, server, token):
    k = Kiosk(root, "k9", "http://127.0.0.1:%d" % server.port, "y" * 43, "attempts = 2\n")
    server.add_kiosk("k9")
    k.generate(10)
    r = k.sync()
    assert r.returncode == 1 and "bad token" in r.stderr, r.stderr
    k.url = "http://127.0.0.1:%d" % free_port()
    k.write_config()
    r = k.sync()
    assert r.returncode == 1 and "server unreachable" in r.stderr.splitlines()[-1], r.stderr
    os.chmod(k.token_file, 0o644)
    r = k.sync()
    assert r.returncode == 1 and "chmod 600" in r.stderr, r.stderr
    k.url = "https://127.0.0.1:%d" % server.port  # plain HTTP answering TLS
    k.write_config()
    os.chmod(k.token_file, 0o600)
    r = k.sync()
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()[-1]) < 300, r.stderr


def test_clock_three_days_wrong(root, server):
    token = server.add_kiosk("k-clock")
    k = Kiosk(root, "k-clock", "http://127.0.0.1:%d" % server.port, token,
              "[clock]\ntrust = never\n")
    k.generate(300, "--skew-ms", str(-3 * DAY_MS), "--untrusted")
    r = k.sync()
    assert r.returncode == 0, r.stderr
    assert "clock was off" in r.stdout, r.stdout
    # The fix is a record of its own, sent in the same run.
    assert scalar(server.db, "SELECT count(*) FROM clock_fixes WHERE kiosk_id = 'k-clock'") == 1
    for db in (k.db, server.db):
        con = sqlite3.connect(db)
        try:
            rows = con.execute("SELECT wall_ms, corrected_wall_ms FROM record_times "
                               "WHERE kiosk_id = 'k-clock'").fetchall()
        finally:
            con.close()
        assert len(rows) == 300
        for wall, corrected in rows:
            # Originals kept three days off; corrected within a minute of the
            # right time (the records were written moments before the sync).
            assert abs(corrected - wall - 3 * DAY_MS) < 60000, (wall, corrected)
    r = k.sync()
    assert r.returncode == 0 and r.stdout.startswith("sent 0 records")


def test_quarantine(root, server):
    token = server.add_kiosk("k-q")
    k = Kiosk(root, "k-q", "http://127.0.0.1:%d" % server.port, token)
    k.generate(20)
    # A tap the protocol cannot carry, and a check-in that leans on it.
    con = sqlite3.connect(k.db)
    with con:
        pid = con.execute("SELECT min(id) FROM people").fetchone()[0]
        con.execute("INSERT INTO taps VALUES ('k-q', 21, 'not-hex', NULL, ?, 'hall', 'b', 1, 1,"
                    " 1)", (pid,))
        con.execute("INSERT INTO checkins VALUES ('k-q', 22, ?, 'hall', '2026-01-01', 21, 'b',"
                    " 1, 1, 1)", (pid,))
        con.execute("UPDATE sequences SET last_seq = 22 WHERE kiosk_id = 'k-q'")
    con.close()
    k.generate(5)
    r = k.sync()
    assert r.returncode == 1 and "quarantine" in r.stderr, (r.stdout, r.stderr)
    st = json.loads(k.sync_status())["sync"]
    assert st["quarantined"] == 2 and st["pending"] == 0, st
    reasons = {q["seq"]: q["reason"] for q in st["quarantine"]}
    assert "not valid for sync" in reasons[21], reasons
    assert "its tap is not held" in reasons[22], reasons
    text = run(k.config, "status").stdout
    assert "quarantined seq 22" in text, text
    assert scalar(server.db, "SELECT held_seq FROM sync_held WHERE kiosk_id = 'k-q'") == 27
    r = k.sync("--retry-quarantined")
    assert r.returncode == 1 and "retrying 2" in r.stdout, r.stdout
    st = json.loads(k.sync_status())["sync"]
    assert st["quarantined"] == 2, st


def test_bundle(root, server):
    token = server.add_kiosk("k-usb")
    k = Kiosk(root, "k-usb", "http://127.0.0.1:%d" % free_port(), token,
              "server_public_key_file = %s\n" % os.path.join(server.dir, "server.pub"))
    k.generate(1200)
    out = os.path.join(k.dir, "usb.bundle")
    r = run(k.config, "export", "--format", "bundle", "--out", out)
    assert r.returncode == 0 and "a sealed bundle of 1200 records" in r.stdout, r.stdout
    with open(out, "rb") as f:
        head = f.read(64)
    assert head.startswith(b"CONVENE-BUNDLE 1 sealed\n") and b"k-usb" not in head
    r = run(server.config, "serve", "--import", out)
    assert r.returncode == 0 and "1200 stored, 0 held already" in r.stdout, r.stdout + r.stderr
    r = run(server.config, "serve", "--import", out)
    assert r.returncode == 0 and "0 stored, 1200 held already" in r.stdout, r.stdout
    assert content(k.db, "k-usb") == content(server.db, "k-usb")
    # Network later: the kiosk learns the server holds it all, sends nothing new.
    k.url = "http://127.0.0.1:%d" % server.port
    k.write_config()
    r = k.sync()
    assert r.returncode == 0, r.stderr
    st = json.loads(k.sync_status())["sync"]
    assert st["pending"] == 0 and st["acked_seq"] == 1200, st


def main():
    root = scratch("sync")
    server = Server(root, "public_key_file = %s\nsecret_key_file = %s\n" % (
        os.path.join(root, "server", "server.pub"), os.path.join(root, "server", "server.key")))
    server.start()
    try:
        k, token = test_tokens_and_upload(root, server)
        test_refusals(server, token)
        test_client_reasons(root, server, token)
        test_clock_three_days_wrong(root, server)
        test_quarantine(root, server)
        test_bundle(root, server)
    finally:
        server.stop()
    print("ok")


if __name__ == "__main__":
    main()
