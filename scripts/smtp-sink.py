#!/usr/bin/python3
"""The demo's mailbox: a real SMTP server (Debian's python3-aiosmtpd) on
loopback that decodes every message it receives (RFC 2047 headers, base64
parts) and appends it, readable, to a file.

  smtp-sink.py PORT FILE
"""
import asyncio
import email
import email.policy
import sys

from aiosmtpd.controller import Controller


class Handler:
    def __init__(self, path):
        self.path = path

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain",))
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write("\n✉ To: %s\n  Subject: %s\n  Date: %s\n  Message-ID: %s\n"
                     % (msg["To"], msg["Subject"], msg["Date"], msg["Message-ID"]))
            for line in (body.get_content() if body else "").splitlines():
                fh.write("  | %s\n" % line)
            if msg.get_body(preferencelist=("html",)) is not None:
                fh.write("  + an HTML part\n")
            for att in msg.iter_attachments():
                fh.write("  + attached: %s (%s, %d bytes)\n"
                         % (att.get_filename(), att.get_content_type(),
                            len(att.get_payload(decode=True) or b"")))
        return "250 OK"


def main():
    port, path = int(sys.argv[1]), sys.argv[2]
    controller = Controller(Handler(path), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        asyncio.new_event_loop().run_forever()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
