#!/usr/bin/env python3
"""The commit-status API of a forge, for the tests of rig's reporting.

Listens on 127.0.0.1 at a free port and prints "port N" on stdout once it
accepts connections. Takes POSTs anywhere (GitHub's /repos/…/statuses/SHA,
GitLab's /projects/…/statuses/SHA), records each one (method, raw path,
headers, body, parsed JSON) and answers 201 with the JSON it was sent, or
401 when the token is not the one given on the command line:
"Authorization: Bearer TOKEN" for GitHub, "PRIVATE-TOKEN: TOKEN" for GitLab
(told apart by /projects/ in the path).

Control, for the test driving it:
  POST /__plan      a JSON list of answers for the next status posts, in
                    order: a status code, or {"status": N, "body": {...}},
                    or {"hang": SECONDS} (say nothing that long, then close)
  GET  /__requests  every status post recorded so far, as a JSON list
  POST /__reset     forget the posts and the plan

Standard library only. Ends on SIGTERM or when stdin closes.
"""
import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Forge(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, github_token, gitlab_token):
        super().__init__(("127.0.0.1", 0), Handler)
        self.github_token = github_token
        self.gitlab_token = gitlab_token
        self.lock = threading.Lock()
        self.requests = []
        self.plan = []


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("fake_forge: " + (fmt % args) + "\n")

    def reply(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/__requests":
            with self.server.lock:
                self.reply(200, list(self.server.requests))
        else:
            self.reply(404, {"message": "Not Found"})

    def do_POST(self):
        forge = self.server
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/__plan":
            with forge.lock:
                forge.plan.extend(json.loads(body))
            self.reply(200, {"planned": len(forge.plan)})
            return
        if self.path == "/__reset":
            with forge.lock:
                forge.requests.clear()
                forge.plan.clear()
            self.reply(200, {})
            return
        record = {
            "method": self.command,
            "path": self.path,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body.decode("utf-8", "replace"),
        }
        try:
            record["json"] = json.loads(body)
        except ValueError:
            record["json"] = None
        with forge.lock:
            forge.requests.append(record)
            answer = forge.plan.pop(0) if forge.plan else None
        if isinstance(answer, dict) and "hang" in answer:
            time.sleep(answer["hang"])
            self.close_connection = True
            return
        if answer is not None:
            status = answer if isinstance(answer, int) else answer.get("status", 500)
            content = {} if isinstance(answer, int) else answer.get("body", {})
            self.reply(status, content or {"message": "planned answer %d" % status})
            return
        if "/projects/" in self.path:
            authorized = self.headers.get("PRIVATE-TOKEN") == forge.gitlab_token
        else:
            authorized = self.headers.get("Authorization") == "Bearer " + forge.github_token
        if not authorized:
            self.reply(401, {"message": "Bad credentials"})
            return
        self.reply(201, record["json"] or {})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--github-token", required=True)
    parser.add_argument("--gitlab-token", required=True)
    args = parser.parse_args()
    forge = Forge(args.github_token, args.gitlab_token)
    threading.Thread(target=forge.serve_forever, daemon=True).start()
    print("port %d" % forge.server_port, flush=True)
    # The test holds stdin open; when it goes away, so does the forge.
    sys.stdin.read()
    forge.shutdown()


if __name__ == "__main__":
    main()
