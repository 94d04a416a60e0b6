#!/usr/bin/python3
"""Parses an e-mail file with Python's email package and prints what tests assert on, as JSON.

    /usr/bin/python3 scripts/mail-inspect.py message.eml

Top level: the decoded headers (subject, from, to, cc, reply_to, date, message_id, mime_version), "structure" (the
MIME tree, e.g. multipart/mixed(multipart/related(...),text/csv)), line facts of the raw bytes (all_crlf,
max_line_length, max_header_line_length) and "parts": every leaf with its content type, charset, transfer encoding,
disposition, filename, Content-ID, and its content: text for text parts, rows for text/csv, width/height for image/png
(from IHDR), and the byte count.
"""
import csv
import email
import email.policy
import io
import json
import struct
import sys


def structure(part):
    if part.is_multipart():
        return "%s(%s)" % (part.get_content_type(), ",".join(structure(p) for p in part.iter_parts()))
    return part.get_content_type()


def leaf(part):
    payload = part.get_payload(decode=True) or b""
    info = {
        "content_type": part.get_content_type(),
        "charset": part.get_content_charset(),
        "transfer_encoding": part.get("Content-Transfer-Encoding"),
        "disposition": part.get_content_disposition(),
        "filename": part.get_filename(),
        "content_id": part.get("Content-ID"),
        "bytes": len(payload),
    }
    if part.get_content_maintype() == "text":
        text = payload.decode(part.get_content_charset() or "ascii")
        info["text"] = text
        if part.get_content_type() == "text/csv":
            info["rows"] = list(csv.reader(io.StringIO(text)))
    if part.get_content_type() == "image/png" and payload[:8] == b"\x89PNG\r\n\x1a\n" and payload[12:16] == b"IHDR":
        info["width"], info["height"] = struct.unpack(">II", payload[16:24])
    return info


def main(path):
    raw = open(path, "rb").read()
    message = email.message_from_bytes(raw, policy=email.policy.default)
    lines = raw.split(b"\r\n")
    header_block = raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    result = {
        "subject": str(message["Subject"]),
        "from": [(a.display_name, a.addr_spec) for a in message["From"].addresses],
        "to": [(a.display_name, a.addr_spec) for a in message["To"].addresses],
        "cc": [(a.display_name, a.addr_spec) for a in message["Cc"].addresses] if message["Cc"] else [],
        "reply_to": [(a.display_name, a.addr_spec) for a in message["Reply-To"].addresses] if message["Reply-To"] else [],
        "date": str(message["Date"]),
        "message_id": str(message["Message-ID"]),
        "mime_version": str(message["MIME-Version"]),
        "structure": structure(message),
        "all_crlf": b"\n" not in raw.replace(b"\r\n", b""),
        "max_line_length": max(len(line) for line in lines),
        "max_header_line_length": max(len(line) for line in header_block),
        "defects": [type(d).__name__ for p in message.walk() for d in p.defects],
        "parts": [leaf(p) for p in message.walk() if not p.is_multipart()],
    }
    json.dump(result, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv[1])
