"""Sync over real TLS on loopback: certificates made here with `openssl`
(a test CA, a server certificate for 127.0.0.1, one from another CA, one
whose notBefore is in the future, made with `openssl ca -startdate`), served
by a TLS-terminating proxy in front of `convene serve`.

(a) a certificate from the CA in [sync] ca_file: sync works, and with the
    right key pinned too; (b) a certificate from an untrusted CA: exit 1,
    "TLS failure: ..."; (c) a certificate not yet valid: exit 1, "the kiosk
    clock is wrong: set the time", also in `convene status`; (d) another
    public key pinned: exit 1 saying the pinned key does not match."""
import atexit
import base64
import hashlib
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from synclib import Kiosk, Server, run, scalar, scratch  # noqa: E402
from tlsproxy import TlsProxy  # noqa: E402


def openssl(*args, cwd):
    r = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, (args, r.stderr)
    return r.stdout


EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
SERVER_EXT = ("subjectAltName = IP:127.0.0.1, DNS:localhost\nbasicConstraints = CA:FALSE\n"
              "keyUsage = critical, digitalSignature\nextendedKeyUsage = serverAuth\n")


def make_ca(d, name):
    openssl("req", "-x509", *EC, "-keyout", name + ".key", "-out", name + ".pem", "-days", "3",
            "-subj", "/CN=Convene test " + name, "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)


def make_csr(d, name):
    openssl("req", "-new", *EC, "-keyout", name + ".key", "-out", name + ".csr", "-subj",
            "/CN=127.0.0.1", cwd=d)


def make_certs(d):
    with open(os.path.join(d, "server.ext"), "w") as f:
        f.write(SERVER_EXT)
    make_ca(d, "ca")
    make_ca(d, "rogue")
    for name, ca in (("good", "ca"), ("untrusted", "rogue")):
        make_csr(d, name)
        openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key",
                "-CAcreateserial", "-out", name + ".pem", "-days", "2", "-extfile",
                "server.ext", cwd=d)
    # Not valid before 2099: Debian 12's openssl x509 has no -not_before,
    # openssl ca has -startdate.
    make_csr(d, "future")
    open(os.path.join(d, "index.txt"), "w").close()
    with open(os.path.join(d, "serial"), "w") as f:
        f.write("1000\n")
    with open(os.path.join(d, "ca.cnf"), "w") as f:
        f.write("[ca]\ndefault_ca = tca\n[tca]\ndatabase = %s/index.txt\nnew_certs_dir = %s\n"
                "serial = %s/serial\ndefault_md = sha256\npolicy = pol\nunique_subject = no\n"
                "x509_extensions = ext\n[pol]\ncommonName = supplied\n[ext]\n%s"
                % (d, d, d, SERVER_EXT))
    openssl("ca", "-batch", "-config", "ca.cnf", "-cert", "ca.pem", "-keyfile", "ca.key",
            "-in", "future.csr", "-out", "future.pem", "-startdate", "20990101000000Z",
            "-enddate", "20991231000000Z", "-notext", cwd=d)
    text = openssl("x509", "-in", "future.pem", "-noout", "-startdate", cwd=d)
    assert "2099" in text, text


def pin(d, key):
    der = subprocess.run(["openssl", "pkey", "-in", key, "-pubout", "-outform", "DER"], cwd=d,
                         capture_output=True, timeout=60, check=True).stdout
    return "sha256//" + base64.b64encode(hashlib.sha256(der).digest()).decode()


def last_line(r):
    lines = r.stderr.strip().splitlines()
    return lines[-1] if lines else ""


def main():
    root = scratch("sync-tls")
    certs = os.path.join(root, "certs")
    os.makedirs(certs)
    make_certs(certs)
    server = Server(root)
    server.start()
    atexit.register(server.kill)  # also when an assertion fails
    proxies = {name: TlsProxy(server.port, os.path.join(certs, name + ".pem"),
                              os.path.join(certs, name + ".key"))
               for name in ("good", "untrusted", "future")}
    ca = os.path.join(certs, "ca.pem")

    def kiosk(kid, proxy, extra=""):
        token = server.add_kiosk(kid)
        k = Kiosk(root, kid, "https://127.0.0.1:%d" % proxies[proxy].port, token,
                  "ca_file = %s\nattempts = 2\n%s" % (ca, extra))
        k.generate(400)
        return k

    # (a) trusted: everything arrives through TLS, with and without a pin.
    k = kiosk("tls-ok", "good")
    r = k.sync()
    assert r.returncode == 0, (r.stdout, r.stderr)
    held = scalar(server.db, "SELECT held_seq FROM sync_held WHERE kiosk_id = 'tls-ok'")
    assert held == 400, held
    assert proxies["good"].connections >= 1
    k = kiosk("tls-pinned", "good",
              "pinned_pubkey = %s\n" % pin(certs, os.path.join(certs, "good.key")))
    r = k.sync()
    assert r.returncode == 0, (r.stdout, r.stderr)
    print("(a) trusted certificate: synced 400 + 400 records over TLS")

    # (b) a certificate from a CA the kiosk does not trust.
    k = kiosk("tls-untrusted", "untrusted")
    r = k.sync()
    assert r.returncode == 1, (r.stdout, r.stderr)
    line = last_line(r)
    assert line.startswith("convene: sync: TLS failure: "), line
    assert "clock" not in line, line
    print("(b)", line)

    # (c) a certificate that is not valid yet: the kiosk's clock is wrong.
    k = kiosk("tls-clock", "future")
    r = k.sync()
    assert r.returncode == 1, (r.stdout, r.stderr)
    line = last_line(r)
    assert line.startswith("convene: sync: the kiosk clock is wrong: set the time"), line
    st = run(k.config, "status")
    assert "the kiosk clock is wrong: set the time" in st.stdout, st.stdout
    print("(c)", line)

    # (d) the server's key is not the pinned one.
    k = kiosk("tls-pin", "good",
              "pinned_pubkey = %s\n" % pin(certs, os.path.join(certs, "rogue.key")))
    r = k.sync()
    assert r.returncode == 1, (r.stdout, r.stderr)
    line = last_line(r)
    assert line == ("convene: sync: TLS failure: the server's public key is not the one "
                    "pinned in [sync] pinned_pubkey"), line
    print("(d)", line)

    # Nothing of the refused kiosks reached the server.
    for kid in ("tls-untrusted", "tls-clock", "tls-pin"):
        n = scalar(server.db, "SELECT count(*) FROM taps WHERE kiosk_id = ?", (kid,))
        assert n == 0, (kid, n)
    for p in proxies.values():
        p.stop()
    server.stop()
    print("ok: TLS accepted, untrusted, not yet valid, pin mismatch")


if __name__ == "__main__":
    main()
