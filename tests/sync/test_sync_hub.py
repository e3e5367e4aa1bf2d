"""Exactly once end to end through a hub: two kiosks upload to a hub
(`convene serve` with [sync] url set), which forwards what they sent to the
main server through a fault-injecting proxy (drops mid-body and mid-reply,
500s, stalls, doubled replies and requests) while the main server is killed
and restarted. The hub's token on the main server is a hub token: it speaks
for the kiosks whose records it forwards, which keep their own ids and
numbers. Afterwards the main server holds every record of each kiosk once
(count and content hash match the kiosk and the hub), and a second round
sends nothing.

Sizes: HUB_RECORDS=3000 per kiosk, HUB_ROUNDS=3, SYNC_STALL_S=3,
SYNC_FAULT_RATE=0.15."""
import atexit
import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from faultproxy import FAULTS, FaultProxy  # noqa: E402
from synclib import Kiosk, Server, consents, content, run, scalar, scratch  # noqa: E402

RECORDS = int(os.environ.get("HUB_RECORDS", "3000"))
ROUNDS = int(os.environ.get("HUB_ROUNDS", "3"))
STALL_S = float(os.environ.get("SYNC_STALL_S", "3"))
RATE = float(os.environ.get("SYNC_FAULT_RATE", "0.15"))


def held(db, kiosk_id):
    try:
        v = scalar(db, "SELECT held_seq FROM sync_held WHERE kiosk_id = ?", (kiosk_id,))
    except Exception:  # the table or row is not there yet
        return 0
    return v or 0


def main():
    root = scratch("sync-hub")
    main_srv = Server(root, name="main", kiosk_id="main")
    main_srv.start()
    atexit.register(main_srv.kill)  # also when an assertion fails
    proxy = FaultProxy(main_srv.port, rate=0.0, stall_s=STALL_S, seed=5)
    hub_token = os.path.join(root, "hub-token")
    with open(hub_token, "w") as f:
        f.write(main_srv.add_kiosk("hub-1", hub=True) + "\n")
    os.chmod(hub_token, 0o600)
    hub = Server(root, name="hub", kiosk_id="hub-1",
                 extra="[sync]\nurl = http://127.0.0.1:%d\ntoken_file = %s\ninterval_s = 5\n"
                       "timeout_s = 5\nconnect_timeout_s = 2\nattempts = 6\nbatch_size = 100\n"
                       % (proxy.port, hub_token))
    hub.start()
    atexit.register(hub.kill)
    hub_url = "http://127.0.0.1:%d" % hub.port
    kiosks = [Kiosk(root, "kiosk-%d" % i, hub_url, hub.add_kiosk("kiosk-%d" % i),
                    "batch_size = 300\n") for i in (1, 2)]
    rng = random.Random(3)
    per_round = RECORDS // ROUNDS
    t0 = time.time()
    for rnd in range(1, ROUNDS + 1):
        proxy.rate = RATE
        if rnd == 1:
            proxy.forced = list(FAULTS)
        for k in kiosks:
            k.generate(per_round if rnd < ROUNDS else RECORDS - per_round * (ROUNDS - 1),
                       "--consents-every", "40")
        results = {}

        def sync(k):
            results[k.id] = k.sync()

        threads = [threading.Thread(target=sync, args=(k,)) for k in kiosks]
        for t in threads:
            t.start()
        # The main server dies while the hub forwards, and comes back.
        start_posts = proxy.posts
        deadline = time.time() + 30
        while proxy.posts < start_posts + 2 and time.time() < deadline:
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.3))
        main_srv.kill()
        time.sleep(1.5)
        main_srv.start()
        for t in threads:
            t.join()
        for k in kiosks:
            r = results[k.id]
            assert r.returncode == 0, (rnd, k.id, r.stdout, r.stderr)
            print("round %d %s -> hub: %s" % (rnd, k.id, r.stdout.strip()))
    print("faults injected:", proxy.counts, "requests:", proxy.requests)
    assert all(proxy.counts[f] > 0 for f in FAULTS), proxy.counts

    # Faults off: the hub's forwarding thread catches up by itself.
    proxy.rate = 0.0
    want = {k.id: k.last_seq() for k in kiosks}
    deadline = time.time() + 300
    while time.time() < deadline and any(held(main_srv.db, k) < n for k, n in want.items()):
        time.sleep(0.2)
    elapsed = time.time() - t0
    for k in kiosks:
        given = consents(k.db, k.id)
        assert given > 0, k.id
        last = k.last_seq()
        assert last == RECORDS + given, (k.id, last, given)
        assert held(hub.db, k.id) == last, (k.id, held(hub.db, k.id), last)
        assert held(main_srv.db, k.id) == last, (k.id, held(main_srv.db, k.id), last)
        here, at_hub, there = content(k.db, k.id), content(hub.db, k.id), content(main_srv.db,
                                                                                     k.id)
        assert here[0] == last, (k.id, here[0], last)
        assert here == at_hub == there, (k.id, here, at_hub, there)
        gaps = scalar(main_srv.db, "SELECT count(*) FROM sync_gaps WHERE kiosk_id = ?", (k.id,))
        assert gaps == 0, (k.id, gaps)
        upstream = scalar(hub.db, "SELECT acked_seq FROM sync_state WHERE kiosk_id = ?", (k.id,))
        assert upstream == last, (k.id, upstream, last)
        print("%s: %d records (%d consents), hash %s on kiosk, hub and main" %
              (k.id, here[0], given, here[1][:16]))
    # The hub sends nothing of its own kiosk id as records.
    assert held(main_srv.db, "hub-1") == 0

    # A second round sends nothing: kiosks to the hub, the hub upstream
    # (by hand, and its thread in the background).
    posts = proxy.posts
    for k in kiosks:
        r = k.sync()
        assert r.returncode == 0, r.stderr
        assert r.stdout.startswith("sent 0 records in 0 batches, 0 requests"), r.stdout
    r = run(hub.config, "sync")
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert r.stdout.startswith("sent 0 records in 0 batches, 0 requests"), r.stdout
    time.sleep(6)  # longer than the hub's interval_s
    assert proxy.posts == posts, (proxy.posts, posts)

    # A plain kiosk token cannot forward for others.
    plain_token = os.path.join(root, "plain-token")
    with open(plain_token, "w") as f:
        f.write(main_srv.add_kiosk("hub-1") + "\n")  # replaces the hub token
    os.chmod(plain_token, 0o600)
    k3 = Kiosk(root, "kiosk-3", hub_url, hub.add_kiosk("kiosk-3"))
    k3.generate(10)
    assert k3.sync().returncode == 0
    plain_conf = os.path.join(root, "hub-plain.conf")
    with open(hub.config) as src, open(plain_conf, "w") as dst:
        dst.write(src.read().replace(hub_token, plain_token))
    hub.stop()
    r = run(plain_conf, "sync")
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert "bad token" in r.stderr and "another kiosk" in r.stderr, r.stderr
    assert held(main_srv.db, "kiosk-3") == 0
    print("ok: 2 kiosks x %d records through a hub, %d rounds with faults, %.1f s" %
          (RECORDS, ROUNDS, elapsed))
    proxy.stop()
    main_srv.stop()


if __name__ == "__main__":
    main()
