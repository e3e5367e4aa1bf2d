"""Network exports read back by independent readers: networkx's read_gexf and
read_graphml, the json module for Kumu's blueprint, plain splitting for the
t i j contact list, and xmllint for well-formed XML. The store is filled with
known people (names with quotes, commas, <&> and diacritics) and encounters
written straight into SQLite, so the expected ties and weights are exact."""
import csv
import json
import os
import shutil
import sqlite3
import subprocess
import unittest

from kiosk import Kiosk

try:
    import networkx as nx
    from networkx.readwrite import gexf as nx_gexf
except ImportError:  # the test dependency is python3-networkx
    nx = None

ROSTER = (
    "\ufeffname,organization,role,email,external_id\r\n"
    "Ada Lovelace,Analytical Engines,attendee,ada@example.org,x-1\r\n"
    "\"Zoë \"\"Z\"\" O'Brien, Jr.\",Climate Commons,attendee,zoe@example.org,x-2\r\n"
    "<Ana & Bo>,\"Riverside, Health\",organizer,ana@example.org,x-3\r\n"
    "Łukasz Nowak,Northside Schools,attendee,lukasz@example.org,x-4\r\n"
    "Ada Lovelace,Climate Commons,attendee,ada2@example.org,x-5\r\n"
    "Nobody Came,Absent Org,attendee,nobody@example.org,x-6\r\n"
)

T0 = 1796205600000  # 2026-12-02T10:00:00Z

# (first tapper, second, minutes after T0, answer, wall clock trusted)
ENCOUNTERS = [
    ("x-1", "x-2", 1, "offered_help_a_to_b", True),
    ("x-2", "x-1", 5, "offered_help_a_to_b", True),
    ("x-1", "x-3", 7, "said_hi", True),
    ("x-3", "x-4", 9, None, False),
    ("x-1", "x-2", 12, "said_hi", True),
    ("x-5", "x-4", 15, "offered_help_b_to_a", True),
]


def xmllint():
    return shutil.which("xmllint")


def read_gexf13(path):
    """networkx's reader, told the GEXF 1.3 namespace and the datetime time
    format when the installed version predates them (Debian's 2.8 does)."""
    versions = nx_gexf.GEXF.versions
    if "1.3" not in versions:
        versions["1.3"] = {
            "NS_GEXF": "http://gexf.net/1.3",
            "NS_VIZ": "http://gexf.net/1.3/viz",
            "NS_XSI": "http://www.w3.org/2001/XMLSchema-instance",
            "SCHEMALOCATION": "http://gexf.net/1.3 http://gexf.net/1.3/gexf.xsd",
            "VERSION": "1.3",
        }
    reader = nx_gexf.GEXFReader(version="1.3")
    reader.python_type.setdefault("datetime", str)
    return reader(path)


class Exports(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        k = cls.k = Kiosk("exports")
        k.write("roster.csv", ROSTER)
        r = k.run("import-roster", k.path("roster.csv"))
        assert r.returncode == 0, r.stderr
        # Creates the schema; then records go in as the kiosk would write them.
        r = k.run("status")
        assert r.returncode == 0, r.stderr
        con = sqlite3.connect(k.db)
        ids = dict(con.execute("SELECT external_id, id FROM people"))
        cls.ids = ids
        seq = 0

        def clock(minutes, trusted):
            return ("boot-1", 1000 + minutes * 60000, T0 + minutes * 60000, int(trusted))

        def tap(person, minutes, trusted):
            nonlocal seq
            seq += 1
            con.execute(
                "INSERT INTO taps (kiosk_id, seq, uid, ndef_id, person_id, zone, boot_id,"
                " mono_ms, wall_ms, wall_trusted) VALUES ('k1', ?, 'AABBCCDD', NULL, ?, 'hall',"
                " ?, ?, ?, ?)", (seq, ids[person], *clock(minutes, trusted)))
            return seq

        for n, person in enumerate(["x-1", "x-2", "x-3", "x-4", "x-5"]):
            s = tap(person, 0, person != "x-4")
            seq += 1
            con.execute(
                "INSERT INTO checkins (kiosk_id, seq, person_id, zone, day, tap_seq, boot_id,"
                " mono_ms, wall_ms, wall_trusted) VALUES ('k1', ?, ?, 'hall', '2026-12-02', ?,"
                " ?, ?, ?, ?)", (seq, ids[person], s, *clock(n * 0.5, person != "x-4")))
        for a, b, minutes, answer, trusted in ENCOUNTERS:
            ta = tap(a, minutes, trusted)
            tb = tap(b, minutes, trusted)
            seq += 1
            con.execute(
                "INSERT INTO encounters (kiosk_id, seq, person_a, person_b, a_tap_seq,"
                " b_tap_seq, answer, zone, boot_id, mono_ms, wall_ms, wall_trusted)"
                " VALUES ('k1', ?, ?, ?, ?, ?, ?, 'hall', ?, ?, ?, ?)",
                (seq, ids[a], ids[b], ta, tb, answer, *clock(minutes, trusted)))
        con.execute("INSERT OR REPLACE INTO sequences (kiosk_id, last_seq) VALUES ('k1', ?)",
                    (seq,))
        con.commit()
        con.close()
        # An earlier convening: x-1 and x-2 met twice, x-3 and x-6 once.
        k.write("earlier.csv", "person_a,person_b,ts\r\nx-1,x-2,a\r\nx-2,x-1,b\r\n"
                "x-6,x-3,c\r\n\r\n")
        r = k.run("import-network", k.path("earlier.csv"))
        assert r.returncode == 0, r.stderr

    def export(self, fmt, name, *extra):
        out = self.k.path(name)
        r = self.k.run("export", "--format", fmt, "--out", out, *extra)
        self.assertEqual(r.returncode, 0, r.stderr)
        return out

    def expected_ties(self):
        """{frozenset(ids): count} and the names by id, from ENCOUNTERS."""
        ties = {}
        for a, b, _, _, _ in ENCOUNTERS:
            key = frozenset((str(self.ids[a]), str(self.ids[b])))
            ties[key] = ties.get(key, 0) + 1
        return ties

    def names(self):
        con = sqlite3.connect(self.k.db)
        try:
            return {str(i): n for i, n in con.execute("SELECT id, name FROM people")}
        finally:
            con.close()

    def test_import_network_counts_once(self):
        r = self.k.run("import-network", self.k.path("earlier.csv"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("replaced", r.stdout)
        rows = self.k.query("SELECT a_key, b_key, count FROM prior_ties ORDER BY a_key")
        self.assertEqual(rows, [("x-1", "x-2", 2), ("x-3", "x-6", 1)])
        bad = self.k.write("bad.csv", "who,whom\nx-1,x-2\n")
        r = self.k.run("import-network", bad)
        self.assertEqual(r.returncode, 1)
        self.assertIn("person_a", r.stderr)

    @unittest.skipIf(nx is None, "python3-networkx is not installed")
    def test_gexf(self):
        path = self.export("gexf", "net.gexf")
        if xmllint():
            r = subprocess.run([xmllint(), "--noout", path], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
        g = read_gexf13(path)
        names = self.names()
        present = {str(self.ids[x]) for x in ["x-1", "x-2", "x-3", "x-4", "x-5"]}
        self.assertEqual(set(g.nodes), present)
        labels = {n: g.nodes[n]["label"] for n in g.nodes}
        self.assertEqual(labels[str(self.ids["x-2"])], "Zoë \"Z\" O'Brien, Jr.")
        self.assertEqual(labels[str(self.ids["x-3"])], "<Ana & Bo>")
        self.assertEqual(g.nodes[str(self.ids["x-3"])]["organization"], "Riverside, Health")
        # Two people named Ada Lovelace stay apart.
        self.assertEqual(len({labels[str(self.ids["x-1"])], labels[str(self.ids["x-5"])]}), 2)
        self.assertFalse(g.nodes[str(self.ids["x-4"])]["arrived_time_trusted"])
        self.assertTrue(g.nodes[str(self.ids["x-1"])]["arrived_time_trusted"])
        ties = self.expected_ties()
        got = {frozenset(e): d["weight"] for e, d in
               ((tuple(map(str, (u, v))), d) for u, v, d in g.edges(data=True))}
        self.assertEqual(got, ties)
        e12 = g.edges[str(self.ids["x-1"]), str(self.ids["x-2"])]
        self.assertEqual(e12["count"], 3)
        self.assertEqual(e12["prior"], 2)
        self.assertEqual(e12["source_offered"] + e12["target_offered"], 2)
        self.assertTrue(e12["reciprocal"])
        self.assertEqual(e12["first"], "2026-12-02T10:01:00.000Z")
        self.assertEqual(e12["last"], "2026-12-02T10:12:00.000Z")
        self.assertEqual(len(e12["times"].split()), 3)
        self.assertEqual(e12["spells"][0][0], "2026-12-02T10:01:00.000Z")
        e34 = g.edges[str(self.ids["x-3"]), str(self.ids["x-4"])]
        self.assertEqual(e34["untrusted_times"], 1)
        self.assertEqual(e12["untrusted_times"], 0)
        self.assertTrue(e34["cross_org"])
        self.assertEqual(names[str(self.ids["x-3"])], "<Ana & Bo>")

    @unittest.skipIf(nx is None, "python3-networkx is not installed")
    def test_graphml(self):
        path = self.export("graphml", "net.graphml")
        if xmllint():
            r = subprocess.run([xmllint(), "--noout", path], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
        g = nx.read_graphml(path)
        names = self.names()
        self.assertEqual(len(g.nodes), 5)
        for n in g.nodes:
            self.assertEqual(g.nodes[n]["label"] if names[n] != "Ada Lovelace"
                             else names[n], names[n])
        self.assertEqual(g.nodes[str(self.ids["x-4"])]["label"], "Łukasz Nowak")
        got = {frozenset((u, v)): d["weight"] for u, v, d in g.edges(data=True)}
        self.assertEqual(got, self.expected_ties())
        e = g.edges[str(self.ids["x-4"]), str(self.ids["x-5"])]
        # x-5 tapped first, answered "b_to_a": x-4 offered x-5.
        lo, hi = sorted((self.ids["x-4"], self.ids["x-5"]))
        offered_by_4 = e["source_offered"] if lo == self.ids["x-4"] else e["target_offered"]
        self.assertEqual(offered_by_4, 1)
        self.assertEqual(g.edges[str(self.ids["x-3"]), str(self.ids["x-4"])]["untrusted_times"],
                         1)

    def test_kumu(self):
        path = self.export("kumu", "kumu.json")
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        labels = [e["label"] for e in data["elements"]]
        self.assertEqual(len(labels), 5)
        self.assertEqual(len(set(labels)), 5)
        self.assertIn("Zoë \"Z\" O'Brien, Jr.", labels)
        self.assertIn("<Ana & Bo>", labels)
        by_label = {e["label"]: e for e in data["elements"]}
        self.assertEqual(by_label["<Ana & Bo>"]["organization"], "Riverside, Health")
        strengths = {frozenset((c["from"], c["to"])): c["strength"] for c in data["connections"]}
        self.assertEqual(sorted(strengths.values()), [1, 1, 1, 3])
        for c in data["connections"]:
            self.assertIn(c["from"], by_label)
            self.assertIn(c["to"], by_label)
            pair = {c["from"], c["to"]}
            if "<Ana & Bo>" in pair and "Łukasz Nowak" in pair:
                self.assertEqual(c["direction"], "undirected")
                self.assertEqual(c["untrusted times"], 1)
            if "Łukasz Nowak" in pair and "<Ana & Bo>" not in pair:
                # offered_help_b_to_a by x-5 first: Łukasz offered.
                self.assertEqual(c["direction"], "directed")
                self.assertEqual(c["from"], "Łukasz Nowak")
            if "Zoë \"Z\" O'Brien, Jr." in pair and "<Ana & Bo>" not in pair:
                self.assertEqual(c["direction"], "mutual")
                self.assertEqual(c["strength"], 3)
                self.assertEqual(c["earlier encounters"], 2)

    def test_contacts(self):
        path = self.export("contacts", "contacts.dat")
        with open(path, encoding="ascii") as f:
            lines = [tuple(int(x) for x in line.split()) for line in f]
        self.assertEqual(len(lines), len(ENCOUNTERS))
        self.assertEqual([t for t, _, _ in lines], sorted(t for t, _, _ in lines))
        self.assertEqual(lines[0][0], T0 // 1000 + 60)
        got = {}
        for _, i, j in lines:
            key = frozenset((str(i), str(j)))
            got[key] = got.get(key, 0) + 1
        self.assertEqual(got, self.expected_ties())

    @unittest.skipIf(nx is None, "python3-networkx is not installed")
    def test_pseudonymized_exports_are_stable_and_hide_names(self):
        a = self.export("graphml", "p1.graphml", "--pseudonymize")
        b = self.export("graphml", "p2.graphml", "--pseudonymize")
        with open(a, encoding="utf-8") as f:
            text = f.read()
        for secret in ("Lovelace", "Zoë", "Ana &amp; Bo", "example.org", "x-1", "Łukasz"):
            self.assertNotIn(secret, text)
        ga, gb = nx.read_graphml(a), nx.read_graphml(b)
        self.assertEqual(sorted(ga.nodes), sorted(gb.nodes))
        self.assertTrue(all(n.startswith("p-") for n in ga.nodes))
        self.assertEqual(sorted(d["weight"] for _, _, d in ga.edges(data=True)), [1, 1, 1, 3])
        # The same pseudonyms in the CSV export of the same store.
        out = self.export("csv", "pcsv", "--pseudonymize")
        with open(os.path.join(out, "people.csv"), newline="", encoding="utf-8") as f:
            people = list(csv.DictReader(f))
        self.assertTrue(all(p["email"] == "" and p["name"].startswith("p-") for p in people))
        self.assertTrue(set(ga.nodes) <= {p["name"] for p in people})
        with open(os.path.join(out, "encounters.csv"), newline="", encoding="utf-8") as f:
            enc = list(csv.DictReader(f))
        self.assertTrue({e["person_a"] for e in enc} <= set(ga.nodes))
        with open(os.path.join(out, "people.csv"), encoding="utf-8") as f:
            self.assertNotIn("Lovelace", f.read())
        c = self.export("contacts", "p.dat", "--pseudonymize")
        with open(c, encoding="ascii") as f:
            ids = {int(x) for line in f for x in line.split()[1:]}
        self.assertFalse(ids & set(self.ids.values()))
        # The secret lives in the store's meta table.
        secret = self.k.scalar("SELECT value FROM meta WHERE key = 'pseudonym_secret'")
        self.assertEqual(len(secret), 32)

    def test_unknown_format(self):
        r = self.k.run("export", "--format", "pdf", "--out", self.k.path("x"))
        self.assertEqual(r.returncode, 2)


class RegistrationExports(unittest.TestCase):
    def test_pretix_and_map(self):
        k = Kiosk("roster-pretix")
        pretix = k.write("pretix.csv", "\ufeffBestellnummer,Positions-ID,E-Mail,Bestelldatum,"
                         "Name des Teilnehmers: Vorname,Name des Teilnehmers: Nachname,"
                         "E-Mail des Teilnehmers,Firma,Welche Workshops?\r\n"
                         "K3LM9,1,kauf@example.de,2026-10-30 18:22:05,Jürgen,Müller,"
                         "j@example.de,\"Stadtwerke, Köln\",Kompost\r\n\r\n")
        r = k.run("import-roster", pretix)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("pretix", r.stdout)
        self.assertIn("Welche Workshops?", r.stderr)
        self.assertEqual(k.query("SELECT name, organization, email, external_id FROM people"),
                         [("Jürgen Müller", "Stadtwerke, Köln", "j@example.de", "K3LM9-1")])
        other = k.write("other.csv", "Wer,Mail\nAna Bo,ana@example.org\n")
        r = k.run("import-roster", "--map", "Wer=name", "--map", "Mail=email", other)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(k.scalar("SELECT email FROM people WHERE name = 'Ana Bo'"),
                         "ana@example.org")
        r = k.run("import-roster", "--map", "Wer=shoe", other)
        self.assertEqual(r.returncode, 2)


if __name__ == "__main__":
    unittest.main()
