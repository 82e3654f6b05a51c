"""Fixtures for driving the Midtrans simulator with the real ``midtransclient`` over HTTP.

The simulator is served by pytest-django's ``live_server`` under a URLconf of its own (the same
``/midtrans-sim/`` mount as the portal's), so these tests do not depend on the rest of the portal.
Notifications go to ``receiver``: a tiny HTTP server in a thread that records what it gets.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import midtransclient
import pytest
import requests

SERVER_KEY = "SB-Mid-server-SIMULATOR"

# Tests that serve the simulator over HTTP need committed data (the server runs in another
# thread). Limiting the flush to the simulator's tables keeps each test's teardown cheap.
over_http = pytest.mark.django_db(transaction=True, available_apps=["midtrans_sim"])


@pytest.fixture(autouse=True)
def _simulator_urls(settings):
    settings.ROOT_URLCONF = "tests.midtrans_sim.urls"
    settings.MIDTRANS_SERVER_KEY = SERVER_KEY


def verify_signature(payload: dict, server_key: str = SERVER_KEY) -> bool:
    """The check a merchant makes, written out independently of the simulator's code."""
    raw = payload["order_id"] + payload["status_code"] + payload["gross_amount"] + server_key
    return hashlib.sha512(raw.encode()).hexdigest() == payload["signature_key"]


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A notification endpoint: records each POST and answers with ``answers`` (then 200)."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def payloads(self) -> list[dict]:
        return [r.json for r in self.received]


@pytest.fixture
def receiver():
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with state.lock:
                state.received.append(Received(self.path, dict(self.headers), body))
                status = state.answers.pop(0) if state.answers else 200
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"OK" if status < 400 else b"not stored")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/notify"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _server_threads_end(request):
    """Let the server threads of this test end before the next starts.

    A live-server thread still running when the session's live server stops would fail closing
    the shared in-memory SQLite connection (the timeout fault leaves one sleeping).
    """
    yield
    for thread in threading.enumerate():
        if thread.name.endswith("(process_request_thread)"):
            thread.join(timeout=5)


class TimeoutSession(requests.Session):
    """midtransclient sets no timeout; the portal gives it a session that does, and so do we.

    Each request uses a fresh connection that the server closes after answering: no live-server
    thread stays parked on an idle keep-alive connection.
    """

    def __init__(self, timeout: float):
        super().__init__()
        self.timeout = timeout
        self.headers["Connection"] = "close"

    def request(self, *args, **kwargs):
        kwargs.setdefault("timeout", self.timeout)
        try:
            return super().request(*args, **kwargs)
        finally:
            # Never reuse a connection the server is closing.
            for adapter in self.adapters.values():
                adapter.close()


@pytest.fixture
def sim_url(live_server):
    return f"{live_server.url}/midtrans-sim"


def make_snap(sim_url: str, *, server_key: str = SERVER_KEY, headers: dict | None = None, timeout: float = 5):
    """A real Snap client pointed at the simulator (on this instance only, not the class)."""
    snap = midtransclient.Snap(is_production=False, server_key=server_key, custom_headers=dict(headers or {}))
    snap.api_config.SNAP_SANDBOX_BASE_URL = f"{sim_url}/snap/v1"
    snap.http_client.http_client = TimeoutSession(timeout)
    return snap


def make_core(sim_url: str, *, server_key: str = SERVER_KEY, timeout: float = 5):
    core = midtransclient.CoreApi(is_production=False, server_key=server_key, custom_headers={})
    core.api_config.CORE_SANDBOX_BASE_URL = sim_url
    core.http_client.http_client = TimeoutSession(timeout)
    return core


@pytest.fixture
def snap(sim_url, receiver):
    return make_snap(sim_url, headers={"X-Override-Notification": receiver.url})


@pytest.fixture
def core(sim_url):
    return make_core(sim_url)


def order(order_id: str, amount: int = 10000, **extra) -> dict:
    """A Snap create body: one water bill line worth the whole amount."""
    return {
        "transaction_details": {"order_id": order_id, "gross_amount": amount},
        "item_details": [{"id": "INV-1", "price": amount, "quantity": 1, "name": "Tagihan air 2026-10"}],
        "customer_details": {"first_name": "Budi", "last_name": "Santoso", "email": "budi@example.test"},
        **extra,
    }
