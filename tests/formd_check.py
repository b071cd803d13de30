#!/usr/bin/env python3
"""HTTP round trips against a running formd (started by tests/integration/formd.sh).

    formd_check.py BASE_URL FORMD DB OUT

Prints one 'pass DESC' or 'fail DESC' line per check. FORMD and DB are used
for `formd admin` checks of what was stored.
"""
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from httpcheck import Site, check  # noqa: E402

base, formd, db, site_out = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
site = Site(base, formd, db)
u = site.u
req, save, admin = site.req, site.save, site.admin


CONTACT = "/kontakt/wyslij"
REGISTER = "/konto/rejestracja"
LOGIN = "/konto/logowanie"
LOGOUT = "/konto/wyloguj"

good_contact = {"name": "Jan Kowalski", "email": "jan@example.pl", "office": "sulechow",
                "subject": "Pytanie o kurs", "message": "Dzień dobry,\nczy kurs jest bezpłatny?", "strona": ""}

# static pages and no cookie before login
s, h, d = req("GET", "/")
check("the home page is served with the public site", s == 200 and "<html" in d, s)
check("no cookie before login", "set-cookie" not in h)
s, h, d = req("GET", "/kontakt/")
check("the contact form page is served", s == 200 and 'action="/kontakt/wyslij"' in d, s)
s, h, d = req("GET", "/nie-ma-takiej-strony/")
check("a missing page is 404 with the site's 404 page", s == 404 and "<html" in d, s)

# contact: the good path, Post/Redirect/Get
s, h, d = req("POST", CONTACT, good_contact)
check("a contact message is accepted with 303", s == 303, (s, d))
loc = h.get("location", "")
check("...to the thank-you page", loc == CONTACT + "/dziekujemy", loc)
s, h, d = req("GET", loc)
check("the thank-you page says the message was saved", s == 200 and "zapisana" in d, (s, d[:200]))
save("contact-thanks", d)
check("...and uses the theme", 'class="site-header"' in d)

# contact: bad input comes back with the values and a message per field
bad = dict(good_contact, email="to-nie-adres", subject="")
s, h, d = req("POST", CONTACT, bad)
check("a bad contact form comes back with 422", s == 422, s)
save("contact-errors", d)
check("...with the error summary", 'class="error-summary"' in d and 'href="#email"' in d)
check("...with a message at the e-mail field", 'id="email-blad"' in d and "poprawny adres" in d)
check("...and at the empty subject", 'id="subject-blad"' in d)
check("...keeping what was typed", 'value="Jan Kowalski"' in d and "czy kurs jest bezpłatny?" in d)
check("...and the chosen office", 'value="sulechow" selected' in d)
s, h, d = req("POST", CONTACT, dict(good_contact, subject="x" * 201))
check("an over-long field is refused with its limit", s == 422 and "za długi" in d, s)
s, h, d = req("POST", CONTACT, "name=%FF%FE&email=a%40b.pl&subject=x&message=y")
check("invalid UTF-8 is refused per field", s == 422 and 'id="name-blad"' in d, s)
s, h, d = req("POST", CONTACT, "name=a%01b&email=a%40b.pl&subject=x&message=y")
check("a control character is refused", s == 422 and 'id="name-blad"' in d, s)
payload = '<script>alert("x")</script>'
s, h, d = req("POST", CONTACT, dict(good_contact, name=payload, message=""))
check("HTML typed into a field is shown escaped", s == 422 and payload not in d and
      "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in d, s)
s, h, d = req("POST", CONTACT, dict(good_contact, strona="http://spam.example"))
check("a filled honeypot is not stored and not answered with success", s == 422, s)
s, h, d = req("POST", CONTACT, urllib.parse.urlencode(good_contact), ctype="application/json")
check("a wrong content type gets 415", s == 415, s)
s, h, d = req("POST", CONTACT, "message=" + "a" * 70000)
check("an oversize body gets 413", s == 413, s)
s, h, d = req("GET", CONTACT)
check("GET on a form path gets 405 with Allow: POST", s == 405 and h.get("allow") == "POST", (s, h.get("allow")))
s, h, d = req("POST", CONTACT, good_contact, headers={"Sec-Fetch-Site": "cross-site"})
check("a cross-site POST gets 403 (Sec-Fetch-Site)", s == 403, s)
s, h, d = req("POST", CONTACT, good_contact, headers={"Origin": "https://zly.example"})
check("a POST from another origin gets 403", s == 403, s)
s, h, d = req("POST", CONTACT, good_contact, headers={"Origin": base})
check("a POST from the site's own origin is accepted", s == 303, s)
sql = "'; DROP TABLE contacts; --"
s, h, d = req("POST", CONTACT, dict(good_contact, subject=sql))
check("SQL metacharacters are accepted as text", s == 303, s)
rc, out, err = admin("contacts")
check("formd admin contacts lists the messages", rc == 0 and "Pytanie o kurs" in out, (rc, err))
check("...the SQL metacharacters verbatim", sql in out, out[-300:])

# registration
reg = {"first_name": "Anna", "last_name": "Nowak", "email": "Anna.Nowak@example.pl", "status": "bezrobotna",
       "office": "zielona-gora", "password": "długie hasło na próbę", "password2": "długie hasło na próbę",
       "terms": "tak", "privacy": "tak"}
s, h, d = req("POST", REGISTER, dict(reg, password="krótkie", password2="krótkie"))
check("a short password is refused naming the minimum", s == 422 and "co najmniej 12 znaków" in d, s)
save("register-errors", d)
check("...and the password is never sent back", "krótkie" not in d)
s, h, d = req("POST", REGISTER, dict(reg, password="anna.nowak@example.pl", password2="anna.nowak@example.pl"))
check("the e-mail as password is refused", s == 422 and "adresem e-mail" in d, s)
s, h, d = req("POST", REGISTER, dict(reg, password2="inne hasło na próbę"))
check("different passwords are refused", s == 422 and 'id="password2-blad"' in d, s)
s, h, d = req("POST", REGISTER, dict(reg, office="wup-krakow"))
check("the administrator is no office to register at", s == 422 and 'id="office-blad"' in d, s)
s, h, d = req("POST", REGISTER, dict(reg, terms=""))
check("the terms must be accepted", s == 422 and 'id="terms-blad"' in d, s)
s, h, d = req("POST", REGISTER, reg)
check("a registration is answered 303 to 'check your mail'", s == 303 and
      h.get("location") == REGISTER + "/wyslano", (s, h.get("location"), d[:200]))
check("...without logging in (the address is not proved yet)", "set-cookie" not in h, h.get("set-cookie"))
s, h2, d = req("GET", REGISTER + "/wyslano")
check("...whose page says a link was sent", s == 200 and "Wysłaliśmy wiadomość" in d, s)
s, h, d = req("POST", LOGIN, {"email": "anna.nowak@example.pl", "password": reg["password"]})
check("an account not confirmed yet cannot log in, and is told why", s == 403 and "nie jest jeszcze aktywne" in d
      and "set-cookie" not in h, s)
link = site.confirm_link("Anna.Nowak@example.pl", REGISTER + "/potwierdz")
check("the confirmation link waits in the outbox", link is not None)
s, h, d = req("GET", link)
check("...its page has one button", s == 200 and 'name="t"' in d, s)
s, h, d = req("POST", REGISTER + "/potwierdz", {"t": link.split("?t=")[1]})
check("the link confirms the address and logs in: 303 to the welcome page", s == 303 and
      h.get("location") == "/konto/witaj", (s, h.get("location")))
cookie = h.get("set-cookie", "")
check("...with one cookie", cookie.startswith("sesja=") and "HttpOnly" in cookie and
      "SameSite=Lax" in cookie and "Path=/" in cookie, cookie)
check("...not Secure in --dev", "Secure" not in cookie, cookie)
tok = cookie.split(";")[0]
s, h, d = req("POST", REGISTER + "/potwierdz", {"t": link.split("?t=")[1]})
check("...and works once", s == 410, s)
s, h, d = req("GET", "/konto/witaj", headers={"Cookie": tok})
check("the welcome page knows the person", s == 200 and "Anna" in d and 'action="/konto/wyloguj"' in d, s)
save("welcome", d)
rc, before, err = admin("outbox")
s, h, d = req("POST", REGISTER, dict(reg, email="anna.nowak@EXAMPLE.pl"))
check("an address registered already (in another case) gets the same answer as a new one",
      s == 303 and h.get("location") == REGISTER + "/wyslano", s)
rc, after, err = admin("outbox")
check("...and its owner an e-mail saying an account exists", after.count("Konto z tym adresem już istnieje") ==
      before.count("Konto z tym adresem już istnieje") + 1, after[-400:])

# login and logout
s, h, d = req("POST", LOGIN, {"email": "anna.nowak@example.pl", "password": "złe hasło"})
check("a wrong password gets the form again", s == 422 and "Nieprawidłowy adres e-mail lub hasło" in d, s)
save("login-errors", d)
s2, h2, d2 = req("POST", LOGIN, {"email": "nikt@example.pl", "password": "złe hasło"})
check("an unknown e-mail gets the same message", s2 == 422 and "Nieprawidłowy adres e-mail lub hasło" in d2, s2)
s, h, d = req("POST", LOGIN, {"email": "ANNA.nowak@example.pl", "password": reg["password"], "next": "/kursy/"})
check("the right password logs in and goes back where it was", s == 303 and h.get("location") == "/kursy/", (s, h.get("location")))
tok2 = h.get("set-cookie", "").split(";")[0]
check("...with a fresh session", tok2.startswith("sesja=") and tok2 != tok)
s, h, d = req("POST", LOGIN, {"email": "anna.nowak@example.pl", "password": reg["password"]})
check("from the login page (no 'next') it goes to the welcome page, which says one is logged in",
      s == 303 and h.get("location") == "/konto/witaj", (s, h.get("location")))
s, h, d = req("GET", "/konto/witaj", headers={"Cookie": h.get("set-cookie", "").split(";")[0]})
check("...and it says so", s == 200 and "Jesteś zalogowany(-a)" in d, s)
s, h, d = req("POST", LOGIN, {"email": "anna.nowak@example.pl", "password": reg["password"], "next": "//zly.example/"})
check("a 'next' to another host goes home instead", s == 303 and h.get("location") == "/", h.get("location"))
s, h, d = req("POST", LOGOUT, "", headers={"Cookie": tok2})
check("logout is a POST that clears the cookie", s == 303 and "Max-Age=0" in h.get("set-cookie", ""), s)
s, h, d = req("GET", "/konto/witaj", headers={"Cookie": tok2})
check("a session replayed after logout is not logged in", s == 303, s)
for i in range(8):
    s, h, d = req("POST", LOGIN, {"email": "anna.nowak@example.pl", "password": "złe hasło %d" % i})
check("failed logins slow down: 429 with Retry-After", s == 429 and int(h.get("retry-after", "0")) > 0, (s, h.get("retry-after")))

# the audit log
rc, out, err = admin("audit", "--verify")
check("the audit chain verifies", rc == 0, (rc, out, err))

# tests and certificates
key = json.load(open(os.path.join(site_out, "private", "tests", "komunikacja.json")))
TEST = "/kursy/test"


def answers(right, skip=(), confirm=False):
    """The test form's body: every question answered right or wrong, but those
    in `skip` left unanswered; `confirm`: sent with "Wyślij mimo to"."""
    pairs = [("course", "komunikacja")]
    for q in key["questions"]:
        if q["name"] in skip:
            continue
        chosen = q["correct"] if right else ["a%d" % (1 if q["correct"] != ["a1"] else 2)]
        pairs += [(q["name"], a) for a in chosen]
    if confirm:
        pairs.append(("confirm", "1"))
    return urllib.parse.urlencode(pairs)


def text_of(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]*>", " ", html))


RESULT = re.compile(re.escape(TEST) + r"/wynik/[0-9]+$")
s, h, d = req("POST", TEST, answers(True))
check("a test sent without logging in gets the login form (401)", s == 401 and 'action="/konto/logowanie"' in d, s)
check("...which brings the person back to the test", 'name="next" value="/kursy/komunikacja/test/"' in d)
s, h, d = req("POST", LOGIN, {"email": "anna.nowak@example.pl", "password": reg["password"]})
if s == 429:
    time.sleep(int(h.get("retry-after", "1")) + 1)
    s, h, d = req("POST", LOGIN, {"email": "anna.nowak@example.pl", "password": reg["password"]})
anna = h.get("set-cookie", "").split(";")[0]
check("Anna logs in again", s == 303 and anna.startswith("sesja="), s)

# a test with questions unanswered comes back, stored only when confirmed
s, h, d = req("POST", TEST, answers(False, skip=("q2", "q3")), headers={"Cookie": anna})
check("a test with unanswered questions comes back (422), nothing stored", s == 422 and "test-form" in d, (s, d[:300]))
save("test-unanswered", d)
check("...with the error summary linking to each unanswered question",
      'class="error-summary"' in d and 'href="#q2"' in d and 'href="#q3"' in d and 'href="#q1"' not in d)
check("...a message at each of them, which their answers point to",
      'id="q2-blad"' in d and 'id="q3-blad"' in d and 'id="q1-blad"' not in d
      and 'aria-describedby="q2-wskazowka q2-blad"' in d)
wrong_q1 = "a%d" % (1 if key["questions"][0]["correct"] != ["a1"] else 2)
check("...the answers given still ticked",
      re.search(r'id="q1-%s" value="%s" checked' % (wrong_q1, wrong_q1), d) is not None
      and len(re.findall(r" checked ", d)) == len(key["questions"]) - 2, len(re.findall(r" checked ", d)))
check("...and a plain \"Wyślij mimo to\" button (no script)",
      re.search(r'<button type="submit" name="confirm" value="1"[^>]*>Wyślij mimo to</button>', d) is not None
      and "<script" not in d)
s, h, d = req("POST", TEST, "course=komunikacja", headers={"Cookie": anna})
check("a test sent with nothing answered is not graded 0 % but comes back (422)",
      s == 422 and d.count('class="field-error"') == len(key["questions"]) and "Twój wynik" not in d, s)
rc, outp, err = admin("audit")
check("...and neither used an attempt", rc == 0 and "attempt.create" not in outp, (rc, err))

# the result is a Post/Redirect/Get: reloads only show it
s, h, d = req("POST", TEST, answers(False), headers={"Cookie": anna})
failed_url = h.get("location", "")
check("a graded test answers 303 to its own result page", s == 303 and RESULT.match(failed_url), (s, failed_url))
s, h, d = req("GET", failed_url, headers={"Cookie": anna})
check("a failed test shows the score", s == 200 and "nie został zaliczony" in d and "Twój wynik" in d, (s, d[:300]))
save("test-failed", d)
check("...which questions were wrong, linked to the test", 'href="/kursy/komunikacja/test/#q1"' in d)
check("...and the attempts left", "Pozostałe podejścia: 2" in d)
check("...never the right answers", "correct" not in d and not re.search(r"\ba[1-8]\b", text_of(d)))
check("...and is not kept by caches", "no-store" in h.get("cache-control", ""), h.get("cache-control"))
for i in range(3):
    s, h, d = req("GET", failed_url, headers={"Cookie": anna})
check("reloading the result page only shows it: no attempt is used", s == 200 and "Pozostałe podejścia: 2" in d, (s, d[:200]))
rc, outp, err = admin("audit")
check("...one attempt stored for one test sent", rc == 0 and outp.count("attempt.create") == 1, (rc, outp.count("attempt.create")))
s, h, d = req("GET", failed_url)
check("a visitor gets 404 for a result page", s == 404 and "Nie ma takiego wyniku" in d and "nie został zaliczony" not in d, s)
s, h, d = req("GET", TEST + "/wynik/999999", headers={"Cookie": anna})
check("a result that does not exist is 404", s == 404, s)
s, h, d = req("POST", failed_url, "x=1", headers={"Cookie": anna})
check("a result page takes no POST (405)", s == 405, s)

s, h, d = req("POST", TEST, answers(True), headers={"Cookie": anna})
passed_url = h.get("location", "")
check("a passed test answers 303 to a result page of its own", s == 303 and RESULT.match(passed_url) and passed_url != failed_url, (s, passed_url))
s, h, d = req("GET", passed_url, headers={"Cookie": anna})
check("a passed test says so", s == 200 and "Test zaliczony" in d and "Twój wynik: 100%" in d, (s, d[:300]))
save("test-passed", d)
check("...with no empty block at 100 %: no heading over an empty list of wrong answers",
      "Pytania z błędną odpowiedzią" not in d and 'class="wrong"' not in d)
m = re.search(r'href="(/certyfikat/([A-Z0-9-]{19}))"', d)
check("...with a link to the certificate and its code", m is not None)
cert_url, code = (m.group(1), m.group(2)) if m else ("/certyfikat/X", "X")
s, h, d = req("GET", cert_url)
check("anyone holding the code sees the certificate", s == 200 and "Anna Nowak" in d and "Komunikacja w pracy" in d and code in d, s)
save("certificate", d)
check("...without a cookie being set", "set-cookie" not in h)
check("...saying \"ukończył(a) kurs „X” i zaliczył(a) test wiedzy\"",
      "ukończył(a) kurs „Komunikacja w pracy” i zaliczył(a) test wiedzy." in text_of(d), text_of(d)[:600])
check("...with its verification address in full",
      "https://kompetencjedlapracy.pl" + cert_url in text_of(d))
check("...and its QR code drawn inline (SVG, nothing fetched)",
      re.search(r'<svg class="qr" [^>]*role="img" aria-label="[^"]+"', d) is not None and "<img" not in d
      and "<script" not in d)
check("...and a plain link to a print view", 'href="%s/wydruk"' % cert_url in d)
s, h, d = req("GET", cert_url + "/wydruk", headers={"Cookie": anna})
check("the print view shows the certificate", s == 200 and "Anna Nowak" in d and code in d and '<svg class="qr"' in d, s)
save("certificate-print", d)
commit = json.load(open(os.path.join(site_out, "private", "build.json")))["commit"]
check("...without \"Zalogowano: …\", \"Moje dane\", the menu or a commit id, even to its holder",
      "Zalogowano" not in d and "Moje dane" not in d and "site-header" not in d and commit[:7] not in d, commit[:7])
check("...with the verification address, no script and nothing from another host",
      "https://kompetencjedlapracy.pl" + cert_url in text_of(d) and "<script" not in d
      and not re.search(r'(src|href)="(https?:)?//', d.replace('rel="canonical" href="https://kompetencjedlapracy.pl', "")))
s, h, d = req("GET", cert_url + "/inny")
check("another tail after a certificate's code is no page (404)", s == 404, s)
s, h, d = req("GET", "/certyfikat?kod=" + code.lower().replace("-", ""))
check("the check form's code, typed loosely, leads to the certificate", s == 303 and h.get("location") == cert_url, (s, h.get("location")))
s, h, d = req("POST", TEST, answers(True), headers={"Cookie": anna})
check("a test passed already shows the certificate, not a new attempt (409)", s == 409 and "już przez Ciebie zaliczony" in d and code in d, s)
s, h, d = req("GET", "/certyfikat/ABCD-EFGH-JKMN-PQRS")
check("an unknown code says so plainly (404)", s == 404 and "Nie ma takiego certyfikatu" in d, s)
save("certificate-unknown", d)
for i in range(25):
    s, h, d = req("GET", "/certyfikat/ABCD-EFGH-JKMN-PQR%d" % (i % 8 + 2))
check("guessing codes is rate limited (429)", s == 429 and int(h.get("retry-after", "0")) > 0, s)
rc, outp, err = admin("audit")
check("the certificate's view is in the audit log", rc == 0 and "certificate.read" in outp and code in outp, (rc, err))
rc, outp, err = admin("certificates")
check("formd admin certificates lists it", rc == 0 and code in outp, (rc, err))
reg2 = dict(reg, email="piotr@example.pl", first_name="Piotr", last_name="Zieliński")
s, h, piotr = site.register(reg2)
check("Piotr registers and confirms", s == 303 and piotr, s)
s, h, d = req("GET", failed_url, headers={"Cookie": piotr})
check("another account gets 404 for Anna's result page", s == 404 and "nie został zaliczony" not in d and "Anna" not in d, s)
s, h, d = req("POST", TEST, answers(True, skip=("q1", "q2", "q3", "q4"), confirm=True), headers={"Cookie": piotr})
loc = h.get("location", "")
check("a test sent with \"Wyślij mimo to\" is stored (303)", s == 303 and RESULT.match(loc), (s, loc))
s, h, d = req("GET", loc, headers={"Cookie": piotr})
check("...the unanswered questions counting as wrong, the answered right",
      s == 200 and all('href="/kursy/komunikacja/test/#q%d"' % i in d for i in (1, 2, 3, 4))
      and 'href="/kursy/komunikacja/test/#q5"' not in d and "Pozostałe podejścia: 2" in d, (s, d[:200]))
for i in range(2):
    s, h, d = req("POST", TEST, answers(False), headers={"Cookie": piotr})
s, h, d = req("GET", h.get("location", ""), headers={"Cookie": piotr})
check("after the last attempt the result offers no \"try again\" (0 attempts is no attempt)",
      s == 200 and "Pozostałe podejścia: 0" in d and "Spróbuj jeszcze raz" not in d, (s, d[:200]))
save("test-last-attempt", d)
s, h, d = req("POST", TEST, answers(True), headers={"Cookie": piotr})
check("after the attempts the test allows, no more are graded (409)", s == 409 and "Wykorzystano wszystkie podejścia" in d and "Test zaliczony" not in d, s)
save("test-no-attempts", d)

# the course forums: static pages formd rewrites when a post arrives
FORUM = "/forum/wpis"
s, h, d = req("GET", "/kursy/komunikacja/forum/")
check("each course's forum index is there from the start", s == 200 and 'action="/forum/wpis"' in d, s)
post = {"course": "komunikacja", "title": "Jak odpowiadać na maile?", "body": "Pytanie o lekcję 2."}
s, h, d = req("POST", FORUM, post)
check("posting without logging in gets the login form (401)", s == 401 and 'name="next" value="/kursy/komunikacja/forum/"' in d, s)
s, h, d = req("POST", FORUM, dict(post, title=""), headers={"Cookie": anna})
check("a new thread without a title comes back with 422", s == 422 and 'id="title-blad"' in d, s)
save("forum-post-errors", d)
check("...keeping the text typed", "Pytanie o lekcję 2." in d)
evil = '<script>alert(1)</script> zobacz https://example.org/a?b=1&c="x" oraz javascript:alert(2)'
s, h, d = req("POST", FORUM, dict(post, body=evil + "\n\nDrugi akapit."), headers={"Cookie": anna})
loc = h.get("location", "")
check("a new thread is stored and leads to its page", s == 303 and re.match(r"^/kursy/komunikacja/forum/\d+/#wpis-\d+$", loc or "") is not None, (s, loc))
thread_url = loc.split("#")[0]
thread_id = thread_url.rstrip("/").split("/")[-1]
s, h, d = req("GET", thread_url)
check("the thread's static page shows the post", s == 200 and "Jak odpowiadać na maile?" in d and "Anna N." in d, s)
save("forum-thread", d)
check("...with HTML escaped", "<script>alert(1)" not in d and "&lt;script&gt;alert(1)&lt;/script&gt;" in d)
check("...a web address made a safe link", 'rel="nofollow ugc noopener"' in d)
check("...and no javascript: link", 'href="javascript' not in d)
s, h, d = req("GET", "/kursy/komunikacja/forum/")
check("the forum index lists the thread", "Jak odpowiadać na maile?" in d and thread_url in d)
save("forum-index", d)
s, h, d = req("POST", FORUM, {"course": "komunikacja", "thread": thread_id, "body": "Odpowiedź pierwsza."}, headers={"Cookie": anna})
check("a reply is stored", s == 303, s)
s, h, d = req("POST", FORUM, {"course": "komunikacja", "thread": "999999", "body": "Do nikąd."}, headers={"Cookie": anna})
check("a reply to a thread that does not exist is refused", s == 422, s)
# many people at once: every post exactly once, in order
import threading
errors = []


def poster(n):
    for k in range(5):
        st, hh, dd = req("POST", FORUM, {"course": "komunikacja", "thread": thread_id, "body": "Wpis %02d-%d." % (n, k)},
                         headers={"Cookie": anna})
        if st != 303:
            errors.append(st)


threads = [threading.Thread(target=poster, args=(n,)) for n in range(12)]
for t in threads:
    t.start()
for t in threads:
    t.join()
def thread_pages(url):
    """a thread's pages, one after the other, following the pager's rel=next"""
    text, seen = "", set()
    while url and url not in seen:
        seen.add(url)
        st, _, page = req("GET", url)
        text += page if st == 200 else ""
        m = re.search(r'<a href="([^"]+)" rel="next">', page) if st == 200 else None
        url = m.group(1) if m else None
    return text


# 62 posts: two pages of the thread (50 a page)
d = thread_pages(thread_url)
ok_all = all(d.count("Wpis %02d-%d." % (n, k)) == 1 for n in range(12) for k in range(5))
check("60 concurrent replies all answered 303", not errors, errors[:5])
check("...each appears exactly once on the static page", ok_all)
check("...each person's in the order sent", all(d.index("Wpis %02d-%d." % (n, k)) < d.index("Wpis %02d-%d." % (n, k + 1)) for n in range(12) for k in range(4)) if ok_all else False)
m = re.search(r'<article[^>]*id="wpis-(\d+)"(?:(?!<article).)*Odpowiedź pierwsza', d, re.S)
reply_id = m.group(1) if m else "0"
rc, o, err = admin("--site", site_out, "posts", "hide", reply_id)
check("staff hide a post", rc == 0, (rc, o, err))
s, h, d = req("GET", thread_url)
check("...and the page no longer shows it", s == 200 and "Odpowiedź pierwsza." not in d and "Wpis 00-0." in d)
rc, o, err = admin("--site", site_out, "posts", "show", reply_id)
s, h, d = req("GET", thread_url)
check("...and restore it", rc == 0 and "Odpowiedź pierwsza." in d, (rc, err))

# every form path answers the same way to what no form sends
for path in (CONTACT, REGISTER, LOGIN, LOGOUT, TEST, FORUM):
    st1, h1, _ = req("POST", path, "a=b", ctype="text/plain")
    st2, h2, _ = req("POST", path, "a=b", headers={"Sec-Fetch-Site": "cross-site"})
    st3, h3, _ = req("POST", path, "a=" + "x" * 70000)
    st4, h4, _ = req("PUT", path, "a=b")
    check(path + ": 415 for another content type, 403 cross-site, 413 oversize, 405 for PUT",
          (st1, st2, st3, st4) == (415, 403, 413, 405), (st1, st2, st3, st4))
for path, fields in ((REGISTER, {"email": "x@example.pl"}), (LOGIN, {"email": ""}), (FORUM, {"course": "komunikacja"})):
    st, hh, dd = req("POST", path, fields, headers={"Cookie": anna})
    check(path + ": missing fields come back with 422 and messages", st == 422 and 'class="field-error"' in dd, st)

# the account page: everything held about the person, and a copy to take away
ACCOUNT = "/konto/moje-dane"
s, h, d = req("GET", ACCOUNT)
check("the account page without logging in leads to the login page", s == 303 and h.get("location") == "/konto/logowanie/", s)
s, h, d = req("POST", LOGIN, {"email": "anna.nowak@example.pl", "password": reg["password"]})
anna2 = h.get("set-cookie", "").split(";")[0]
s, h, d = req("GET", ACCOUNT, headers={"Cookie": anna})
check("the account page shows the person's data", s == 200 and "Anna" in d and "anna.nowak@example.pl".lower() in d.lower() and code in d, s)
save("account", d)
check("...and nobody else's", "piotr@example.pl" not in d and "Zieliński" not in d)
check("...her forum posts and her contact message", "Jak odpowiadać na maile?" in d)
check("...and her sessions, this one marked", "to urządzenie" in d and d.count('name="sesja"') >= 1)
check("...never a password hash", "argon2" not in d)
s, h, d = req("GET", ACCOUNT + "/wydruk", headers={"Cookie": anna})
check("a printable copy without forms", s == 200 and "Kopia moich danych" in d and 'name="sesja"' not in d, s)
save("account-copy", d)
s, h, d = req("GET", ACCOUNT + "/dane.json", headers={"Cookie": anna})
check("the export is a JSON download", s == 200 and h.get("content-type", "").startswith("application/json") and "attachment" in h.get("content-disposition", ""), s)
try:
    data = json.loads(d)
except ValueError:
    data = {}
check("...in the documented format", data.get("format") == "okienko-dane-osobowe/1" and data.get("profile", {}).get("first_name") == "Anna")
check("...with her certificate and consents", any(c.get("code") == code for c in data.get("certificates", [])) and len(data.get("consents", [])) == 2)
check("...and no one else's data", "piotr@example.pl" not in d and "pw_hash" not in d and "argon2" not in d)
other = [x for x in data.get("sessions", []) if not x.get("current")]
if other:
    s, h, d = req("POST", ACCOUNT + "/sesje", {"sesja": other[0]["id"]}, headers={"Cookie": anna})
    s2, h2, d2 = req("GET", ACCOUNT + "/dane.json", headers={"Cookie": anna})
    left = [x["id"] for x in json.loads(d2).get("sessions", [])] if s2 == 200 else []
    check("ending another session from the account page", s == 303 and other[0]["id"] not in left, (s, s2))
else:
    check("the person has another session to end", False)
rc, outp, err = admin("audit")
check("reading one's own data is in the audit log", rc == 0 and "user.read" in outp, (rc, err))
