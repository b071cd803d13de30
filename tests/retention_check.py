#!/usr/bin/env python3
"""Checks that a built portal states the retention periods its site.toml
sets, and nothing else: the privacy policy's list and private/site.json
(which formd's purge reads).

    retention_check.py OUT SITE_TOML

Prints one 'pass DESC' or 'fail DESC' line per check. The Polish plural
and the policy's labels are written out here again on purpose: the test
does not ask the code under test what it should say.
"""
import html
import json
import os
import re
import sys
import tomllib

out, toml_path = sys.argv[1], sys.argv[2]
results = []


def check(desc, cond, detail=""):
    results.append(("pass" if cond else "fail", desc + ("" if cond or not detail else ": " + detail)))


# key: (label, since), in the policy's order
KINDS = {
    "accounts": ("Dane osobowe z konta usuniętego przez Użytkownika, jeśli na koncie były wyniki testów "
                 "wiedzy lub certyfikaty (dokumentacja Projektu)", "od usunięcia konta"),
    "attempts": ("Wyniki testów wiedzy i certyfikaty", "od rozwiązania testu lub wydania certyfikatu"),
    "posts": ("Wpisy na forach kursów", "od ostatniego wpisu w danym wątku"),
    "contacts": ("Wiadomości wysłane formularzem kontaktowym", "od otrzymania wiadomości"),
    "requests": ("Wnioski w sprawie ochrony danych osobowych i przebieg ich rozpatrywania",
                 "od zrealizowania wniosku lub odmowy jego realizacji"),
    "sessions": ("Dane sesji logowania do konta", "od ostatniego użycia sesji"),
    "outbox": ("Wiadomości e-mail wysłane przez Portal", "od wysłania wiadomości"),
    "audit": ("Rejestr operacji na danych osobowych", "od dokonania wpisu w rejestrze"),
}
UNITS = {"dzień": "days", "dni": "days", "miesiąc": "months", "miesiące": "months", "miesięcy": "months",
         "rok": "years", "lata": "years", "lat": "years"}
FORMS = {"days": ("dzień", "dni", "dni"), "months": ("miesiąc", "miesiące", "miesięcy"),
         "years": ("rok", "lata", "lat")}
INTRO = "Poszczególne rodzaje danych Administrator przechowuje przez następujące okresy:"


def period(text):
    """'2 lat' -> (2, 'years', '2 lata')"""
    n, word = text.split()
    n, unit = int(n), UNITS[word]
    few = n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14)
    form = FORMS[unit][0 if n == 1 else 1 if few else 2]
    return n, unit, f"{n} {form}"


with open(toml_path, "rb") as f:
    table = tomllib.load(f).get("retention", {})
want = [(k, period(table[k])) for k in KINDS if table.get(k)]

# the policy page
with open(os.path.join(out, "public", "polityka-prywatnosci", "index.html"), encoding="utf-8") as f:
    page = f.read()
lists = re.findall(r'<ul class="retention">\n(.*?)</ul>', page, re.S)
if not want:
    check("the policy shows no retention list when site.toml sets no period", 'class="retention"' not in page)
    check("the policy shows no introduction to the list either", INTRO not in page)
else:
    check("the policy shows one retention list", len(lists) == 1, f"{len(lists)} lists")
    items = re.findall(r"<li><strong>(.*?)</strong>: (.*?), (od [^<]*?)\.</li>\n", lists[0] if lists else "")
    got = [tuple(html.unescape(x) for x in i) for i in items]
    exp = [(KINDS[k][0], p[2], KINDS[k][1]) for k, p in want]
    check("the policy's list has exactly the kinds site.toml sets, in order, with their periods",
          got == exp, f"got {got}, expected {exp}")
    check("the list follows its introduction, right after the seed's paragraph in section IV",
          re.search(r"archiwach\.</p>\n<p>" + re.escape(INTRO) + r'</p>\n<ul class="retention">', page) is not None)

# private/site.json
with open(os.path.join(out, "private", "site.json"), encoding="utf-8") as f:
    site = json.load(f)
exp = {k: {"text": p[2], "n": p[0], "unit": p[1]} for k, p in want}
got = site.get("retention")
check("private/site.json carries the periods site.toml sets, and only those",
      got == exp and list(got) == list(exp), f"got {got}, expected {exp}")

for r, d in results:
    print(r, d)
sys.exit(1 if any(r == "fail" for r, _ in results) else 0)
