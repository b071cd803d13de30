#!/usr/bin/env python3
"""The data-protection rights end to end, against a running formd whose relay
is tests/smtp_sink.py (started by tests/integration/rights.sh):

    rights_check.py BASE_URL FORMD DB OUT MAILDIR

Each right over HTTP and through `formd admin`, with its refusals; the
e-mails read from the SMTP server. Prints 'pass DESC' / 'fail DESC' lines.
"""
import json
import os
import re
import sqlite3
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from httpcheck import Mailbox, Site, check, link_in  # noqa: E402

base, formd, db, out, maildir = sys.argv[1:6]
site = Site(base, formd, db, out)
req, save, admin = site.req, site.save, site.admin
mail = Mailbox(maildir)
ACC = "/konto/moje-dane"
RIGHTS = "/ochrona-danych/wniosek"
RESET = "/konto/haslo"


def cookie_of(h):
    return h.get("set-cookie", "").split(";")[0]


def register(first, last, email, password):
    s, h, tok = site.register({
        "first_name": first, "last_name": last, "email": email, "status": "bezrobotna",
        "office": "zielona-gora", "password": password, "password2": password,
        "terms": "tak", "privacy": "tak"}, mail)
    return s, tok


def login(email, password):
    s, h, d = req("POST", "/konto/logowanie", {"email": email, "password": password})
    return s, cookie_of(h)


def user_id(email_addr):
    with sqlite3.connect(db) as c:
        row = c.execute("SELECT id FROM users WHERE email = ? COLLATE NOCASE", (email_addr,)).fetchone()
    return row[0] if row else None


def sql(statement, *args):
    with sqlite3.connect(db) as c:
        c.execute(statement, args)


def export(tok):
    s, h, d = req("GET", ACC + "/dane.json", headers={"Cookie": tok})
    return s, (json.loads(d) if s == 200 else None)


PW_A, PW_B = "zielony rower jedzie do lasu", "niebieski tramwaj jedzie na pętlę"
s, tok_a = register("Anna", "Zielińska", "anna@example.pl", PW_A)
check("Anna registers", s == 303 and tok_a, s)
s, tok_b = register("Bartek", "Wiśniewski", "bartek@example.pl", PW_B)
check("Bartek registers", s == 303 and tok_b, s)
A, B = user_id("anna@example.pl"), user_id("bartek@example.pl")
auth_a = {"Cookie": tok_a}
auth_b = {"Cookie": tok_b}

# ---- the account page links every right; art. 7(3) said plainly ----
s, h, d = req("GET", ACC, headers=auth_a)
check("the account page links each right", s == 200 and all(
    ('href="%s%s"' % (ACC, p)) in d for p in ("/popraw", "/email", "/ograniczenie", "/sprzeciw", "/usun")), s)
check("...and says there is no consent to withdraw (the policy names none)",
      "nie przetwarza Twoich danych na podstawie zgody" in d)
check("...and names the documents accepted, not their file names", "Regulamin portalu" in d and
      "Polityka prywatności" in d and "polityka-prywatnosci:" not in d)
check("...in the words of the boxes ticked at registration, not \"zaakceptowana\" for what was only read",
      "„Zapoznałem(-am) się z polityką prywatności”" in d and "„Akceptuję regulamin portalu”" in d and
      "zaakceptowana" not in d)
check("...and its menu offers no login or registration to who is logged in",
      ">Zaloguj się</a>" not in d and ">Załóż konto</a>" not in d and ">Ochrona danych</a>" in d)
s2, h2, d2 = req("GET", "/")
check("the static pages' menu still offers them", ">Zaloguj się</a>" in d2 and ">Załóż konto</a>" in d2)
save("account-rights", d)
s, h, d = req("GET", ACC + "/popraw")
check("an action page without logging in goes to the login", s == 303, s)

# ---- art. 16: correcting the data ----
s, h, d = req("GET", ACC + "/popraw", headers=auth_a)
check("the correction form shows the data held", s == 200 and 'value="Zielińska"' in d and
      'value="bezrobotna" checked' in d and 'value="zielona-gora" selected' in d, s)
save("account-correct", d)
fix = {"first_name": "Anna", "last_name": "Zielińska-Kowal", "status": "poszukujaca", "office": "sulechow"}
s, h, d = req("POST", ACC + "/popraw", dict(fix, password="złe hasło całkiem"), headers=auth_a)
check("a correction with a wrong password is refused (422)", s == 422 and "Nieprawidłowe hasło" in d, s)
check("...keeping what was typed, not the password", 'value="Zielińska-Kowal"' in d and "złe hasło" not in d)
save("account-correct-errors", d)
s, h, d = req("POST", ACC + "/popraw", dict(fix, last_name="", password=PW_A), headers=auth_a)
check("an empty name is refused at its field", s == 422 and 'id="last_name-blad"' in d, s)
s, h, d = req("POST", ACC + "/popraw", dict(fix, office="wup-krakow", password=PW_A), headers=auth_a)
check("the administrator is no office to choose", s == 422 and 'id="office-blad"' in d, s)
s, h, d = req("POST", ACC + "/popraw", dict(fix, password=PW_A), headers=auth_a)
check("a correction with the password is stored", s == 303 and h.get("location") == ACC, (s, d[:200]))
s, data_a = export(tok_a)
check("...and the data show it", data_a and data_a["profile"]["last_name"] == "Zielińska-Kowal" and
      data_a["profile"]["status"] == "poszukujaca" and data_a["profile"]["office"] == "sulechow", data_a and data_a["profile"])
rc, o, e = admin("audit", "--user", str(A))
check("...and the audit log has the change", rc == 0 and "user.correct" in o, (rc, o, e))

# ---- art. 16: a new e-mail address, confirmed by a link sent to it ----
s, h, d = req("POST", ACC + "/email", {"email": "bartek@example.pl", "password": PW_A}, headers=auth_a)
check("another account's address gets the same answer as a free one (no enumeration)",
      s == 200 and "Wysłaliśmy wiadomość na nowy adres" in d, s)
m = mail.wait("bartek@example.pl")
check("...and that address's owner a note that nothing changed", m is not None and "nic się nie zmieniło" in m[3] and
      "/email/potwierdz" not in m[3], m and m[3][:300])
s, h, d = req("POST", ACC + "/email", {"email": "anna.nowy@example.pl", "password": PW_A}, headers=auth_a)
check("a new address sends a link", s == 200 and "nowy adres" in d, s)
m = mail.wait("anna.nowy@example.pl")
check("...which arrives at the new address", m is not None)
link = link_in(m[3], ACC + "/email/potwierdz") if m else None
check("...with a Polish subject intact", m and m[2] == "Potwierdź nowy adres e-mail", m and m[2])
check("...as UTF-8 quoted-printable text", m and b"charset=UTF-8" in m[0] and
      b"Content-Transfer-Encoding: quoted-printable" in m[0])
s, _ = login("anna.nowy@example.pl", PW_A)
check("the address is not changed before the link is used", s == 422, s)
s, h, d = req("GET", link or "/", headers=auth_a)
check("the link opens a page with a button (a GET changes nothing)", s == 200 and 'name="t"' in d, s)
save("confirm", d)
tok = urllib.parse.parse_qs(urllib.parse.urlparse(link or "/?t=x").query)["t"][0]
s, h, d = req("POST", ACC + "/email/potwierdz", {"t": tok})
check("confirming it changes the address", s == 200 and "zmieniony" in d, (s, d[:200]))
s, tok_a = login("anna.nowy@example.pl", PW_A)
check("...the new address logs in", s == 303, s)
auth_a = {"Cookie": tok_a}
s, _ = login("anna@example.pl", PW_A)
check("...the old one no longer", s == 422, s)
s, h, d = req("POST", ACC + "/email/potwierdz", {"t": tok})
check("the link used twice is dead (410)", s == 410 and "wygasł" in d, s)
rc, o, e = admin("audit", "--user", str(A))
check("the audit log has the new address", "user.email" in o, o)

# ---- a test passed (a certificate), a forum post: things to keep or hide ----
key = json.load(open(os.path.join(out, "private", "tests", "komunikacja.json")))
pairs = [("course", "komunikacja")] + [(q["name"], a) for q in key["questions"] for a in q["correct"]]
s, h, d = req("POST", "/kursy/test", urllib.parse.urlencode(pairs), headers=auth_a)
check("Anna passes a test (303 to its result)", s == 303, s)
s, h, d = req("GET", h.get("location", "/"), headers=auth_a)
check("...whose page links her certificate", s == 200 and "/certyfikat/" in d, s)
code = re.search(r"/certyfikat/([A-Z0-9-]+)", d).group(1) if "/certyfikat/" in d else ""
s, h, d = req("POST", "/forum/wpis", {"course": "komunikacja", "title": "Pytanie Bartka",
                                      "body": "Czy mogę wrócić do lekcji?"}, headers=auth_b)
check("Bartek posts in a forum", s == 303, s)
s, h, d = req("GET", "/kursy/komunikacja/forum/")
check("...signed with his name", "Bartek W." in d, d[:300])

# ---- the export: exactly one person's data ----
s, data_a = export(tok_a)
s2, data_b = export(tok_b)
check("each export holds its own person", data_a and data_b and data_a["profile"]["id"] == A and
      data_b["profile"]["id"] == B)
text_a, text_b = json.dumps(data_a, ensure_ascii=False), json.dumps(data_b, ensure_ascii=False)
check("...and nothing of the other", "bartek" not in text_a.lower() and "Wiśniewski" not in text_a and
      "anna" not in text_b.lower() and "Zielińska" not in text_b and "Czy mogę" in text_b)
check("...with the documented keys", list(data_a.keys()) == [
    "format", "generated", "profile", "consents", "attempts", "certificates", "posts", "contacts",
    "sessions", "requests"], list(data_a.keys()))

# ---- art. 18: restriction ----
rc, before, e = admin("users", "stats")
s, h, d = req("POST", ACC + "/ograniczenie", {"reason": "Kwestionuję dane", "password": "złe hasło"}, headers=auth_b)
check("a restriction with a wrong password is refused", s == 422, s)
s, h, d = req("POST", ACC + "/ograniczenie", {"reason": "Kwestionuję dane", "password": PW_B}, headers=auth_b)
check("a restriction with the password is stored", s == 200 and "ograniczone" in d, s)
check("...and the page says the office informs before lifting it (art. 18(3))",
      "przed zniesieniem" in d and "gdy ograniczenie zostanie zniesione" not in d, d[:500])
s, h, d = req("POST", ACC + "/ograniczenie", {"reason": "", "password": PW_B}, headers=auth_b)
check("a second restriction is not stored twice", s == 200 and "już ograniczone" in d, s)
s, h, d = req("POST", "/kursy/test", urllib.parse.urlencode(pairs), headers=auth_b)
check("a restricted account cannot take a test (403)", s == 403 and "art. 18" in d, s)
save("restricted", d)
s, h, d = req("POST", "/forum/wpis", {"course": "komunikacja", "title": "Jeszcze", "body": "x"}, headers=auth_b)
check("...nor post in a forum", s == 403, s)
rc, after, e = admin("users", "stats")
n_before = int(re.search(r"users: (\d+)", before).group(1))
n_after = int(re.search(r"users: (\d+)", after).group(1))
check("...and is left out of the reports", n_after == n_before - 1, (before, after))
s, h, d = req("GET", ACC, headers=auth_b)
check("...the account page says so", "ograniczone" in d)
rc, o, e = admin("requests")
check("staff see the restriction as a request, once", o.count("ograniczenie") == 1 and "Bartek" in o, o)
n_mail = mail.count()
rc, o, e = admin("users", "lift", str(B))
check("staff lift it, the notice queued first", rc == 0 and "the notice is in the outbox" in o, (o, e))
m = mail.wait("bartek@example.pl")
check("...and Bartek is told by e-mail", m is not None and "zostanie zniesione" in m[3], m and m[3][:300])
rc, o, e = admin("audit", "--user", str(B))
check("...both in the audit log, the notice first",
      "user.lift.notice" in o and o.index("user.lift.notice") < o.index("user.lift  "), o)
s, h, d = req("POST", "/forum/wpis", {"course": "komunikacja", "title": "Znowu mogę", "body": "Dziękuję"}, headers=auth_b)
check("...and Bartek may post again", s == 303, s)

# ---- art. 21: objection ----
s, h, d = req("POST", ACC + "/sprzeciw", {"reason": "", "password": PW_A}, headers=auth_a)
check("an objection needs its reason", s == 422 and 'id="reason-blad"' in d, s)
s, h, d = req("POST", ACC + "/sprzeciw", {"reason": "Moja szczególna sytuacja: …", "password": PW_A}, headers=auth_a)
check("an objection is a request with a due date", s == 200 and "nr " in d and "do " in d, s)
rc, o, e = admin("requests")
check("staff see it", "sprzeciw" in o, o)

# ---- the request form, for anyone ----
good = {"name": "Celina Mazur", "email": "celina@example.pl", "right": "dostep",
        "scope": "Kopia moich danych", "channel": "email", "address": "", "phone": "", "office": ""}
s, h, d = req("POST", RIGHTS, dict(good, right="", scope=""))
check("a request without a right and scope comes back (422)", s == 422 and 'id="right-blad"' in d and
      'id="scope-blad"' in d, s)
check("...keeping what was typed", 'value="Celina Mazur"' in d)
save("rights-errors", d)
s, h, d = req("POST", RIGHTS, dict(good, channel="poczta"))
check("a reply by letter needs the address", s == 422 and 'id="address-blad"' in d, s)
s, h, d = req("POST", RIGHTS, dict(good, channel="telefon"))
check("a reply by phone needs the number", s == 422 and 'id="phone-blad"' in d, s)
n_mail = mail.count()
s, h, d = req("POST", RIGHTS, good)
check("a request is stored (303)", s == 303 and h.get("location") == RIGHTS + "/wyslano", (s, d[:200]))
m = mail.wait("celina@example.pl")
check("...and a confirmation link is e-mailed", m is not None and m[2] == "Potwierdź wniosek dotyczący danych osobowych",
      m and m[2])
check("...which says the month runs from receipt, not from confirmation (seed 004 5.1)",
      m is not None and "liczy się od otrzymania wniosku" in m[3] and "od chwili potwierdzenia" not in m[3] and
      "usuniemy" not in m[3], m and m[3])
s, h, d = req("GET", RIGHTS + "/wyslano")
check("...and so does the page after sending", s == 200 and "od dziś liczy się miesięczny termin" in d and
      "od chwili potwierdzenia" not in d, (s, d[:300]))
link = link_in(m[3], RIGHTS + "/potwierdz") if m else None
# received when sent (seed 004 5.1): listed at once, with its due date, its address marked
rc, o, e = admin("requests")
row = [l for l in o.splitlines() if "Celina" in l]
check("an unconfirmed request is listed for staff, marked, with its due date a month on",
      row and "adres niepotwierdzony" in row[0] and re.match(r"\d+ +\d{4}-\d\d-\d\d ", row[0]), o)
tok = urllib.parse.parse_qs(urllib.parse.urlparse(link or "/?t=x").query)["t"][0]
s, h, d = req("GET", link or "/")
check("the confirmation link opens a page with a button", s == 200 and 'value="%s"' % tok in d, s)
s, h, d = req("POST", RIGHTS + "/potwierdz", {"t": tok})
check("confirming it confirms the address; the due date stays a month from receipt",
      s == 200 and "adres e-mail jest potwierdzony" in d and "otrzymaliśmy" in d and "nie później niż do" in d,
      (s, d[:300]))
rid = int(re.search(r"Wniosek nr (\d+)", d).group(1)) if "Wniosek nr" in d else 0
s, h, d = req("POST", RIGHTS + "/potwierdz", {"t": tok})
check("the link used twice is dead", s == 410, s)
rc, o, e = admin("requests")
row = [l for l in o.splitlines() if l.startswith("%d " % rid) or l.startswith("%-5d " % rid)]
due = time.strftime("%Y-%m-%d", time.localtime(time.time() + 28 * 86400))
check("staff see it, due in a month, its address confirmed", row and "przyjęty" in row[0] and
      "POWTÓRZONY" not in row[0] and "niepotwierdzony" not in row[0], o)
# the same right again within 3 months: flagged (section 4.2)
req("POST", RIGHTS, good)
m = mail.wait("celina@example.pl")
link2 = link_in(m[3], RIGHTS + "/potwierdz") if m else None
tok2 = urllib.parse.parse_qs(urllib.parse.urlparse(link2 or "/?t=x").query)["t"][0]
s, h, d = req("POST", RIGHTS + "/potwierdz", {"t": tok2})
rid2 = int(re.search(r"Wniosek nr (\d+)", d).group(1)) if "Wniosek nr" in d else 0
rc, o, e = admin("request", "show", str(rid2))
check("a second request for the same right within 3 months is flagged", "POWTÓRZONY" in o, o)

# ---- staff: the steps, their rules, the reply ----
rc, o, e = admin("request", "identity", str(rid), "--note", "Prosimy o numer PESEL")
check("staff record an identity check", rc == 0, (o, e))
rc, o, e = admin("request", "extend", str(rid), "--months", "3", "--reason", "x")
check("an extension of 3 months is refused", rc != 0 and "1 or 2" in e, e)
rc, o, e = admin("request", "extend", str(rid), "--months", "2")
check("an extension without reasons is refused", rc != 0 and "reasons" in e, e)
rc, o, e = admin("request", "extend", str(rid), "--months", "2", "--reason", "Wiele wniosków naraz")
check("an extension by 2 months with reasons is recorded", rc == 0, (o, e))
rc, o, e = admin("request", "extend", str(rid), "--months", "1", "--reason", "jeszcze raz")
check("...only once", rc != 0 and "only once" in e, e)
rc, o, e = admin("request", "reply", str(rid))
check("the reply to an extension names the new date and the reasons", rc == 0 and "przedłużony do dnia" in o and
      "Wiele wniosków naraz" in o, o)
rc, o, e = admin("request", "done", str(rid), "--note", "Kopia danych w załączniku.")
check("staff complete it", rc == 0, e)
rc, o, e = admin("request", "refuse", str(rid), "--reason", "x")
check("a completed request cannot be refused", rc != 0 and "already" in e, e)
rc, o, e = admin("request", "reply", str(rid), "--send")
check("the completion's reply is produced in Polish", rc == 0 and "zrealizowany" in o, (o, e))
m = mail.wait("celina@example.pl")
check("...and sent through the outbox", m is not None and "zrealizowany" in m[3] and
      m[2] == "Odpowiedź na wniosek nr %d" % rid, m and m[2])
rc, o, e = admin("request", "show", str(rid))
check("its history holds every step", all(w in o for w in (
    "otrzymany", "adres e-mail potwierdzony", "prośba o dane do identyfikacji", "termin przedłużony",
    "zrealizowany", "odpowiedź wysłana")), o)
rc, o, e = admin("request", "refuse", str(rid2), "--reason", "Żądanie powtarza wniosek sprzed miesiąca.")
check("staff refuse the repeated one with reasons", rc == 0, e)
rc, o, e = admin("request", "reply", str(rid2))
check("a refusal's reply gives the reasons and the remedies (UODO, court)",
      "powtarza wniosek" in o and "Prezesa Urzędu Ochrony Danych Osobowych" in o and "przed sądem" in o, o)
# an extension after the first month: the due date moved into the past
req("POST", RIGHTS, dict(good, email="dawid@example.pl", name="Dawid", right="sprostowanie"))
m = mail.wait("dawid@example.pl")
link3 = link_in(m[3], RIGHTS + "/potwierdz") if m else None
s, h, d = req("POST", RIGHTS + "/potwierdz",
              {"t": urllib.parse.parse_qs(urllib.parse.urlparse(link3 or "/?t=x").query)["t"][0]})
rid3 = int(re.search(r"Wniosek nr (\d+)", d).group(1)) if "Wniosek nr" in d else 0
sql("UPDATE requests SET received = received - 40 * 86400, due = due - 40 * 86400 WHERE id = ?", rid3)
rc, o, e = admin("requests")
check("an overdue request is marked", any(l.startswith(str(rid3)) and "PRZETERMINOWANY" in l for l in o.splitlines()), o)
rc, o, e = admin("request", "extend", str(rid3), "--months", "1", "--reason", "za późno")
check("an extension after the first month is refused", rc != 0 and "first month" in e, e)

# ---- a forgotten password ----
n = mail.count()
s, h, d = req("POST", RESET, {"email": "nikt@example.pl"})
check("a reset for an unknown address answers as for a known one", s == 200 and "Jeśli w portalu jest konto" in d, s)
s, h, d = req("POST", RESET, {"email": "anna.nowy@example.pl"})
check("a reset for Anna answers the same", s == 200 and "Jeśli w portalu jest konto" in d, s)
m = mail.wait("anna.nowy@example.pl")
check("...and only Anna gets a link", m is not None and mail.wait("nikt@example.pl", timeout=1) is None)
link = link_in(m[3], RESET + "/nowe") if m else None
s, h, d = req("GET", link or "/")
check("the link opens the new-password form", s == 200 and 'name="password2"' in d, s)
save("password-new", d)
tok = urllib.parse.parse_qs(urllib.parse.urlparse(link or "/?t=x").query)["t"][0]
NEW = "czerwony autobus stoi na rogu"
s, h, d = req("POST", RESET + "/nowe", {"t": tok, "password": NEW, "password2": "inne hasło tutaj"})
check("different passwords come back", s == 422 and 'id="password2-blad"' in d, s)
s, h, d = req("POST", RESET + "/nowe", {"t": tok, "password": NEW, "password2": NEW})
check("the new password is set", s == 200 and "zmienione" in d, (s, d[:200]))
s, h, d = req("GET", ACC, headers=auth_a)
check("...every session of Anna ended", s == 303, s)
s, tok_a = login("anna.nowy@example.pl", NEW)
check("...the new password logs in", s == 303, s)
auth_a = {"Cookie": tok_a}
s, _ = login("anna.nowy@example.pl", PW_A)
check("...the old one no longer", s == 422, s)
s, h, d = req("POST", RESET + "/nowe", {"t": tok, "password": "jeszcze inne hasło", "password2": "jeszcze inne hasło"})
check("the reset link used twice is dead", s == 410, s)
s, h, d = req("GET", RESET + "/nowe?t=" + "x" * 43)
check("an unknown link is dead", s == 410, s)

# ---- art. 17: deleting the account ----
s, h, d = req("POST", ACC + "/usun", {"confirm": "tak", "password": "złe hasło"}, headers=auth_b)
check("a deletion with a wrong password is refused", s == 422, s)
s, h, d = req("POST", ACC + "/usun", {"password": PW_B}, headers=auth_b)
check("a deletion must be ticked", s == 422 and 'id="confirm-blad"' in d, s)
save("account-delete-errors", d)
s, h, d = req("POST", ACC + "/usun", {"confirm": "tak", "password": PW_B}, headers=auth_b)
check("Bartek (no tests) is erased at once", s == 200 and "usunięte razem z Twoimi danymi" in d, (s, d[:300]))
check("...and his cookie cleared", "Max-Age=0" in h.get("set-cookie", ""))
with sqlite3.connect(db) as c:
    row = c.execute("SELECT first_name, email, erased FROM users WHERE id = ?", (B,)).fetchone()
check("...his personal data gone from the database", row and row[0] == "" and row[1] == "" and row[2] > 0, row)
s, h, d = req("GET", "/kursy/komunikacja/forum/")
check("...his forum posts stay, without his name", "Pytanie Bartka" in d and "Bartek W." not in d and
      "konto usunięte" in d, d[:300])
s, _ = login("bartek@example.pl", PW_B)
check("...he cannot log in", s == 422, s)
rc, o, e = admin("audit", "--user", str(B))
check("...the audit log shows the erasure", "user.erase" in o, o)
s, h, d = req("POST", ACC + "/usun", {"confirm": "tak", "password": NEW}, headers=auth_a)
check("Anna (a certificate) is closed", s == 200 and "zamknięte" in d, (s, d[:300]))
with sqlite3.connect(db) as c:
    row = c.execute("SELECT email, closed, erased FROM users WHERE id = ?", (A,)).fetchone()
check("...her data kept for the archival period", row and row[0] == "anna.nowy@example.pl" and row[1] > 0 and
      row[2] == 0, row)
s, h, d = req("GET", "/certyfikat/" + code)
check("...her certificate is still verifiable, without the name", s == 200 and "Zielińska" not in d and
      "konto zostało usunięte" in d, (s, code))
s, _ = login("anna.nowy@example.pl", NEW)
check("...she cannot log in", s == 422, s)
s, tok_c = register("Anna", "Nowa", "anna.nowy@example.pl", PW_A)
check("...and the address is free for a new account", s == 303, s)

# ---- retention: purge ----
sql("UPDATE users SET closed = closed - 3 * 366 * 86400 WHERE id = ?", A)
sql("UPDATE contacts SET received = received - 3 * 366 * 86400")
with sqlite3.connect(db) as c:
    snapshot = [c.execute("SELECT * FROM " + t).fetchall() for t in ("users", "contacts", "requests", "posts")]
rc, o, e = admin("purge", "--dry-run")
check("a purge dry run counts per kind", rc == 0 and re.search(r"accounts\s+1 past the period", o) and
      "contact messages" in o, (o, e))
with sqlite3.connect(db) as c:
    again = [c.execute("SELECT * FROM " + t).fetchall() for t in ("users", "contacts", "requests", "posts")]
check("...and changes nothing", snapshot == again)
rc, o, e = admin("purge")
check("a purge erases the closed account past its period", rc == 0 and re.search(r"accounts\s+1 erased", o), (o, e))
with sqlite3.connect(db) as c:
    row = c.execute("SELECT email, erased FROM users WHERE id = ?", (A,)).fetchone()
    contacts = c.execute("SELECT COUNT(*) FROM contacts").fetchone()[0]
check("...Anna's archived data is gone", row and row[0] == "" and row[1] > 0, row)
check("...and the old contact messages", contacts == 0, contacts)
rc, o, e = admin("audit", "--verify")
check("the audit chain still holds", rc == 0, (o, e))
rc, o, e = admin("purge")
check("a second purge finds nothing", re.search(r"accounts\s+0 erased", o), o)
