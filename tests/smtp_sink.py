#!/usr/bin/python3
"""An SMTP server on the loopback that keeps what it is sent, for the tests
of formd/mail.c.

    smtp_sink.py DIR PORTFILE [--port N] [--fail-rcpt ADDR] [--stall-data] [--slow S]

Listens on 127.0.0.1, on a free port the system picks (or on N, to come
back on the port a test already knows: "relay down, then back"), and
writes the port to PORTFILE only once the socket is listening, atomically
(PORTFILE.tmp, then rename), so a reader that sees the file can connect at
once. Each message accepted becomes DIR/NNNN.json (the envelope:
mail_from, rcpt_tos) and then DIR/NNNN.eml (the message's bytes as
received, after SMTP's own dot-unstuffing: exactly what the client meant
to send), both written atomically, before the 250 goes out. NNNN goes on
from the files already in DIR.

--fail-rcpt ADDR answers RCPT TO:<ADDR> with 550. --stall-data takes the
data, then keeps the client waiting for the answer (30 s, then 451,
nothing kept): a relay that hangs. --slow S waits S seconds before
answering MAIL, RCPT and the data: a relay slow at every step.

SIGTERM stops it; so does the end of the process that started it (a test
that crashed leaves no server behind).

Run with Debian's /usr/bin/python3: python3-aiosmtpd is installed for it,
not for another python3 earlier in PATH."""
import argparse
import asyncio
import errno
import json
import logging
import os
import sys
import time

try:
    from aiosmtpd.smtp import SMTP
except ImportError:
    sys.exit(f"smtp_sink.py: no aiosmtpd for {sys.executable} (Debian: python3-aiosmtpd)")


def write_atomic(path, data):
    with open(path + ".tmp", "wb") as f:
        f.write(data)
    os.rename(path + ".tmp", path)


class Sink:
    def __init__(self, directory, fail_rcpt, stall_data, slow):
        self.directory = directory
        self.stall_data = stall_data
        self.slow = slow
        self.fail_rcpt = fail_rcpt.lower() if fail_rcpt else None
        self.count = len([n for n in os.listdir(directory) if n.endswith(".eml")])

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        await asyncio.sleep(self.slow)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        await asyncio.sleep(self.slow)
        if self.fail_rcpt and address.lower() == self.fail_rcpt:
            return "550 5.1.1 <%s>: mailbox unavailable" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.stall_data:
            await asyncio.sleep(30)
            return "451 4.3.0 stalled on purpose"
        await asyncio.sleep(self.slow)
        self.count += 1
        base = os.path.join(self.directory, "%04d" % self.count)
        envelope_json = {"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos}
        write_atomic(base + ".json", json.dumps(envelope_json).encode())
        write_atomic(base + ".eml", envelope.original_content)
        return "250 OK queued as %04d" % self.count


async def listen(loop, handler, port):
    """A listening server; on a given port, retried for up to 10 s while an
    earlier sink's socket still holds it."""
    factory = lambda: SMTP(handler, hostname="sink.test", loop=loop)
    deadline = time.monotonic() + 10
    while True:
        try:
            return await loop.create_server(factory, host="127.0.0.1", port=port,
                                            reuse_address=True)
        except OSError as e:
            if e.errno != errno.EADDRINUSE or port == 0 or time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("dir")
    p.add_argument("portfile")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--fail-rcpt")
    p.add_argument("--stall-data", action="store_true")
    p.add_argument("--slow", type=float, default=0)
    args = p.parse_args()
    # aiosmtpd warns of every odd client (a test's TLS hello on plain text)
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    loop = asyncio.get_running_loop()
    server = await listen(loop, Sink(args.dir, args.fail_rcpt, args.stall_data, args.slow), args.port)
    port = server.sockets[0].getsockname()[1]
    write_atomic(args.portfile, str(port).encode())
    parent = os.getppid()
    async with server:
        while os.getppid() == parent:
            await asyncio.sleep(0.5)


if __name__ == "__main__":
    asyncio.run(main())
