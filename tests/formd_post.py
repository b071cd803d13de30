#!/usr/bin/env python3
"""POST a contact message to formd and print the status.

    formd_post.py URL PATH [HEADER=VALUE...]

The body is a valid contact form; extra headers (X-Real-IP=10.0.0.1) are
sent as given. Prints the status code (a refused connection: 000)."""
import http.client
import sys
import urllib.parse

url = urllib.parse.urlparse(sys.argv[1])
headers = {"Content-Type": "application/x-www-form-urlencoded", "Host": url.netloc,
           "Origin": "%s://%s" % (url.scheme, url.netloc)}
for h in sys.argv[3:]:
    k, v = h.split("=", 1)
    headers[k] = v
body = urllib.parse.urlencode({"name": "Anna Test", "email": "anna@example.pl",
                               "subject": "Pytanie", "message": "Dzień dobry."})
try:
    c = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    c.request("POST", sys.argv[2], body, headers)
    r = c.getresponse()
    r.read()
    print(r.status)
except OSError:
    print("000")
