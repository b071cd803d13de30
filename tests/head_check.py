#!/usr/bin/env python3
"""The head of every page, and the files beside them.

    head_check.py BASE_URL PUBLIC_DIR          the generator's web root
    head_check.py --pages BASE_URL FILE...     pages formd rendered

Every page: a non-empty <title>, a non-empty meta description, a
canonical link that is absolute and on BASE_URL (redirect pages: theirs
is the page they send to), an icon link. In a web root also: each HTML
and CSS file has a .gz copy beside it that unpacks to the same bytes and
carries no name or time; the stylesheet every page links has its content
hash in its name and that file is there; /favicon.ico is an icon. Prints
one `pass DESC` or `fail DESC` line per check."""
import glob
import gzip
import hashlib
import html.parser
import os
import re
import sys


class Head(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.title, self.in_title = "", False
        self.description = self.canonical = self.icon = None
        self.stylesheets = []
        self.refresh = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "title":
            self.in_title = True
        elif tag == "meta" and a.get("http-equiv") == "refresh":
            self.refresh = True
        elif tag == "meta" and a.get("name") == "description":
            self.description = a.get("content") or ""
        elif tag == "link":
            rel = (a.get("rel") or "").split()
            if "canonical" in rel:
                self.canonical = a.get("href")
            if "icon" in rel:
                self.icon = a.get("href")
            if "stylesheet" in rel:
                self.stylesheets.append(a.get("href"))

    def handle_endtag(self, tag):
        if tag == "title":
            self.in_title = False

    def handle_data(self, data):
        if self.in_title:
            self.title += data


def check(desc, bad):
    """bad: the pages (or files) that fail; at most five are named."""
    if bad:
        more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
        print(f"fail {desc}: {', '.join(bad[:5])}{more}")
    else:
        print(f"pass {desc}")


def heads(files):
    out = {}
    for f in files:
        h = Head()
        with open(f, encoding="utf-8") as fh:
            h.feed(fh.read())
        out[f] = h
    return out


def check_heads(base, pages, what):
    check(f"every {what} has a non-empty <title> ({len(pages)})",
          [f for f, h in pages.items() if not h.title.strip()])
    check(f"every {what} has a non-empty meta description",
          [f for f, h in pages.items() if not (h.description or "").strip()])
    check(f"every {what} has an absolute canonical link on {base}",
          [f for f, h in pages.items() if not (h.canonical or "").startswith(base + "/")])
    check(f"every {what} but redirect pages links the icon",
          [f for f, h in pages.items() if h.icon != "/favicon.ico" and not h.refresh])


def main():
    if sys.argv[1] == "--pages":
        base, files = sys.argv[2].rstrip("/"), sys.argv[3:]
        check("formd's pages were given", [] if files else ["none"])
        check_heads(base, heads(files), "page formd rendered")
        return
    base, pub = sys.argv[1].rstrip("/"), sys.argv[2]
    files = sorted(glob.glob(os.path.join(pub, "**", "*.html"), recursive=True))
    rel = lambda f: "/" + os.path.relpath(f, pub)
    pages = heads(files)
    check("the web root has pages", [] if files else ["none"])
    check_heads(base, {rel(f): h for f, h in pages.items()}, "page")

    # the gzip copies
    plain = files + sorted(glob.glob(os.path.join(pub, "**", "*.css"), recursive=True))
    missing, differ, stamped = [], [], []
    for f in plain:
        if not os.path.exists(f + ".gz"):
            missing.append(rel(f))
            continue
        with open(f + ".gz", "rb") as z:
            data = z.read()
        with open(f, "rb") as p:
            if gzip.decompress(data) != p.read():
                differ.append(rel(f))
        # RFC 1952: FLG (byte 3) without FNAME, MTIME (bytes 4-7) zero
        if data[3] & 0x08 or data[4:8] != b"\0\0\0\0":
            stamped.append(rel(f))
    check(f"every HTML and CSS file has a .gz copy ({len(plain)})", missing)
    check("...which unpacks to the same bytes", differ)
    check("...and holds no file name or time (the same build, the same bytes)", stamped)
    orphans = [rel(g) for g in glob.glob(os.path.join(pub, "**", "*.gz"), recursive=True)
               if not os.path.exists(g[:-3])]
    check("no .gz without its file", orphans)

    # the fingerprinted stylesheet
    sheets = {s for h in pages.values() for s in h.stylesheets}
    bad = []
    for f, h in pages.items():
        for s in h.stylesheets:
            m = re.fullmatch(r"/(.+)\.([0-9a-f]{8})\.css", s or "")
            if not m or not os.path.isfile(os.path.join(pub, s.lstrip("/"))):
                bad.append(f"{rel(f)} links {s}")
    check("every page links the stylesheet by a name with its hash, and it exists", bad)
    wrong = []
    for s in sheets:
        m = re.fullmatch(r"/(.+)\.([0-9a-f]{8})\.css", s or "")
        if not m:
            continue
        with open(os.path.join(pub, s.lstrip("/")), "rb") as fh:
            data = fh.read()
        blob = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
        if not blob.startswith(m.group(2)):
            wrong.append(f"{s} (content {blob[:8]})")
    check("...and the hash is its content's (git's blob id)", wrong)

    # the icon
    ico = os.path.join(pub, "favicon.ico")
    head = b""
    if os.path.exists(ico):
        with open(ico, "rb") as fh:
            head = fh.read(6)
    check("/favicon.ico is an icon", [] if head[:4] == b"\0\0\1\0" else ["favicon.ico"])


main()
