#!/usr/bin/env python3
"""A webhook receiver for tests and the demo: keeps the body of every POST as a numbered JSON file.

usage: webhook-sink.py PORT DIRECTORY [STATUS]
Listens on 127.0.0.1:PORT; answers STATUS (default 200) to every POST and writes the body, with the request
path and headers, to DIRECTORY/NNNN.json. GET /count answers the number of bodies kept.
"""
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, directory = int(sys.argv[1]), sys.argv[2]
status = int(sys.argv[3]) if len(sys.argv) > 3 else 200
os.makedirs(directory, exist_ok=True)


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        count = len([n for n in os.listdir(directory) if n.endswith(".json")])
        record = {"path": self.path, "headers": dict(self.headers), "body": json.loads(body or b"null")}
        temporary = os.path.join(directory, "%04d.tmp" % count)
        with open(temporary, "w") as out:
            json.dump(record, out)
        os.rename(temporary, os.path.join(directory, "%04d.json" % count))
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):
        count = len([n for n in os.listdir(directory) if n.endswith(".json")])
        payload = str(count).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
