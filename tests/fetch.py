#!/usr/bin/env python3
"""One HTTP(S) request, its answer kept in files, for the shell tests.

    fetch.py URL OUT [--gzip] [--header NAME=VALUE]... [--post BODY | --post-size N]

Writes OUT.status (the code), OUT.headers ("name: value" lines, names in
lower case), OUT.body (the bytes as sent: not unpacked, redirects not
followed). HTTPS certificates are not checked (the test's own). A
--post BODY is sent as a form (application/x-www-form-urlencoded), with
the Origin a browser sends for a form on the same site (the URL's own
scheme://host:port) unless --header Origin=... names another; an empty
--header Origin= sends none."""
import http.client
import ssl
import sys
import urllib.parse

url, out = sys.argv[1], sys.argv[2]
args = sys.argv[3:]
headers, body, method = {}, None, "GET"
while args:
    a = args.pop(0)
    if a == "--gzip":
        headers["Accept-Encoding"] = "gzip"
    elif a == "--header":
        k, v = args.pop(0).split("=", 1)
        headers[k] = v
    elif a == "--post":
        method, body = "POST", args.pop(0).encode()
    elif a == "--post-size":
        method, body = "POST", b"x=" + b"a" * int(args.pop(0))
    else:
        sys.exit("fetch.py: unknown option " + a)
u = urllib.parse.urlparse(url)
if body is not None:
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    headers.setdefault("Origin", f"{u.scheme}://{u.netloc}")
if headers.get("Origin") == "":
    del headers["Origin"]
if u.scheme == "https":
    c = http.client.HTTPSConnection(u.hostname, u.port, timeout=20,
                                    context=ssl._create_unverified_context())
else:
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=20)
path = u.path + ("?" + u.query if u.query else "")
try:
    c.request(method, path, body, headers)
    r = c.getresponse()
    data = r.read()
    status = r.status
    hdrs = "".join(f"{k.lower()}: {v}\n" for k, v in r.getheaders())
except (OSError, http.client.HTTPException) as e:
    status, hdrs, data = 0, f"x-fetch-error: {e}\n", b""
with open(out + ".status", "w") as f:
    f.write(f"{status}\n")
with open(out + ".headers", "w") as f:
    f.write(hdrs)
with open(out + ".body", "wb") as f:
    f.write(data)
