"""Real app servers on local ports, and requests released at the same moment: for tests of
what two servers on one database do when the same thing reaches both at once."""

from __future__ import annotations

import http.client
import json
import threading
from typing import Any

from werkzeug.serving import make_server

from lms import jobs
from lms.extensions import db
from lms.watching import heartbeats


class Server:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.http = make_server("127.0.0.1", 0, app, threaded=True)
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)
        self.thread.start()

    def send(self, method: str, path: str, body: bytes,
             headers: dict[str, str]) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.http.server_port, timeout=30)
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        answer = response.read()
        connection.close()
        return response.status, answer

    def post(self, path: str, token: str, body: dict | None = None) -> tuple[int, dict]:
        """A JSON API call with a bearer token."""
        status, answer = self.send("POST", path, json.dumps(body or {}).encode(), {
            "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        return status, json.loads(answer or b"{}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http.server_port}"

    def stop(self) -> None:
        self.http.shutdown()
        self.thread.join(timeout=5)
        # Its workers must not outlive it: later tests swap the database session.
        jobs.stop_runner(self.app)
        heartbeats.stop_batcher(self.app)
        with self.app.app_context():
            db.engine.dispose()


def at_once(*calls: Any) -> list[Any]:
    """Run the calls in threads released together; return their results in order."""
    gate = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Any) -> None:
        gate.wait()
        results[index] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


class Browser:
    """One person's login (cookie and CSRF token), sending forms to any server."""

    def __init__(self, app: Any, id_number: str, password: str) -> None:
        from tests.conftest import Client

        app.test_client_class = Client
        client = app.test_client()
        response = client.submit("/login", {"id_number": id_number, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        self.csrf = client.csrf_token("/home")
        self.cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value

    def post(self, server: Server, path: str, data: dict[str, str] | None = None
             ) -> tuple[int, str]:
        from urllib.parse import urlencode

        status, body = server.send(
            "POST", path, urlencode({"csrf_token": self.csrf, **(data or {})}).encode(),
            {"Cookie": f"lms_session={self.cookie}",
             "Content-Type": "application/x-www-form-urlencoded"})
        return status, body.decode("utf-8", "replace")
