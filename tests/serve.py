#!/usr/bin/env python3
"""Serve a folder on a free loopback port for the browser tests.

    serve.py DIR PORTFILE

The socket is bound and listening before the port is written to PORTFILE
(atomically), so a reader that sees the file can connect at once: no port
guessed from a PID, no race with another test's server."""
import functools
import http.server
import os
import sys

directory, portfile = sys.argv[1], sys.argv[2]
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=directory)
handler.log_message = lambda *args: None
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
with open(portfile + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(portfile + ".tmp", portfile)
server.serve_forever()
