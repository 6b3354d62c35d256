"""Trainers' Network from outside: ask for training as an organiser, accept the
offer as the trainer, and receive the signed `request.booked` webhook.

Needs only Python 3.11's standard library (it imports nothing of the project):

    python docs/api_example.py --base-url http://127.0.0.1:5000 \\
        --organiser-token tn_... --trainer-token tn_... --webhook-secret whsec_... \\
        --group 1 --topic 2 --postcode "TN34 1AA" --address "Hastings Library" \\
        --starts 2027-06-15T18:30:00+01:00

The webhook endpoint (--listen, default http://127.0.0.1:8765/) must be
registered by the office, for `request.booked`, with the secret given here.
Prints what happened at each step; exits 1 with the problem if a step fails.
"""

import argparse
import base64
import hashlib
import hmac
import json
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.error import HTTPError
from urllib.parse import urlsplit
from urllib.request import Request, urlopen

# A signature older or newer than this is refused, as the specification advises.
TOLERANCE_SECONDS = 5 * 60


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    received: list[dict] = []
    arrived = threading.Event()
    receiver = _receiver(args.listen, args.webhook_secret, received, arrived)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        return _run(args, received, arrived)
    finally:
        receiver.shutdown()


def _run(args, received: list[dict], arrived: threading.Event) -> int:
    api = f"{args.base_url.rstrip('/')}/api/v1"
    request = {
        "group_id": args.group,
        "topic_id": args.topic,
        "slots": [{"starts_at": args.starts}],
        "venue_postcode": args.postcode,
        "venue_address": args.address,
        "expected_attendance": 20,
    }
    made = _call("POST", f"{api}/requests", args.organiser_token, request)
    print(f"1. Request {made['id']} made: {made['status']}")
    offers = _call("GET", f"{api}/offers", args.trainer_token)["items"]
    mine = [
        o for o in offers if o["request_id"] == made["id"] and o["status"] == "pending"
    ]
    if not mine:
        print(
            "The trainer was not offered it: choose a topic, place and time they can take."
        )
        return 1
    accepted = _call(
        "POST", f"{api}/offers/{mine[0]['id']}/accept", args.trainer_token, {}
    )
    print(f"2. Offer {mine[0]['id']} accepted: session {accepted['session_id']}")
    deadline = time.monotonic() + args.wait
    while time.monotonic() < deadline:
        for event in received:
            if event["type"] == "request.booked" and event["data"]["id"] == made["id"]:
                print(
                    f"3. Signed webhook received: request.booked for request {made['id']}"
                )
                return 0
        arrived.wait(1)
        arrived.clear()
    print(f"No request.booked webhook within {args.wait} s: is the scheduler running?")
    return 1


def _call(method: str, url: str, token: str, body: dict | None = None) -> dict:
    """One API call; its JSON answer, or exit with the problem it gave."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
        # A retried create makes one request, never two.
        headers["Idempotency-Key"] = str(uuid.uuid4())
    try:
        with urlopen(Request(url, data, headers, method=method), timeout=30) as answer:  # noqa: S310 - the URL is the user's
            return json.load(answer)
    except HTTPError as error:
        problem = json.load(error)
        raise SystemExit(
            f"{method} {url}: {error.code} {problem.get('detail')}"
        ) from None


def verified(secret: str, headers, body: bytes, now: float) -> dict | None:
    """The webhook's payload if one of its signatures is ours and it is recent,
    as the Standard Webhooks specification says; else None."""
    message_id = headers.get("webhook-id", "")
    timestamp = headers.get("webhook-timestamp", "")
    if not timestamp.isdigit() or abs(now - int(timestamp)) > TOLERANCE_SECONDS:
        return None
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    given = [
        part.partition(",")[2] for part in headers.get("webhook-signature", "").split()
    ]
    if not any(hmac.compare_digest(expected, signature) for signature in given):
        return None
    return json.loads(body)


def _receiver(listen: str, secret: str, received: list, arrived: threading.Event):
    address = urlsplit(listen)
    seen: set[str] = set()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            payload = verified(secret, self.headers, body, time.time())
            self.send_response(204 if payload is not None else 401)
            self.end_headers()
            # A message may come again after a failure: once per webhook-id.
            if payload is not None and self.headers["webhook-id"] not in seen:
                seen.add(self.headers["webhook-id"])
                received.append(payload)
                arrived.set()

        def log_message(self, *args):
            pass

    return ThreadingHTTPServer((address.hostname, address.port), Handler)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--organiser-token", required=True)
    parser.add_argument("--trainer-token", required=True)
    parser.add_argument("--webhook-secret", required=True)
    parser.add_argument("--group", type=int, required=True, help="the group's id")
    parser.add_argument("--topic", type=int, required=True, help="the topic's id")
    parser.add_argument("--postcode", required=True, help="the venue's postcode")
    parser.add_argument("--address", required=True, help="the venue's address")
    parser.add_argument("--starts", required=True, help="ISO 8601, with its offset")
    parser.add_argument("--listen", default="http://127.0.0.1:8765/")
    parser.add_argument("--wait", type=int, default=120, help="seconds for the webhook")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())
