"""Webhooks end to end: the real server, a receiver written here with Python's standard library.

The receiver is down (503) for its first requests, then up. Reports are made through the API;
the receiver must then hold every event of every case once, in order per case, each signed as
the README says (HMAC-SHA256 of `TIMESTAMP.BODY`, checked here independently of the Rust code),
retries carrying the same event id.

Run by .ci/run: GRASSROOTS_BIN names the built binary; the script starts the demo itself.
"""

import hashlib
import hmac
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from demo_server import BIN, free_port, serving  # noqa: E402

DOWN_FOR = 3


class Receiver(http.server.BaseHTTPRequestHandler):
    secret = b""
    seen = []  # (event id, case id, seq, signed, answered)
    lock = threading.Lock()

    def do_POST(self):
        body = self.rfile.read(int(self.headers["content-length"]))
        stamp = self.headers["x-grassroots-timestamp"]
        expected = "sha256=" + hmac.new(self.secret, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        event = json.loads(body)
        with self.lock:
            answer = 503 if len(self.seen) < DOWN_FOR else 204
            signed = hmac.compare_digest(expected, self.headers["x-grassroots-signature"])
            assert self.headers["x-grassroots-event-id"] == event["event_id"], "the header names the body's event"
            self.seen.append((event["event_id"], event["case_id"], event["seq"], signed, answer))
        self.send_response(answer)
        self.end_headers()

    def log_message(self, *args):
        pass


def main():
    data = tempfile.mkdtemp(prefix="grassroots-webhooks-")
    hook_port = free_port()
    subprocess.run([BIN, "--data-dir", data, "demo", "--no-serve"], check=True, stdout=subprocess.DEVNULL)
    added = subprocess.run(
        [BIN, "--data-dir", data, "webhook", "add", "--name", "check", "--url", f"http://127.0.0.1:{hook_port}/events"],
        check=True,
        capture_output=True,
        text=True,
    )
    Receiver.secret = added.stdout.strip().splitlines()[-1].encode()
    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", hook_port), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        with serving(data) as url:
            deliver_and_check(url)
    finally:
        receiver.shutdown()
        shutil.rmtree(data, ignore_errors=True)


def deliver_and_check(url):
    """Three reports through the API; then every event at the receiver, in order, signed."""
    # 0302 is dispatched on arrival in the demo: three events per report. Three matters, each at
    # its own building and 600 m from the next, so that none is taken for a repeat of another
    # (a repeat waits for a dispatcher instead).
    for i in range(3):
        report = {
            "category_code": "0302",
            "description": f"{i + 1}号楼门口井盖缺失",
            "lat": 39.9149 + 0.0055 * i,
            "lng": 116.4109,
            "anonymous": True,
        }
        request = urllib.request.Request(
            f"{url}/api/v1/cases",
            data=json.dumps(report).encode(),
            headers={"content-type": "application/json"},
        )
        assert urllib.request.urlopen(request).status == 201
    # Retries wait 5 s, then 10 s: everything is in well within a minute.
    deadline = time.time() + 60
    while time.time() < deadline:
        with Receiver.lock:
            delivered = {s[0] for s in Receiver.seen if s[4] == 204}
        if len(delivered) >= 9:
            break
        time.sleep(0.5)
    with Receiver.lock:
        seen = list(Receiver.seen)
    delivered = [s for s in seen if s[4] == 204]
    assert len(delivered) == 9 and len({s[0] for s in delivered}) == 9, f"each of 9 events delivered once: {seen}"
    assert all(s[3] for s in seen), "every request is signed with the secret"
    failed_ids = {s[0] for s in seen if s[4] == 503}
    assert failed_ids <= {s[0] for s in delivered}, "a retry carries the id of the failed attempt"
    for case in {s[1] for s in delivered}:
        seqs = [s[2] for s in delivered if s[1] == case]
        assert seqs == sorted(seqs) == [1, 2, 3], f"case {case}: events in order, {seqs}"
    print(f"webhooks: {len(delivered)} events delivered in order, {len(seen) - len(delivered)} retried, all signed")


if __name__ == "__main__":
    main()
