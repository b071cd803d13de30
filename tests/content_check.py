#!/usr/bin/env python3
"""Checks the built demo portal against what issue 3 asks of its content.

    content_check.py OUT [SEEDS_DIR]

Prints one 'pass DESC' or 'fail DESC' line per check.
"""
import html
import json
import os
import re
import sys
from html.parser import HTMLParser

out = sys.argv[1]
seeds = sys.argv[2] if len(sys.argv) > 2 else None
pub = os.path.join(out, "public")
results = []


def check(desc, cond, detail=""):
    results.append(("pass" if cond else "fail", desc + ("" if cond or not detail else ": " + detail)))


class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.ids, self.text = [], [], []
        self.in_content = 0
        self.depth = 0
        self.fieldsets = 0
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if a.get("id"):
            self.ids.append(a["id"])
        if tag == "fieldset":
            self.fieldsets += 1
        if tag == "div" and a.get("class") == "content" and not self.in_content:
            self.in_content, self.depth = 1, 0
        elif self.in_content and tag == "div":
            self.depth += 1

    def handle_endtag(self, tag):
        if self.in_content and tag == "div":
            if self.depth == 0:
                self.in_content = 0
            else:
                self.depth -= 1

    def handle_data(self, data):
        if self.in_content:
            self.text.append(data)


def load(url):
    path = os.path.join(pub, url.strip("/"), "index.html") if not url.endswith(".html") else os.path.join(pub, url.lstrip("/"))
    if not os.path.exists(path):
        return None
    p = Page()
    with open(path, encoding="utf-8") as f:
        p.raw = f.read()
    p.feed(p.raw)
    return p


# every page reachable from the home page by links
all_pages = set()
for root, _, files in os.walk(pub):
    for f in files:
        if f == "index.html":
            rel = os.path.relpath(root, pub)
            all_pages.add("/" if rel == "." else "/" + rel + "/")
seen, todo = set(), ["/"]
while todo:
    u = todo.pop()
    if u in seen:
        continue
    seen.add(u)
    p = load(u)
    if not p:
        continue
    for h in p.links:
        h = html.unescape(h).split("#")[0]
        if h.startswith("/") and not h.startswith("//") and h.endswith("/"):
            todo.append(h)
alias_pages = {u for u in all_pages if 'http-equiv="refresh"' in open(os.path.join(pub, u.strip("/"), "index.html") if u != "/" else os.path.join(pub, "index.html"), encoding="utf-8").read()}
unreached = sorted(all_pages - seen - alias_pages)
check("every page is reachable from the home page", not unreached, ", ".join(unreached[:10]))
check("the site has at least 80 pages", len(all_pages) >= 80, str(len(all_pages)))

# courses
courses = sorted(d for d in os.listdir(os.path.join(pub, "kursy")) if os.path.isdir(os.path.join(pub, "kursy", d)))
check("15 courses", len(courses) == 15, str(courses))
for c in courses:
    lessons = sorted(d for d in os.listdir(os.path.join(pub, "kursy", c)) if d.startswith("lekcja-"))
    check(f"course {c}: at least 3 lessons", len(lessons) >= 3, str(lessons))
    overview = load(f"/kursy/{c}/")
    check(f"course {c}: overview links every lesson and the test",
          overview is not None and all(f"/kursy/{c}/{l}/" in overview.links for l in lessons) and f"/kursy/{c}/test/" in overview.links)
    for l in lessons:
        p = load(f"/kursy/{c}/{l}/")
        words = len(re.findall(r"\w+", " ".join(p.text)))
        check(f"course {c}/{l}: at least 400 words", words >= 400, str(words))
    t = load(f"/kursy/{c}/test/")
    check(f"course {c}: test page with at least 10 questions", t is not None and t.fieldsets >= 10,
          str(t.fieldsets if t else None))
    key_path = os.path.join(out, "private", "tests", c + ".json")
    check(f"course {c}: answer key in private/", os.path.exists(key_path))
    if os.path.exists(key_path) and t:
        key = json.load(open(key_path, encoding="utf-8"))
        kinds = {q["type"] for q in key["questions"]}
        check(f"course {c}: test mixes single and multiple choice", kinds == {"single", "multiple"})
        check(f"course {c}: pass mark and attempts set", key["pass_mark"] > 0 and key["attempts"] > 0)
        radios = len(re.findall(r'type="radio"', t.raw))
        checks = len(re.findall(r'type="checkbox"', t.raw))
        expect_r = sum(q["answers"] for q in key["questions"] if q["type"] == "single")
        expect_c = sum(q["answers"] for q in key["questions"] if q["type"] == "multiple")
        check(f"course {c}: the form has every answer as radio/checkbox", (radios, checks) == (expect_r, expect_c))

# no answer key under public/: no file mentions "correct", and every
# answer input of a test carries the same attributes, whatever its answer
leaks = []
for root, _, files in os.walk(pub):
    for f in files:
        data = open(os.path.join(root, f), encoding="utf-8", errors="replace").read()
        if re.search(r"correct", data, re.I):
            leaks.append(os.path.join(root, f))
check("no file under public/ mentions 'correct'", not leaks, ", ".join(leaks[:5]))
odd = []
for c in courses:
    t = load(f"/kursy/{c}/test/")
    if not t:
        continue
    for tag in re.findall(r"<input [^>]*>", t.raw):
        attrs = re.findall(r'(\w[\w-]*)=', tag)
        if 'type="hidden"' in tag:
            continue
        if sorted(attrs) != sorted(["type", "name", "id", "value", "aria-describedby"]):
            odd.append(c + ": " + tag)
check("test inputs carry only type, name, id, value, aria-describedby", not odd, "; ".join(odd[:3]))

# offices, matching the seed documents
offices = {
    "zielona-gora": ["ul. Stefana Batorego 126A", "65-735", "Zielona Góra", "kancelaria@pup.zgora.pl", "68 456 56 50"],
    "sulechow": ["ul. Niepodległości 15", "66-100", "Sulechów", "sulechow@pup.zgora.pl", "68 385 07 60"],
    "nowogrod-bobrzanski": ["ul. Słowackiego 11", "66-010", "Nowogród Bobrzański", "zizino@pup.zgora.pl", "68 321 66 26"],
    "wup-krakow": ["Plac na Stawach 1", "30-107", "Kraków", "ochronadanych@wup-krakow.pl"],
}
seed_text = ""
if seeds and os.path.isdir(seeds):
    for f in sorted(os.listdir(seeds)):
        seed_text += open(os.path.join(seeds, f), encoding="utf-8").read()
    seed_text = re.sub(r"\s+", " ", seed_text.replace("\u00a0", " "))
else:
    print("note: seed documents not found (../shared/seeds); office data checked against the values in this test only")
for slug, values in offices.items():
    p = load(f"/urzedy/{slug}/")
    check(f"office {slug}: page exists", p is not None)
    if not p:
        continue
    page_text = html.unescape(p.raw)
    for v in values:
        check(f"office {slug}: shows {v}", v in page_text)
        if seed_text:
            check(f"office {slug}: {v} is what the seeds say", v in seed_text)
    check(f"office {slug}: schema.org JSON-LD", 'application/ld+json' in p.raw and '"GovernmentOffice"' in p.raw)
contact = load("/urzedy/")
check("contact page lists the three offices",
      contact is not None and all(f"/urzedy/{s}/" in contact.links for s in ["zielona-gora", "sulechow", "nowogrod-bobrzanski"]))

# the documents
docs = {"/polityka-prywatnosci/": "Polityka prywatności", "/instrukcja-realizacji-praw/": "Instrukcja",
        "/deklaracja-dostepnosci/": "Deklaracja dostępności", "/regulamin/": "Regulamin"}
for url, title in docs.items():
    p = load(url)
    check(f"document {url} exists", p is not None)
    if p:
        check(f"document {url} has its title", title.lower() in p.raw.lower())
        check(f"document {url} links its change history", f"{url}historia/" in p.links)
pol = load("/polityka-prywatnosci/")
if pol:
    text = html.unescape(pol.raw)
    for v in ["Wojewódzki Urząd Pracy w Krakowie", "Plac na Stawach 1", "30-107 Kraków", "ochronadanych@wup-krakow.pl", "kontakt@kompetencjedlapracy.pl"]:
        check(f"policy shows the administrator's {v}", v in text)
    for sec in ["definicje", "pliki-cookies"]:
        check(f"policy section #{sec} is linkable", sec in pol.ids)
rights = load("/instrukcja-realizacji-praw/")
if rights:
    check("rights instructions link the request form", "/ochrona-danych/wniosek/" in rights.links)
    text = html.unescape(rights.raw)
    for v in ["kancelaria@pup.zgora.pl", "sulechow@pup.zgora.pl", "zizino@pup.zgora.pl", "68 456 56 50"]:
        check(f"rights instructions show {v} (from the office files)", v in text)
    for art in ["15", "16", "17", "18", "20", "21", "22"]:
        check(f"rights instructions have a heading for art. {art}", re.search(r"<h[23] id=\"[^\"]+\">[^<]*art\. " + art + r"\b", rights.raw) is not None)
decl = load("/deklaracja-dostepnosci/")
if decl:
    for i in ["a11y-data-publikacja", "a11y-data-aktualizacja", "a11y-status", "a11y-data-sporzadzenie",
              "a11y-osoba", "a11y-email", "a11y-procedura"]:
        check(f"accessibility declaration has #{i}", i in decl.ids)
    # the portal's coordinator is the administrator's: the seeds give it no
    # phone number, so none is shown (PUP Zielona Góra's was, before)
    check("accessibility declaration gives the coordinator no phone number the seeds do not give",
          "a11y-telefon" not in decl.ids)
    dtext = re.sub(r"<[^>]+>", " ", decl.raw)
    # axe-core runs in the software's tests, not on an editor's change
    check("accessibility declaration claims no check on every change of content",
          "przy każdej zmianie treści" not in dtext and "w testach oprogramowania" in dtext)
    # the declaring body is the administrator; PUP Zielona Góra's buildings
    # are not its own, and the demo's site.toml leaves its own unwritten
    check("accessibility declaration shows no architectural section the office has not written",
          "architektoniczn" not in dtext and "Zielonej Górze i jego filii" not in dtext)
terms = load("/regulamin/")
if terms:
    ttext = re.sub(r"<[^>]+>", " ", terms.raw)
    # no term the seeds do not support, and deletion and correction as the
    # account page does them (issue 13, item 6)
    for bad in ["jedno Konto", "zablokować Konto", "14 dni"]:
        check(f"terms of use state nothing the seeds do not support ({bad})", bad not in ttext)
    check("terms of use say the account page deletes and corrects at once",
          "„Usuń konto”" in ttext and "„Popraw swoje dane”" in ttext)
pol = load("/polityka-prywatnosci/")
if pol:
    ptext = re.sub(r"<[^>]+>", " ", pol.raw)
    check("the policy's recipients say who sees a certificate's holder (anyone with its code)",
          re.search(r"VI\. Odbiorcy danych.*kod tego Certyfikatu.*VII\.", ptext, re.S) is not None)
home = load("/")
if home:
    for u in ["/kursy/", "/urzedy/", "/konto/rejestracja/", "/konto/logowanie/", "/polityka-prywatnosci/", "/instrukcja-realizacji-praw/"]:
        check(f"home page links {u}", u in home.links)
for url in ["/", "/kursy/komunikacja/lekcja-1/", "/urzedy/"]:
    p = load(url)
    for u in ["/polityka-prywatnosci/", "/instrukcja-realizacji-praw/", "/deklaracja-dostepnosci/", "/regulamin/", "/urzedy/"]:
        check(f"footer of {url} links {u}", p is not None and re.search(r'<footer.*href="' + re.escape(u) + '"', p.raw, re.S) is not None)

for r, d in results:
    print(r, d)
sys.exit(1 if any(r == "fail" for r, _ in results) else 0)
