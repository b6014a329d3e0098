#!/usr/bin/python3
"""A real SMTP server for tests (aiosmtpd), standing in for a venue's mail relay.

    smtp-server.py PORT FOLDER [--tls CERT KEY] [--require-starttls] [--temporary N] [--reject ADDRESS]

Listens on 127.0.0.1:PORT and offers STARTTLS with CERT and KEY when given (--require-starttls:
refuses mail before it). Each message accepted is saved as FOLDER/NNNN.eml (the DATA as received)
with FOLDER/NNNN.json (envelope sender, recipients, whether it came over TLS). The first N RCPT
commands get 451 (try again later); RCPT of ADDRESS gets 550 (no such user). Prints "listening"
on stderr when ready.
"""
import argparse
import json
import os
import signal
import ssl
import sys

from aiosmtpd.controller import Controller

parser = argparse.ArgumentParser()
parser.add_argument("port", type=int)
parser.add_argument("folder")
parser.add_argument("--tls", nargs=2)
parser.add_argument("--require-starttls", action="store_true")
parser.add_argument("--temporary", type=int, default=0)
parser.add_argument("--reject")
options = parser.parse_args()


class Handler:
    def __init__(self):
        self.temporary = options.temporary
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == options.reject:
            return "550 5.1.1 no such user"
        if self.temporary > 0:
            self.temporary -= 1
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        stem = os.path.join(options.folder, "%04d" % self.count)
        with open(stem + ".eml", "wb") as file:
            file.write(envelope.original_content)
        with open(stem + ".json", "w") as file:
            json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                       "tls": session.ssl is not None}, file)
        return "250 2.0.0 accepted"


parameters = {}
if options.tls:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*options.tls)
    parameters = {"tls_context": context, "require_starttls": options.require_starttls}
os.makedirs(options.folder, exist_ok=True)
controller = Controller(Handler(), hostname="127.0.0.1", port=options.port, **parameters)
controller.start()
print("listening", file=sys.stderr, flush=True)
signal.sigwait({signal.SIGTERM, signal.SIGINT})
controller.stop()
