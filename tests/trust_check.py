#!/usr/bin/env python3
"""Issue 12's security findings, each proved fixed over HTTP against a running
formd (started by tests/integration/trust.sh with --trusted-proxy 127.0.0.1, so
that each test speaks from its own X-Real-IP and the limits of one test never
touch another's):

    trust_check.py main BASE_URL FORMD DB OUT MAILDIR
        formd with small limits (--contact-rate 3 --register-rate 4
        --post-rate 3), --dev, its relay tests/smtp_sink.py writing MAILDIR
    trust_check.py cookie BASE_URL FORMD DB
        formd without --dev (and without a relay: links read from the outbox)
    trust_check.py due BASE_URL FORMD DB WANT
        formd under OKIENKO_NOW (no relay): a request's due date is WANT
        (DD.MM.YYYY) on its confirmation page and in `formd admin requests`
    trust_check.py stop BASE_URL SENTFILE
        100 parallel logins for four accounts, each from its own address; writes SENTFILE once
        every request is sent (trust.sh then sends SIGTERM) and reports how
        each was answered

Prints 'pass DESC' / 'fail DESC' lines, each DESC starting with the finding's
test name (finding_NN_...). The limits' defaults: 5 free failed logins per
account (20 per address), 3 reset e-mails per address an hour, 3 attempts per
test (the demo site's test.toml)."""
import collections
import json
import os
import re
import socket
import sqlite3
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from httpcheck import Mailbox, Site, check, link_in, parallel  # noqa: E402

REGISTER, LOGIN, ACC = "/konto/rejestracja", "/konto/logowanie", "/konto/moje-dane"
RESET, RIGHTS, CONTACT = "/konto/haslo", "/ochrona-danych/wniosek", "/kontakt/wyslij"
TEST, FORUM = "/kursy/test", "/forum/wpis"
PW = "zielony rower jedzie do lasu"
CONTACT_RATE, REGISTER_RATE, POST_RATE = 3, 4, 3  # as trust.sh starts formd
LOGIN_FREE, RESET_PER_ADDRESS, ATTEMPTS = 5, 3, 3

_ip = [0]


def new_ip():
    """An address no other test speaks from (sent as X-Real-IP)."""
    _ip[0] += 1
    return "10.77.%d.%d" % (_ip[0] // 250, _ip[0] % 250 + 1)


def cookie_of(h):
    return h.get("set-cookie", "").split(";")[0]


def no_session(h):
    """No session cookie set: none, or one cleared."""
    return not cookie_of(h).split("=", 1)[-1]


class Client:
    """Requests from one address, with a session cookie once logged in."""

    def __init__(self, site, ip=None):
        self.site, self.ip, self.cookie = site, ip or new_ip(), ""

    def req(self, method, path, body=None, headers=None, **kw):
        h = {"X-Real-IP": self.ip}
        if self.cookie:
            h["Cookie"] = self.cookie
        h.update(headers or {})
        return self.site.req(method, path, body, headers=h, **kw)


def reg_fields(email, first="Wiktoria", last="Nowak", password=PW):
    return {"first_name": first, "last_name": last, "email": email, "status": "bezrobotna",
            "office": "zielona-gora", "password": password, "password2": password,
            "terms": "tak", "privacy": "tak"}


MAIL = [None]  # the relay's mailbox, when one runs


def register(site, email, mailbox=None, **kw):
    """A confirmed account from its own address: its Client, logged in."""
    c = Client(site)
    s, h, tok = site.register(reg_fields(email, **kw), mailbox or MAIL[0], headers={"X-Real-IP": c.ip})
    c.cookie = tok
    return c, s


def wait_mail(mailbox, to, timeout=20):
    """The next message to `to` (as typed or in lower case)."""
    end = time.time() + timeout
    while time.time() < end:
        for a in {to, to.lower()}:
            m = mailbox.wait(a, timeout=0.3)
            if m:
                return m
    return None


def mails_to(site, mailbox, to, subject):
    """How many messages with `subject` the relay got for `to` (any case), once
    the outbox has nothing waiting."""
    for _ in range(200):
        rc, out, err = site.admin("outbox")
        if rc == 0 and "waiting" not in out:
            break
        time.sleep(0.1)
    return mailbox.count_to(to, subject)


def export(c):
    s, h, d = c.req("GET", ACC + "/dane.json")
    return json.loads(d) if s == 200 else None


def db_count(db, sql, *args):
    with sqlite3.connect(db) as c:
        return c.execute(sql, args).fetchone()[0]


def statuses(results):
    return collections.Counter(r[0] if isinstance(r, tuple) else repr(r) for r in results)


def test_answers(key, right):
    pairs = [("course", key["course"])]
    for q in key["questions"]:
        wrong = next("a%d" % k for k in range(1, q["answers"] + 1) if "a%d" % k not in q["correct"])
        pairs += [(q["name"], a) for a in (q["correct"] if right else [wrong])]
    return urllib.parse.urlencode(pairs)


# ---------------------------------------------------------------- main


def finding_01(site, mail, db):
    T = "finding_01_email_matched_data_needs_confirmation"
    victim = Client(site)
    s, h, d = victim.req("POST", CONTACT, {"name": "Wiktoria", "email": "wiktoria@example.pl",
                                           "office": "sulechow", "subject": "Moja sprawa poufna",
                                           "message": "Mój PESEL to 90010112345."})
    check(T + ": the victim's contact message is stored (303)", s == 303, s)
    s, h, d = victim.req("POST", RIGHTS, {"name": "Wiktoria", "email": "wiktoria@example.pl",
                                          "right": "dostep", "scope": "Wniosek poufny", "channel": "email"})
    m = wait_mail(mail, "wiktoria@example.pl")
    link = link_in(m[3], RIGHTS + "/potwierdz") if m else None
    s2, h2, d2 = victim.req("POST", RIGHTS + "/potwierdz", {"t": (link or "?t=x").split("?t=")[1]})
    check(T + ": ...and her data-protection request, confirmed", s == 303 and s2 == 200, (s, s2))

    mallory = Client(site)
    s, h, d = mallory.req("POST", REGISTER, reg_fields("Wiktoria@Example.pl", first="Mallory"))
    check(T + ": a case variant of her address registers (303, 'check your mail')", s == 303, s)
    check(T + ": ...and gets no session from it", "sesja" not in h.get("set-cookie", ""), h.get("set-cookie"))
    s, h, d = mallory.req("POST", LOGIN, {"email": "Wiktoria@Example.pl", "password": PW})
    check(T + ": the unconfirmed account cannot log in (403, no session)",
          s == 403 and no_session(h), (s, h.get("set-cookie")))
    mallory.cookie = cookie_of(h)
    s, h, d = mallory.req("GET", ACC + "/dane.json")
    check(T + ": ...so dane.json shows nothing of hers (goes to the login)",
          s != 200 and "poufn" not in d and "PESEL" not in d, (s, d[:200]))
    s, h, d = mallory.req("GET", ACC)
    check(T + ": ...nor the account page", s != 200 and "poufn" not in d, s)
    # the address's holder confirms: now it is hers, and the export shows her data
    # (so the checks above would have seen it had it been shown)
    m = wait_mail(mail, "Wiktoria@Example.pl")
    link = link_in(m[3], REGISTER + "/potwierdz") if m else None
    s, h, d = mallory.req("POST", REGISTER + "/potwierdz", {"t": (link or "?t=x").split("?t=")[1]})
    mallory.cookie = cookie_of(h)
    data = export(mallory) or {}
    text = json.dumps(data, ensure_ascii=False)
    check(T + ": once the link sent to the address is used, its holder sees the message and the request",
          s == 303 and "Moja sprawa poufna" in text and "Wniosek poufny" in text, (s, text[:300]))
    for addr in ("wiktoria@exаmple.pl", "wіktoria@example.pl", "wiktoria@example.pl\u200b"):
        s, h, d = Client(site).req("POST", REGISTER, reg_fields(addr))
        check(T + ": a look-alike address %r is refused at its field (422)" % addr,
              s == 422 and 'id="email-blad"' in d, s)
    s, h, d = Client(site).req("POST", CONTACT, {"name": "X", "email": "wiktoria@exаmple.pl",
                                                 "office": "sulechow", "subject": "x", "message": "x"})
    check(T + ": ...and in the contact form", s == 422, s)


def finding_02(site, db):
    T = "finding_02_login_limit_parallel"
    c, s = register(site, "jan.login@example.pl")
    check(T + ": an account to attack", s == 303, s)
    ip = new_ip()
    res = parallel(50, lambda i: Client(site, ip).req("POST", LOGIN, {"email": "jan.login@example.pl",
                                                                      "password": "złe hasło %d" % i}))
    st = statuses(res)
    check(T + ": of 50 parallel wrong passwords from one address at most %d are checked (%s)" % (LOGIN_FREE, dict(st)),
          0 < st[422] <= LOGIN_FREE and st[422] + st[429] == 50, dict(st))
    check(T + ": ...the others get 429 with Retry-After",
          all(int(r[1].get("retry-after", "0")) > 0 for r in res if isinstance(r, tuple) and r[0] == 429))
    # the same from many addresses: the account's own allowance still holds
    c2, s = register(site, "jan.login2@example.pl")
    res = parallel(30, lambda i: Client(site).req("POST", LOGIN, {"email": "jan.login2@example.pl",
                                                                  "password": "złe hasło %d" % i}))
    st = statuses(res)
    check(T + ": 30 parallel from 30 addresses for one account: at most %d checked (%s)" % (LOGIN_FREE, dict(st)),
          0 < st[422] <= LOGIN_FREE and st[422] + st[429] == 30, dict(st))


def finding_03(site, out):
    T = "finding_03_test_attempts_parallel"
    key = json.load(open(os.path.join(out, "private", "tests", "komunikacja.json")))
    check(T + ": the demo test allows %d attempts" % ATTEMPTS, key["attempts"] == ATTEMPTS, key["attempts"])
    c, s = register(site, "ola.test@example.pl")
    bad = test_answers(key, False)
    res = parallel(12, lambda i: c.req("POST", TEST, bad))
    st = statuses(res)
    data = export(c) or {}
    n = len([a for a in data.get("attempts", []) if a.get("course") == "komunikacja"])
    check(T + ": 12 parallel failing submissions store at most %d attempts (%d stored; %s)" % (ATTEMPTS, n, dict(st)),
          0 < n <= ATTEMPTS, (n, dict(st)))
    # the POST stores and answers 303 to the attempt's own result page
    pages = [c.req("GET", re.sub(r"^https?://[^/]+", "", r[1]["location"]))[2] for r in res
             if isinstance(r, tuple) and r[0] == 303 and r[1].get("location")]
    shown = [d for d in pages if "#q1" in d]
    check(T + ": ...and at most %d answers name the wrong questions (%d)" % (ATTEMPTS, len(shown)),
          len(shown) == n, (len(shown), n))
    check(T + ": ...no 5xx among them", not any(k >= 500 or not isinstance(k, int) for k in st), dict(st))
    c2, s = register(site, "ola.zdana@example.pl")
    good = test_answers(key, True)
    res = parallel(8, lambda i: c2.req("POST", TEST, good))
    st = statuses(res)
    data = export(c2) or {}
    certs = data.get("certificates", [])
    pages = [c2.req("GET", re.sub(r"^https?://[^/]+", "", r[1]["location"]))[2] for r in res
             if isinstance(r, tuple) and r[0] == 303 and r[1].get("location")]
    codes = {m for d in pages for m in re.findall(r"/certyfikat/([A-Z0-9-]{19})", d)}
    # one is stored (303 to its result page); the others are told it passed
    # already (409), never a false 503
    check(T + ": 8 parallel correct submissions: one stored (303), the rest 409, never a false 503 (%s)" % dict(st),
          st.get(303) == 1 and st.get(303, 0) + st.get(409, 0) == 8, dict(st))
    check(T + ": ...one certificate stored, the one every answer names",
          len(certs) == 1 and len(codes) == 1 and certs[0].get("code") in codes, (certs, codes))


def finding_04(site):
    T = "finding_04_reset_token_guessing_limited"
    ip = new_ip()
    pw = "nowe haslo wymyslone tutaj"
    res = parallel(12, lambda i: Client(site, ip).req("POST", RESET + "/nowe",
                                                     {"t": "%043d" % i, "password": pw, "password2": pw}))
    st = statuses(res)
    check(T + ": 12 parallel made-up tokens from one address: at most %d answered 410, the rest 429 (%s)"
          % (REGISTER_RATE, dict(st)), 0 < st[410] <= REGISTER_RATE and st[410] + st[429] == 12, dict(st))
    s, h, d = Client(site, ip).req("POST", RESET + "/nowe", {"t": "x" * 43, "password": pw, "password2": pw})
    check(T + ": ...and the next one is 429 too, with Retry-After", s == 429 and int(h.get("retry-after", "0")) > 0, s)


def finding_05(site):
    T = "finding_05_ipv6_keyed_by_64"
    msg = {"name": "V6", "email": "v6@example.pl", "office": "sulechow", "subject": "v6", "message": "x"}
    res = parallel(10, lambda i: Client(site, "2001:db8:5:6::%x" % (i + 1)).req("POST", CONTACT, msg))
    st = statuses(res)
    check(T + ": ten addresses of one /64 share --contact-rate %d (%s)" % (CONTACT_RATE, dict(st)),
          st[303] == CONTACT_RATE and st[429] == 10 - CONTACT_RATE, dict(st))
    s, h, d = Client(site, "2001:db8:5:7::1").req("POST", CONTACT, msg)
    check(T + ": ...while the next /64 still may post (303)", s == 303, s)
    s, h, d = Client(site, "2001:DB8:5:6:0:0:0:99").req("POST", CONTACT, msg)
    check(T + ": ...and the first /64 written otherwise is the same key (429)", s == 429, s)


def finding_06(site, mail):
    T = "finding_06_no_account_enumeration"
    register(site, "taken@example.pl", mail)
    a = Client(site).req("POST", REGISTER, reg_fields("taken@example.pl", first="Inna"))
    b = Client(site).req("POST", REGISTER, reg_fields("fresh.addr@example.pl", first="Inna"))
    check(T + ": registering a taken address answers exactly as a fresh one",
          a[0] == b[0] == 303 and a[1].get("location") == b[1].get("location") and a[2] == b[2], (a[0], b[0]))
    m = wait_mail(mail, "taken@example.pl")
    check(T + ": ...and the taken address gets an e-mail saying so", m is not None and "istnieje" in m[2], m and m[2])
    m = wait_mail(mail, "fresh.addr@example.pl")
    check(T + ": ...the fresh one its activation link", m is not None and REGISTER + "/potwierdz" in m[3])
    c, s = register(site, "nowy.adres@example.pl", mail)
    for pw, want in (("złe hasło całkiem", 422), (PW, 200)):
        a = c.req("POST", ACC + "/email", {"email": "taken@example.pl", "password": pw})
        b = c.req("POST", ACC + "/email", {"email": "wolny.adres@example.pl", "password": pw})
        strip = lambda d: re.sub(r'value="[^"]*@example\.pl"', "", d)  # noqa: E731 - the address typed
        check(T + ": the new-address form with %s: a taken address answers as a free one (%d)"
              % ("a wrong password" if want == 422 else "the password", want),
              a[0] == b[0] == want and strip(a[2]) == strip(b[2]) and "inne konto" not in a[2], (a[0], b[0]))
    a = Client(site).req("POST", RESET, {"email": "taken@example.pl"})
    b = Client(site).req("POST", RESET, {"email": "nobody.here@example.pl"})
    check(T + ": a reset for a known and an unknown address: the same status and body",
          a[0] == b[0] == 200 and a[2] == b[2], (a[0], b[0]))


def reset_link(site, mail, email, ip=None):
    """A reset link asked for and read from the mail; None when it was refused."""
    if Client(site, ip).req("POST", RESET, {"email": email})[0] != 200:
        return None
    m = wait_mail(mail, email)
    return link_in(m[3], RESET + "/nowe") if m else None


def use_reset(site, link, pw):
    t = (link or "?t=x").split("?t=")[1]
    return Client(site).req("POST", RESET + "/nowe", {"t": t, "password": pw, "password2": pw})[0]


def finding_07(site, mail):
    T = "finding_07_reset_ends_older_links"
    c, s = register(site, "ewa.reset@example.pl", mail)
    l1 = reset_link(site, mail, "ewa.reset@example.pl")
    l2 = reset_link(site, mail, "ewa.reset@example.pl")
    check(T + ": two reset links sent", l1 and l2 and l1 != l2, (l1, l2))
    check(T + ": using the newer one sets the password", use_reset(site, l2, "pierwsze nowe hasło tu") == 200)
    s, h, d = site.req("GET", l1 or "/")
    check(T + ": ...and the older link is dead (410)", s == 410, s)
    check(T + ": ...for a POST too", use_reset(site, l1, "drugie nowe hasło tutaj") == 410)
    # a password change (the reset is the one way to change it) ends every
    # link asked for before it, even one newer than the link used
    c, s = register(site, "adam.reset@example.pl", mail)
    l3 = reset_link(site, mail, "adam.reset@example.pl")
    l4 = reset_link(site, mail, "adam.reset@example.pl")
    check(T + ": after a change by the older of two links, the newer is dead as well",
          l3 and l4 and use_reset(site, l3, "trzecie nowe hasło tutaj") == 200 and
          use_reset(site, l4, "czwarte nowe hasło") == 410, (l3, l4))


def finding_08(site, mail):
    T = "finding_08_reset_limit_case_insensitive"
    c, s = register(site, "ola.case@example.pl", mail)
    variants = ["ola.case@example.pl", "Ola.Case@example.pl", "OLA.CASE@EXAMPLE.PL", "ola.CASE@Example.pl",
                "oLa.case@example.PL", "Ola.case@Example.PL"]
    res = [Client(site).req("POST", RESET, {"email": v}) for v in variants]
    st = statuses(res)
    check(T + ": case variants of one address from six addresses: %d answered, then 429 (%s)"
          % (RESET_PER_ADDRESS, dict(st)), [r[0] for r in res] == [200] * RESET_PER_ADDRESS + [429] * 3, dict(st))
    got = mails_to(site, mail, "ola.case@example.pl", "Ustaw nowe hasło")
    check(T + ": ...and that person got %d e-mails, not more (%d)" % (RESET_PER_ADDRESS, got),
          got == RESET_PER_ADDRESS, got)


def finding_09(site, mail):
    T = "finding_09_outbox_keeps_no_live_token"
    c, s = register(site, "tomek.box@example.pl", mail)
    link = reset_link(site, mail, "tomek.box@example.pl")
    check(T + ": a reset link is delivered", link is not None)
    tok = (link or "?t=").split("?t=")[1]
    out = ""
    for _ in range(50):  # the sink has the message; the outbox marks it sent just after
        rc, out, err = site.admin("outbox")
        if "waiting" not in out:
            break
        time.sleep(0.1)
    check(T + ": formd admin outbox does not show the delivered token", tok and tok not in out, out[-300:])
    links = re.findall(r"https?://[^/\s]+(/[^\s?]*\?t=[A-Za-z0-9_-]+)", out)
    live = [p for p in links if site.req("GET", p)[0] == 200]
    check(T + ": ...and no link it shows works (%d shown)" % len(links), not live, live[:3])
    check(T + ": ...while the delivered link itself still works", site.req("GET", link or "/")[0] == 200)


def finding_12(site, db):
    T = "finding_12_smaller_ones"
    c, s = register(site, "piotr.forum@example.pl", first="Piotr", last="Forumowy")
    s, h, d = c.req("POST", FORUM, {"course": "komunikacja", "title": "Wątek do ukrycia", "body": "Treść."})
    m = re.search(r"/forum/(\d+)/", h.get("location", ""))
    tid = m.group(1) if m else "0"
    check(T + ": a thread is posted", s == 303 and m, (s, h.get("location")))
    rc, o, e = site.admin("posts", "hide", tid)
    check(T + ": ...and hidden by staff", rc == 0, (o, e))
    n = db_count(db, "SELECT COUNT(*) FROM posts WHERE thread_id = ?", int(tid))
    s, h, d = c.req("POST", FORUM, {"course": "komunikacja", "thread": tid, "body": "Odpowiedź w ukryty."})
    check(T + ": a reply to a hidden thread is refused (4xx), not stored",
          400 <= s < 500 and db_count(db, "SELECT COUNT(*) FROM posts WHERE thread_id = ?", int(tid)) == n, s)
    s, h, d = c.req("POST", ACC + "/sesje", {"sesja": "abcdefabcdef"})
    check(T + ": ending a session that does not exist: 404", s == 404, s)
    data = export(c) or {}
    check(T + ": ...and the own session is still alive", data.get("profile") is not None)
    body = urllib.parse.urlencode({"name": "O", "email": "o@example.pl", "office": "sulechow",
                                   "subject": "o", "message": "o"})
    base = "%s://%s" % (site.u.scheme, site.u.netloc)
    cases = [("no Origin, Sec-Fetch-Site or Referer", {"Origin": None}, 403),
             ("Origin: ftp://%s" % site.u.netloc, {"Origin": "ftp://" + site.u.netloc}, 403),
             ("no Origin, a Referer of another site", {"Origin": None, "Referer": "https://zly.example/kontakt/"}, 403),
             ("no Origin, Sec-Fetch-Site: cross-site", {"Origin": None, "Sec-Fetch-Site": "cross-site"}, 403),
             ("no Origin, the Referer of this site", {"Origin": None, "Referer": base + "/kontakt/"}, 303)]
    for desc, hdr, want in cases:
        h = {"X-Real-IP": new_ip(), "Content-Type": "application/x-www-form-urlencoded"}
        h.update({k: v for k, v in hdr.items() if v is not None})
        s = raw_post(site, CONTACT, body, h, drop_origin="Origin" in hdr and hdr["Origin"] is None)
        check(T + ": a POST with %s: %d" % (desc, want), s == want, s)
    for ch in ("\u202e", "\u2066"):
        s, h, d = c.req("POST", FORUM, {"course": "komunikacja", "title": "Tytuł %sodwrócony" % ch, "body": "x"})
        check(T + ": a forum title with U+%04X is refused (422)" % ord(ch), s == 422, s)
        s, h, d = Client(site).req("POST", REGISTER, reg_fields("bidi%04x@example.pl" % ord(ch),
                                                                first="Ala%sma" % ch))
        check(T + ": a name (shown in the forum) with U+%04X is refused (422)" % ord(ch), s == 422, s)


def raw_post(site, path, body, headers, drop_origin):
    """A POST without Site.req's Origin when drop_origin: its status."""
    import http.client
    c = http.client.HTTPConnection(site.u.hostname, site.u.port, timeout=30)
    h = {"Host": site.u.netloc}
    if not drop_origin:
        h["Origin"] = "%s://%s" % (site.u.scheme, site.u.netloc)
    h.update(headers)
    c.request("POST", path, body=body, headers=h)
    r = c.getresponse()
    r.read()
    c.close()
    return r.status


def finding_15(site, mail, out):
    T = "finding_15_no_session_after_close_or_reset"
    c, s = register(site, "marta.race@example.pl", mail)
    # a reset while logins with the old password are under way: no session
    # made with the old password outlives it
    link = reset_link(site, mail, "marta.race@example.pl")
    new_pw = "zupełnie nowe hasło marty"

    def one(i):
        if i == 0:
            time.sleep(0.05)
            return ("reset", use_reset(site, link, new_pw))
        s, h, d = Client(site).req("POST", LOGIN, {"email": "marta.race@example.pl", "password": PW})
        return (s, cookie_of(h))

    res = parallel(6, one)
    check(T + ": the reset went through during the logins", res[0] == ("reset", 200), res[0])
    cookies = [r[1] for r in res[1:] if isinstance(r, tuple) and r[0] == 303 and r[1]]
    alive = [k for k in cookies if site.req("GET", ACC, headers={"Cookie": k})[0] == 200]
    check(T + ": no session from the old password works after the reset (%d logins got one, %d alive)"
          % (len(cookies), len(alive)), not alive, res)
    s, h, d = Client(site).req("POST", LOGIN, {"email": "marta.race@example.pl", "password": new_pw})
    check(T + ": ...the new password logs in", s == 303 and site.req("GET", ACC, headers={"Cookie": cookie_of(h)})[0] == 200, s)
    # closing an account (it holds a certificate: closed, not erased) ends every session
    key = json.load(open(os.path.join(out, "private", "tests", "komunikacja.json")))
    c, s = register(site, "kasia.close@example.pl", mail)
    s, h, d = c.req("POST", TEST, test_answers(key, True))
    s, h, d = Client(site).req("POST", LOGIN, {"email": "kasia.close@example.pl", "password": PW})
    other = cookie_of(h)
    s2, h2, d2 = c.req("POST", ACC + "/usun", {"confirm": "tak", "password": PW})
    check(T + ": an account with a certificate is closed", s2 == 200 and "zamknięte" in d2, (s2, d2[:200]))
    s, h, d = site.req("GET", ACC + "/dane.json", headers={"Cookie": other})
    check(T + ": ...its other session gets nothing after it (%d)" % s, other and s != 200 and "kasia" not in d, s)
    s, h, d = Client(site).req("POST", LOGIN, {"email": "kasia.close@example.pl", "password": PW})
    check(T + ": ...and no new one can be made (%d)" % s, s == 422 and no_session(h), (s, h.get("set-cookie")))


def finding_17(site, db):
    T = "finding_17_statuses_not_overwritten"
    c, s = register(site, "lock.holder@example.pl")
    s, h, d = Client(site).req("POST", LOGIN, {"email": "lock.holder@example.pl", "password": PW})
    other = cookie_of(h)
    data = export(c) or {}
    ids = [x["id"] for x in data.get("sessions", []) if not x.get("current")] if data else []
    check(T + ": the account has a second session to end", len(ids) == 1, data.get("sessions"))
    # another process holds the database's write lock for longer than formd
    # waits for it (5 s): its writes fail; the answer must say so (503), not
    # be overwritten by what the flow would say next (404 "no such session")
    lock = sqlite3.connect(db, timeout=10, isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")
    try:
        s, h, d = c.req("POST", ACC + "/sesje", {"sesja": ids[0] if ids else "x"})
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    check(T + ": ending a session while the store cannot write: 503 'nothing stored', not 404 (%d)" % s,
          s == 503 and "Nic nie zostało zapisane" in d and int(h.get("retry-after", "0")) > 0, (s, d[:200]))
    s, h, d = site.req("GET", ACC, headers={"Cookie": other})
    check(T + ": ...and indeed the session was not ended", s == 200, s)
    s, h, d = c.req("POST", ACC + "/sesje", {"sesja": ids[0] if ids else "x"})
    check(T + ": ...once the store writes again, it is (303)", s == 303 and
          site.req("GET", ACC, headers={"Cookie": other})[0] == 303, s)


def limits(site, db, mail):
    """A concurrency test for every limit the portal has: N at once, at most the allowance."""
    T = "limits_parallel"
    ip = new_ip()
    res = parallel(10, lambda i: Client(site, ip).req("POST", REGISTER, reg_fields("rate%d@example.pl" % i)))
    st = statuses(res)
    n = db_count(db, "SELECT COUNT(*) FROM users WHERE email LIKE 'rate%@example.pl'")
    check(T + ": registration: 10 at once from one address, %d accepted (--register-rate %d; %s)"
          % (n, REGISTER_RATE, dict(st)), st[303] == n == REGISTER_RATE and st[429] == 10 - REGISTER_RATE, dict(st))
    ip = new_ip()
    res = parallel(10, lambda i: Client(site, ip).req("POST", CONTACT, {
        "name": "Rate", "email": "rate@example.pl", "office": "sulechow", "subject": "rate-%d" % i, "message": "x"}))
    st = statuses(res)
    n = db_count(db, "SELECT COUNT(*) FROM contacts WHERE subject LIKE 'rate-%'")
    check(T + ": contact: 10 at once from one address, %d stored (--contact-rate %d; %s)" % (n, CONTACT_RATE, dict(st)),
          st[303] == n == CONTACT_RATE and st[429] == 10 - CONTACT_RATE, dict(st))
    c, s = register(site, "rate.forum@example.pl")
    res = parallel(10, lambda i: c.req("POST", FORUM, {"course": "komunikacja", "title": "Limit %d" % i, "body": "x"}))
    st = statuses(res)
    n = db_count(db, "SELECT COUNT(*) FROM posts WHERE title LIKE 'Limit %'")
    check(T + ": forum: 10 posts at once by one person, %d stored (--post-rate %d; %s)" % (n, POST_RATE, dict(st)),
          st[303] == n == POST_RATE and st[429] == 10 - POST_RATE, dict(st))
    c, s = register(site, "rate.reset@example.pl", mail)
    res = parallel(10, lambda i: Client(site).req("POST", RESET, {"email": "rate.reset@example.pl"}))
    st = statuses(res)
    got = mails_to(site, mail, "rate.reset@example.pl", "Ustaw nowe hasło")
    check(T + ": reset: 10 at once for one address, %d e-mails (%d an hour; %s)" % (got, RESET_PER_ADDRESS, dict(st)),
          st[200] == got == RESET_PER_ADDRESS and st[429] == 10 - RESET_PER_ADDRESS, dict(st))
    ip = new_ip()
    res = parallel(10, lambda i: Client(site, ip).req("POST", RESET, {"email": "nikt%d@example.pl" % i}))
    st = statuses(res)
    check(T + ": reset: 10 at once from one address (--register-rate %d; %s)" % (REGISTER_RATE, dict(st)),
          st[200] == REGISTER_RATE and st[429] == 10 - REGISTER_RATE, dict(st))
    ip = new_ip()
    res = parallel(10, lambda i: Client(site, ip).req("POST", RIGHTS, {
        "name": "Rate", "email": "rate.rights%d@example.pl" % i, "right": "dostep", "scope": "x", "channel": "email"}))
    st = statuses(res)
    n = db_count(db, "SELECT COUNT(*) FROM requests WHERE email LIKE 'rate.rights%'")
    check(T + ": the request form: 10 at once from one address, %d stored (--register-rate %d; %s)"
          % (n, REGISTER_RATE, dict(st)), st[303] == n == REGISTER_RATE and st[429] == 10 - REGISTER_RATE, dict(st))
    # login (finding 2) and test attempts (finding 3) have theirs above


def main_checks(base, formd, db, out, maildir):
    site = Site(base, formd, db, out)
    mail = Mailbox(maildir)
    MAIL[0] = mail
    only = os.environ.get("TRUST_ONLY", "").split()  # a development aid: these tests only
    for name, fn in (("01", lambda: finding_01(site, mail, db)), ("02", lambda: finding_02(site, db)),
                     ("03", lambda: finding_03(site, out)), ("04", lambda: finding_04(site)),
                     ("05", lambda: finding_05(site)), ("06", lambda: finding_06(site, mail)),
                     ("07", lambda: finding_07(site, mail)), ("08", lambda: finding_08(site, mail)),
                     ("09", lambda: finding_09(site, mail)), ("12", lambda: finding_12(site, db)),
                     ("15", lambda: finding_15(site, mail, out)), ("17", lambda: finding_17(site, db)),
                     ("limits", lambda: limits(site, db, mail))):
        if only and name not in only:
            continue
        t0 = time.monotonic()
        try:
            fn()
            print("# finding_%s took %.1f s" % (name, time.monotonic() - t0))
        except Exception as e:  # noqa: BLE001 - one test's crash is its failure, the others still run
            check("finding_%s ran to its end" % name, False, repr(e))


# ---------------------------------------------------------------- other modes


def cookie_checks(base, formd, db):
    T = "finding_12_smaller_ones"
    site = Site(base, formd, db)
    c, s = register(site, "ewa.cookie@example.pl")
    check(T + ": without --dev the session cookie is __Host-sesja, Secure, Path=/",
          s == 303 and c.cookie.startswith("__Host-sesja="), c.cookie)
    s, h, d = Client(site).req("POST", LOGIN, {"email": "ewa.cookie@example.pl", "password": PW})
    sc = h.get("set-cookie", "")
    check(T + ": ...also from a login: Secure, Path=/, no Domain",
          sc.startswith("__Host-sesja=") and "; Secure" in sc and "Path=/" in sc and "Domain" not in sc, sc)
    good = cookie_of(h)
    s, h, d = site.req("GET", ACC, headers={"Cookie": good})
    check(T + ": ...and it is the cookie formd reads", s == 200, s)
    s, h, d = site.req("GET", ACC, headers={"Cookie": "sesja=" + good.split("=", 1)[1]})
    check(T + ": ...a plain 'sesja' cookie (which a subdomain could plant) is not", s != 200, s)


def due_checks(base, formd, db, want):
    T = "finding_16_due_dates_in_warsaw"
    site = Site(base, formd, db)
    c = Client(site)
    s, h, d = c.req("POST", RIGHTS, {"name": "Data", "email": "data@example.pl", "right": "dostep",
                                     "scope": "Kopia", "channel": "email"})
    link = site.confirm_link("data@example.pl", RIGHTS + "/potwierdz")
    s, h, d = c.req("POST", RIGHTS + "/potwierdz", {"t": (link or "?t=x").split("?t=")[1]})
    m = re.search(r"nie później niż do (\d\d\.\d\d\.\d{4})", d)
    check(T + ": %s: the confirmation page gives the due date %s (%s)" % (os.environ.get("OKIENKO_NOW"), want,
                                                                         m and m.group(1)),
          s == 200 and m and m.group(1) == want, (s, d[:300]))
    rc, o, e = site.admin("requests")
    iso = "-".join(reversed(want.split(".")))
    check(T + ": ...and formd admin requests the same day %s" % iso, rc == 0 and iso in o, (o, e))


def stop_burst(base, sentfile):
    """~100 logins at once, each from its own address; how each was answered."""
    T = "finding_13_sigterm_under_load"
    u = urllib.parse.urlparse(base)
    N = 100
    status = [None] * N
    sent = threading.Semaphore(0)

    def login(i):
        body = urllib.parse.urlencode({"email": "burst%d@example.pl" % (i % 4), "password": "złe hasło"}).encode()
        try:
            s = socket.create_connection((u.hostname, u.port), timeout=120)
            s.sendall(b"POST /konto/logowanie HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n" % u.netloc.encode() +
                      b"Origin: %s\r\nX-Real-IP: 10.13.%d.%d\r\n" % (base.encode(), i // 250, i % 250 + 1) +
                      b"Content-Type: application/x-www-form-urlencoded\r\n"
                      b"Content-Length: %d\r\n\r\n" % len(body) + body)
        except OSError as e:
            status[i] = "send: %s" % e
            sent.release()
            return
        sent.release()
        data = b""
        try:
            while len(data) < 12:
                b = s.recv(12 - len(data))
                if not b:
                    break
                data += b
        except OSError as e:
            status[i] = "recv: %s" % e
            return
        status[i] = data.decode("ascii", "replace")[9:12] if data.startswith(b"HTTP/1.1 ") else "cut"

    ts = [threading.Thread(target=login, args=(i,)) for i in range(N)]
    for t in ts:
        t.start()
    for _ in range(N):
        sent.acquire()
    open(sentfile, "w").write("sent\n")
    for t in ts:
        t.join(180)
    c = collections.Counter(str(s) for s in status)
    bad = [s for s in status if not (isinstance(s, str) and s.isdigit())]
    check(T + ": every one of %d logins got an HTTP status (%s)" % (N, " ".join("%s:%d" % kv for kv in sorted(c.items()))),
          not bad, bad[:5])


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "main":
        main_checks(*sys.argv[2:7])
    elif mode == "cookie":
        cookie_checks(*sys.argv[2:5])
    elif mode == "due":
        due_checks(*sys.argv[2:6])
    elif mode == "stop":
        stop_burst(*sys.argv[2:4])
    else:
        sys.exit("trust_check.py: unknown mode " + mode)
