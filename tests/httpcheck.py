"""What the HTTP checks of formd share (tests/formd_check.py, tests/rights_check.py):
pass/fail lines, requests, kept pages, `formd admin`, and the test SMTP server's mail."""
import email
import email.header
import glob
import http.client
import os
import re
import subprocess
import sys
import threading
import time
import urllib.parse


class Site:
    def __init__(self, base, formd, db, site_dir=None):
        self.base, self.formd, self.db, self.site_dir = base, formd, db, site_dir
        self.u = urllib.parse.urlparse(base)
        self.pages_dir = os.environ.get("PAGES_DIR")

    def req(self, method, path, body=None, headers=None, ctype="application/x-www-form-urlencoded"):
        c = http.client.HTTPConnection(self.u.hostname, self.u.port, timeout=30)
        h = {"Host": self.u.netloc}
        if method == "POST":  # as every browser does: formd refuses a POST naming no origin
            h["Origin"] = "%s://%s" % (self.u.scheme, self.u.netloc)
        if body is not None:
            if isinstance(body, (dict, list)):
                body = urllib.parse.urlencode(body)
            if isinstance(body, str):
                body = body.encode()
            if ctype:
                h["Content-Type"] = ctype
        h.update(headers or {})
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read().decode("utf-8", "replace")
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        c.close()
        return r.status, hdrs, data

    def save(self, name, body):
        """Keeps a page formd rendered, for the HTML and browser checks."""
        if self.pages_dir:
            with open(os.path.join(self.pages_dir, name + ".html"), "w") as f:
                f.write(body)

    def register(self, fields, mailbox=None, headers=None):
        """Registers and confirms the address as a person would: the form (303 to its
        'check your mail' page), then the link from the e-mail (read from `mailbox`
        when a relay runs, else from `formd admin outbox`), then its button.
        `headers` go with both POSTs (an X-Real-IP behind --trusted-proxy).
        Returns (status of the confirmation, its headers, the session cookie)."""
        s, h, d = self.req("POST", "/konto/rejestracja", fields, headers=headers)
        if s != 303 or not h.get("location", "").endswith("/konto/rejestracja/wyslano"):
            return s, h, ""
        link = self.confirm_link(fields["email"], "/konto/rejestracja/potwierdz", mailbox)
        if not link:
            return 0, {}, ""
        s, h, d = self.req("POST", "/konto/rejestracja/potwierdz", {"t": link.split("?t=")[1]},
                           headers=headers)
        return s, h, h.get("set-cookie", "").split(";")[0]

    def confirm_link(self, to, path, mailbox=None):
        """The newest link to `path` sent to `to`: from the relay's mailbox, or from
        the outbox while no relay runs."""
        if mailbox is not None:
            got = mailbox.wait(to)
            return link_in(got[3], path) if got else None
        rc, out, err = self.admin("outbox")
        links = re.findall(r"https?://[^/\s]+(" + re.escape(path) + r"\?t=[A-Za-z0-9_-]+)", out)
        return links[-1] if links else None

    def admin(self, *args):
        extra = ["--site", self.site_dir] if self.site_dir else []
        p = subprocess.run([self.formd, "admin", "--db", self.db] + extra + list(args),
                           capture_output=True, text=True)
        return p.returncode, p.stdout, p.stderr


def parallel(n, fn):
    """fn(0) ... fn(n-1) in n threads released at once; their results in order (an
    exception raised is the result)."""
    results = [None] * n
    gate = threading.Barrier(n)

    def run(i):
        try:
            gate.wait(30)
            results[i] = fn(i)
        except Exception as e:  # noqa: BLE001 - the caller sees what went wrong
            results[i] = e

    ts = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return results


def check(desc, cond, detail=""):
    print(("pass " if cond else "fail ") + desc + ("" if cond or not detail else ": " + str(detail)[:300]))
    sys.stdout.flush()


class Mailbox:
    """The messages tests/smtp_sink.py saved in a folder: NNNN.eml and NNNN.json."""

    def __init__(self, folder):
        self.folder = folder
        self.seen = set()

    def wait(self, to, timeout=20):
        """The next message to `to` not returned before: (raw bytes, parsed message,
        decoded subject, decoded text), or None after `timeout` seconds."""
        end = time.time() + timeout
        while time.time() < end:
            for path in sorted(glob.glob(os.path.join(self.folder, "*.eml"))):
                if path in self.seen:
                    continue
                raw = open(path, "rb").read()
                m = email.message_from_bytes(raw)
                if m["To"] and m["To"].strip("<>") == to:
                    self.seen.add(path)
                    subject = str(email.header.make_header(email.header.decode_header(m["Subject"])))
                    text = m.get_payload(decode=True).decode("utf-8")
                    return raw, m, subject, text
            time.sleep(0.2)
        return None

    def count(self):
        return len(glob.glob(os.path.join(self.folder, "*.eml")))

    def count_to(self, to, subject):
        """How many messages to `to` (in any case) with `subject` arrived so far."""
        n = 0
        for path in glob.glob(os.path.join(self.folder, "*.eml")):
            m = email.message_from_bytes(open(path, "rb").read())
            got = str(email.header.make_header(email.header.decode_header(m["Subject"] or "")))
            n += (m["To"] or "").strip("<>").lower() == to.lower() and got == subject
        return n


def link_in(text, path):
    """The path and query of the link to `path` in a message's text."""
    m = re.search(r"https?://[^/\s]+(" + re.escape(path) + r"\?t=[A-Za-z0-9_-]+)", text)
    return m.group(1) if m else None
