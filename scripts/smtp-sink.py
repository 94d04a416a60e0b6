#!/usr/bin/python3
"""An SMTP server for tests that keeps what it receives (Debian's python3-aiosmtpd; run with /usr/bin/python3).

Listens on 127.0.0.1:PORT. With --cert/--key it offers STARTTLS; with --user/--password it requires AUTH
(LOGIN or PLAIN), offered only after STARTTLS when TLS is configured. Every message accepted is written to
MAILBOX as NNNN.eml (the bytes as received) and NNNN.json (the envelope), each file complete when it appears.
Prints "listening on 127.0.0.1:PORT" once ready; stops on SIGTERM or SIGINT, or when its parent exits (unless
--detached).

    /usr/bin/python3 scripts/smtp-sink.py --port 2525 --mailbox /tmp/mailbox [--cert c.pem --key k.pem] [--user u --password p]
"""
import argparse
import asyncio
import json
import os
import signal
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Mailbox:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    def _write(self, name, data):
        temporary = os.path.join(self.directory, "." + name + ".tmp")
        with open(temporary, "wb") as f:
            f.write(data)
        os.rename(temporary, os.path.join(self.directory, name))

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        stem = "%04d" % self.count
        envelope_record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "tls": session.ssl is not None,
            "authenticated": bool(session.authenticated),
        }
        self._write(stem + ".json", json.dumps(envelope_record).encode())
        # The .eml last: a test that sees it can read the envelope too.
        self._write(stem + ".eml", envelope.original_content)
        print("received %s from %s for %s" % (stem, envelope.mail_from, ",".join(envelope.rcpt_tos)), flush=True)
        return "250 2.0.0 OK queued as " + stem


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mailbox", required=True)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--detached", action="store_true", help="keep running when the parent exits (make run)")
    args = parser.parse_args()
    os.makedirs(args.mailbox, exist_ok=True)

    tls_context = None
    if args.cert:
        tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls_context.load_cert_chain(args.cert, args.key)

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login == args.user.encode()
              and auth_data.password == args.password.encode())
        # handled=False: aiosmtpd then answers 535 itself (with the default, nothing is answered).
        return AuthResult(success=ok, handled=False)

    options = {"tls_context": tls_context, "require_starttls": tls_context is not None, "hostname": "sink.sansang.test"}
    if args.user is not None:
        options.update(authenticator=authenticate, auth_required=True, auth_require_tls=tls_context is not None)
    mailbox = Mailbox(args.mailbox)

    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(loop.create_server(lambda: SMTP(mailbox, **options), host="127.0.0.1", port=args.port))
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    # A test that crashed cannot stop us by PID: stop when the parent is gone.
    parent = os.getppid()

    def watch_parent():
        if os.getppid() != parent:
            stop.set()
        else:
            loop.call_later(1, watch_parent)

    if not args.detached:
        watch_parent()
    print("listening on 127.0.0.1:%d tls=%s auth=%s" % (args.port, tls_context is not None, args.user is not None), flush=True)
    loop.run_until_complete(stop.wait())
    server.close()
    loop.run_until_complete(server.wait_closed())
    return 0


if __name__ == "__main__":
    sys.exit(main())
