"""Exactly once under faults: kiosks sync concurrently to one server through
a proxy that drops connections mid-body and mid-response, answers 500,
stalls, sends replies twice and requests twice, while the server is killed
and restarted. Afterwards the server holds every record of every kiosk once
(count and content hash match) and another sync sends nothing.

Sizes (defaults from the issue): SYNC_KIOSKS=3, SYNC_RECORDS=20000 per
kiosk, SYNC_ROUNDS=5, SYNC_STALL_S=10, SYNC_FAULT_RATE=0.1."""
import json
import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from faultproxy import FAULTS, FaultProxy  # noqa: E402
from synclib import Kiosk, Server, consents, content, scalar, scratch  # noqa: E402

KIOSKS = int(os.environ.get("SYNC_KIOSKS", "3"))
RECORDS = int(os.environ.get("SYNC_RECORDS", "20000"))
ROUNDS = int(os.environ.get("SYNC_ROUNDS", "5"))
STALL_S = float(os.environ.get("SYNC_STALL_S", "10"))
RATE = float(os.environ.get("SYNC_FAULT_RATE", "0.1"))


def main():
    root = scratch("sync-faults")
    server = Server(root)
    server.start()
    proxy = FaultProxy(server.port, rate=0.0, stall_s=STALL_S, seed=7)
    url = "http://127.0.0.1:%d" % proxy.port
    # Short timeouts so a stall turns into a retry; enough attempts to ride
    # out a server restart.
    extra = "timeout_s = 5\nconnect_timeout_s = 2\nattempts = 12\nbatch_size = 300\n"
    kiosks = [Kiosk(root, "kiosk-%d" % i, url, server.add_kiosk("kiosk-%d" % i), extra)
              for i in range(1, KIOSKS + 1)]
    per_round = RECORDS // ROUNDS
    rng = random.Random(11)
    exits = []
    t0 = time.time()
    for rnd in range(1, ROUNDS + 1):
        for k in kiosks:
            k.generate(per_round if rnd < ROUNDS else RECORDS - per_round * (ROUNDS - 1),
                       "--consents-every", "40")
        proxy.rate = RATE
        if rnd == 1:
            # Every kind of fault at least once, first thing.
            proxy.forced = list(FAULTS)
        results = {}

        def sync(k):
            results[k.id] = k.sync()

        threads = [threading.Thread(target=sync, args=(k,)) for k in kiosks]
        for t in threads:
            t.start()
        # Kill the server mid-round (once a few batches went through) and
        # bring it back.
        start_posts = proxy.posts
        deadline = time.time() + 30
        while proxy.posts < start_posts + 3 and time.time() < deadline:
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.3))
        server.kill()
        time.sleep(1.5)
        server.start()
        for t in threads:
            t.join()
        for k in kiosks:
            r = results[k.id]
            exits.append(r.returncode)
            print("round %d %s: exit %d: %s %s" % (rnd, k.id, r.returncode, r.stdout.strip(),
                                                    r.stderr.strip().splitlines()[-1:]))
    print("faults injected:", proxy.counts, "requests:", proxy.requests)
    assert all(proxy.counts[f] > 0 for f in FAULTS), proxy.counts

    # Faults off: the last sync of each kiosk must finish.
    proxy.rate = 0.0
    for k in kiosks:
        r = k.sync()
        assert r.returncode == 0, (k.id, r.stdout, r.stderr)
    elapsed = time.time() - t0

    for k in kiosks:
        # Consents take their upload numbers when first synced.
        given = consents(k.db, k.id)
        assert given > 0, k.id
        last = k.last_seq()
        assert last == RECORDS + given, (k.id, last, given)
        assert consents(server.db, k.id) == given, (k.id, consents(server.db, k.id), given)
        held = scalar(server.db, "SELECT held_seq FROM sync_held WHERE kiosk_id = ?", (k.id,))
        assert held == last, (k.id, held, last)
        here, there = content(k.db, k.id), content(server.db, k.id)
        assert here[0] == last, (k.id, here[0], last)
        gaps = scalar(server.db, "SELECT count(*) FROM sync_gaps WHERE kiosk_id = ?", (k.id,))
        assert gaps == 0, (k.id, gaps)
        assert here == there, (k.id, here, there)
        print("%s: %d records (%d consents), hash %s on both" % (k.id, here[0], given,
                                                                  here[1][:16]))
        st = json.loads(k.sync_status())
        assert st["sync"]["pending"] == 0 and st["sync"]["quarantined"] == 0, st

    # A second sync sends nothing: no batch reaches the proxy.
    posts = proxy.posts
    for k in kiosks:
        r = k.sync()
        assert r.returncode == 0, r.stderr
        assert r.stdout.startswith("sent 0 records in 0 batches, 0 requests"), r.stdout
    assert proxy.posts == posts, (proxy.posts, posts)
    print("ok: %d kiosks x %d records, %d rounds, %.1f s; sync exits per round: %s" %
          (KIOSKS, RECORDS, ROUNDS, elapsed, exits))
    proxy.stop()
    server.stop()


if __name__ == "__main__":
    main()
