#!/usr/bin/env python3
"""What the clerk meets at `formd admin` (issue 13), against a running formd
with no relay (started by tests/integration/clerk.sh):

    clerk_check.py BASE_URL FORMD DB OUT EXPORT_DIR

A request's data exported for a person without the account page (item 20),
and the test clock OKIENKO_NOW over an overdue list, an extension and a purge
(item 21). Prints 'pass DESC' / 'fail DESC' lines.
"""
import json
import os
import re
import stat
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from httpcheck import Site, check  # noqa: E402

base, formd, db, out, export_dir = sys.argv[1:6]
site = Site(base, formd, db, out)
req = site.req
RIGHTS = "/ochrona-danych/wniosek"
DAY = 86400


def admin(*args, now=None):
    """formd admin with --site; with `now` (seconds), OKIENKO_NOW set to it."""
    env = dict(os.environ)
    env.pop("OKIENKO_NOW", None)
    if now is not None:
        env["OKIENKO_NOW"] = str(int(now))
    p = subprocess.run([formd, "admin", "--db", db, "--site", out] + list(args),
                       capture_output=True, text=True, env=env)
    return p.returncode, p.stdout, p.stderr


def send_request(name, email, right="dostep"):
    s, h, d = req("POST", RIGHTS, {"name": name, "email": email, "right": right, "scope": "Kopia danych",
                                   "channel": "email", "address": "", "phone": "", "office": ""})
    return s


def row_of(listing, rid):
    rows = [l for l in listing.splitlines() if re.match(r"%d +" % rid, l)]
    return rows[0] if rows else ""


def request_id(name):
    rc, o, e = admin("requests", "--all")
    ids = [int(l.split()[0]) for l in o.splitlines() if name in l]
    return ids[-1] if ids else 0


# ---- Ewa: an account, and a request from its address without the account ----
pw = "zielony rower jedzie do lasu"
s, h, cookie = site.register({"first_name": "Ewa", "last_name": "Lis", "email": "ewa@example.pl",
                              "status": "bezrobotna", "office": "zielona-gora", "password": pw,
                              "password2": pw, "terms": "tak", "privacy": "tak"})
check("Ewa registers and confirms her address", s == 303 and cookie, s)
check("Ewa's request is sent without logging in", send_request("Ewa Lis", "ewa@example.pl") == 303)
rid = request_id("Ewa Lis")
rc, o, e = admin("request", "export", str(rid), "--out", export_dir)
check("an export for a request whose address is unconfirmed is refused", rc == 1 and "not confirmed" in e, (o, e))
link = site.confirm_link("ewa@example.pl", RIGHTS + "/potwierdz")
s, h, d = req("POST", RIGHTS + "/potwierdz", {"t": link.split("?t=")[1]} if link else {})
check("Ewa confirms the request's address", s == 200, (s, d[:200]))
rc, o, e = admin("request", "export", str(rid), "--out", export_dir)
check("staff export the data of the person the request names", rc == 0 and "written to" in o, (o, e))
jpath = os.path.join(export_dir, "wniosek-%d.json" % rid)
hpath = os.path.join(export_dir, "wniosek-%d.html" % rid)
data = json.load(open(jpath)) if os.path.exists(jpath) else {}
check("...the account page's JSON: its keys, Ewa's profile and the request",
      list(data.keys()) == ["format", "generated", "profile", "consents", "attempts", "certificates", "posts",
                            "contacts", "sessions", "requests"] and
      data["profile"]["email"] == "ewa@example.pl" and any(r["id"] == rid for r in data["requests"]),
      list(data.keys()))
html = open(hpath).read() if os.path.exists(hpath) else ""
check("...and the printable copy, as the account page's", "Ewa" in html and "ewa@example.pl" in html and
      "<html" in html and "/sesje" not in html, html[:300])
check("...both readable by their owner only", all(os.path.exists(p) and stat.S_IMODE(os.stat(p).st_mode) == 0o600
                                                 for p in (jpath, hpath)))
rc, o, e = admin("audit")
check("...and the read is in the audit log", re.search(r"admin:\S+  user\.read  user:\d+", o) and
      re.search(r"admin:\S+  request\.export  request:%d" % rid, o), o[-600:])
rc, o, e = admin("request", "show", str(rid))
check("...and in the request's history", "kopia danych wydana" in o, o)

# a stranger's request from an address no account has, confirmed
send_request("Jan Obcy", "jan@example.pl")
jid = request_id("Jan Obcy")
link = site.confirm_link("jan@example.pl", RIGHTS + "/potwierdz")
req("POST", RIGHTS + "/potwierdz", {"t": link.split("?t=")[1]} if link else {})
rc, o, e = admin("request", "export", str(jid), "--out", export_dir)
check("an export for an address no account has is refused, saying so", rc == 1 and "no open account" in e, (o, e))
check("nothing was written for it", not os.path.exists(os.path.join(export_dir, "wniosek-%d.json" % jid)))

# ---- the test clock: an overdue list, an extension, a purge ----
send_request("Olga Nowa", "olga@example.pl", right="sprostowanie")
oid = request_id("Olga Nowa")
now = time.time()
rc, o, e = admin("requests")
check("today a new unconfirmed request is listed, not overdue", "PRZETERMINOWANY" not in row_of(o, oid) and
      "adres niepotwierdzony" in row_of(o, oid), o)
rc, o, e = admin("requests", now=now + 25 * DAY)
check("OKIENKO_NOW 25 days on: it is due within 7 days", "<= 7 dni" in row_of(o, oid), o)
rc, o, e = admin("requests", now=now + 40 * DAY)
check("OKIENKO_NOW 40 days on: it is overdue", "PRZETERMINOWANY" in row_of(o, oid), o)
rc, o, e = admin("request", "show", str(oid), now=now + 40 * DAY)
check("...and request show says so", "PRZETERMINOWANY" in o, o)
rc, o, e = admin("request", "extend", str(rid), "--months", "1", "--reason", "Liczba żądań", now=now + 40 * DAY)
check("OKIENKO_NOW after the first month: an extension is refused", rc == 1 and "first month" in e, (o, e))
rc, o, e = admin("request", "extend", str(rid), "--months", "1", "--reason", "Liczba żądań", now=now + 20 * DAY)
check("OKIENKO_NOW within it: the extension is recorded", rc == 0, (o, e))
rc, o, e = admin("request", "refuse", str(oid), "--reason", "Nie udało się ustalić tożsamości.", now=now + 40 * DAY)
check("staff close the unconfirmed request with the reasons", rc == 0, (o, e))
rc, o, e = admin("purge", "--dry-run")
check("today a purge finds no closed request past [retention] requests (1 rok)",
      re.search(r"requests \(closed\)\s+0 past the period", o), o)
rc, o, e = admin("purge", "--dry-run", now=now + 800 * DAY)
check("OKIENKO_NOW 800 days on: the closed request is past it", re.search(r"requests \(closed\)\s+1 past", o), o)
check("...the unconfirmed requests no longer go on their own", "requests never confirmed" not in o, o)
check("...the report has a header row", o.startswith("kind ") and "count (dry run)" in o.splitlines()[0], o[:200])
rc, o, e = admin("purge", now=now + 800 * DAY)
check("...and the purge removes it", rc == 0 and re.search(r"requests \(closed\)\s+1 removed", o), (o, e))
rc, o, e = admin("requests", "--all")
check("...the open ones stay", "Olga" not in o and "Jan Obcy" in o and "Ewa Lis" in o, o)
