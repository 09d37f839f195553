"""deploy/nginx.conf run by a real nginx: signed media links checked by nginx itself, exactly as
the app signs them, and the proxying of everything else to the app.

nginx runs as a subprocess from a temporary prefix on free 127.0.0.1 ports, with the config's
placeholders filled in: a self-signed certificate, a media root holding a rendition made by the
project's own pipeline, and a small upstream that stands in for the app and reports what it
was sent. Skipped, saying why, where there is no nginx with the secure_link module.
"""

from __future__ import annotations

import http.client
import http.server
import json
import os
import pwd
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from lms.config import PROJECT_ROOT
from lms.courses import probe, streaming, transcode
from tests import media
from tests.conftest import make_app

NGINX = os.environ.get("LMS_NGINX") or shutil.which("nginx") or "/usr/sbin/nginx"
OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"
CONFIG = PROJECT_ROOT / "deploy" / "nginx.conf"
PLACEHOLDER = re.compile(r"__[A-Z_]+__")
LISTEN = re.compile(r"^(?P<indent>[ \t]*)listen\s+(?P<v6>\[::\]:)?(?P<port>\d+)(?P<rest>[^;]*);",
                    re.MULTILINE)
UPSTREAM = "server 127.0.0.1:8000;"


def nginx_with_secure_link(binary: str) -> bool:
    if not Path(binary).exists():
        return False
    try:
        built = subprocess.run([binary, "-V"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return False
    return "--with-http_secure_link_module" in built.stderr + built.stdout


needs_nginx = pytest.mark.skipif(
    not nginx_with_secure_link(NGINX) or not Path(OPENSSL).exists(),
    reason=f"needs nginx with ngx_http_secure_link_module at {NGINX} and openssl at {OPENSSL}: "
    "`apt-get install nginx openssl` (Debian's nginx has the module; or set LMS_NGINX)",
)
pytestmark = needs_nginx


# --- running nginx (also used by bench/delivery.py) -----------------------------------------------


def render(
    *,
    media_root: Path,
    secret: str,
    certificate: Path,
    key: Path,
    ports: dict[int, int],
    upstream_port: int = 8000,
    tls: bool = True,
    server_name: str = "127.0.0.1",
    extra: str = "",
) -> str:
    """deploy/nginx.conf with its placeholders filled and its listeners moved to loopback.

    ``ports`` maps the config's ports (80, 443) to local ones; IPv6 listeners are dropped.
    ``tls=False`` turns the HTTPS listener into plain HTTP (the benchmark); ``extra`` is
    inserted into the HTTPS server just before the media locations.
    """
    text = CONFIG.read_text()
    values = {
        "__SERVER_NAME__": server_name,
        "__TLS_CERTIFICATE__": str(certificate),
        "__TLS_CERTIFICATE_KEY__": str(key),
        "__MEDIA_ROOT__": str(media_root),
        "__MEDIA_SECRET__": secret,
    }
    for placeholder, value in values.items():
        assert placeholder in text, f"{placeholder} is gone from {CONFIG}"
        text = text.replace(placeholder, value)
    left = PLACEHOLDER.findall(re.sub(r"#.*", "", text))
    assert not left, f"unfilled placeholders in {CONFIG}: {left}"

    def listen(match: re.Match[str]) -> str:
        if match["v6"]:
            return f"{match['indent']}# (IPv6 listener dropped for the test)"
        rest = match["rest"] if tls else re.sub(r"\s+(ssl|http2)\b", "", match["rest"])
        return f"{match['indent']}listen 127.0.0.1:{ports[int(match['port'])]}{rest};"

    text = LISTEN.sub(listen, text)
    assert UPSTREAM in text
    text = text.replace(UPSTREAM, f"server 127.0.0.1:{upstream_port};")
    if extra:
        anchor = "    location ^~ /media/s/ {"
        assert anchor in text
        text = text.replace(anchor, extra + "\n" + anchor, 1)
    return text


def main_config(directory: Path, site: Path, *, workers: int = 1) -> Path:
    """A whole nginx.conf around ``site`` (an http-level include): all state under
    ``directory``, in the foreground."""
    user = ""
    if os.geteuid() == 0:  # workers would run as nobody, who cannot read pytest's temp dirs
        user = f"user {pwd.getpwuid(os.geteuid()).pw_name};"
    for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (directory / name).mkdir(exist_ok=True)
    conf = directory / "nginx.conf"
    conf.write_text(f"""
daemon off;
master_process on;
worker_processes {workers};
{user}
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {directory}/client_body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
    include {site};
}}
""")
    return conf


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def self_signed(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [OPENSSL, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext",
         "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )
    return cert, key


@dataclass
class Nginx:
    process: subprocess.Popen[bytes]
    directory: Path

    def log(self) -> str:
        path = self.directory / "error.log"
        return path.read_text() if path.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_nginx(directory: Path, site_text: str, ports: list[int], *, workers: int = 1) -> Nginx:
    """Start nginx and wait until it accepts connections on every port in ``ports``."""
    site = directory / "site.conf"
    site.write_text(site_text)
    conf = main_config(directory, site, workers=workers)
    args = [NGINX, "-p", str(directory), "-c", str(conf), "-e", str(directory / "error.log")]
    tested = subprocess.run([*args, "-t"], capture_output=True, text=True, timeout=30)
    assert tested.returncode == 0, tested.stderr
    server = Nginx(
        subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL),
        directory,
    )
    deadline = time.monotonic() + 10
    waiting = list(ports)
    while waiting:
        if server.process.poll() is not None:
            raise RuntimeError(f"nginx exited with {server.process.returncode}:\n{server.log()}")
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"nginx did not listen on {waiting} within 10 s:\n{server.log()}")
        try:
            socket.create_connection(("127.0.0.1", waiting[0]), timeout=1).close()
            waiting.pop(0)
        except OSError:
            time.sleep(0.02)
    return server


# --- a stand-in for the app -----------------------------------------------------------------------


@dataclass
class Upstream:
    """Answers every request with JSON of what it got; ``arrived`` is set as soon as a PUT's
    headers come in, before its body is read."""

    port: int = 0
    arrived: threading.Event = field(default_factory=threading.Event)
    #: The path of every request that reached it.
    seen: list[str] = field(default_factory=list)
    server: http.server.ThreadingHTTPServer | None = None
    thread: threading.Thread | None = None

    def start(self) -> None:
        upstream = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def answer(self) -> None:
                upstream.seen.append(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                if self.command == "PUT":
                    upstream.arrived.set()
                received = 0
                while received < length:
                    chunk = self.rfile.read(min(65536, length - received))
                    if not chunk:
                        break
                    received += len(chunk)
                body = json.dumps({
                    "method": self.command, "path": self.path, "received": received,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                }).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_PUT = do_POST = answer

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        if self.server is not None and self.thread is not None:
            self.server.shutdown()
            self.server.server_close()
            self.thread.join(timeout=5)


# --- the site under test --------------------------------------------------------------------------


@dataclass
class Site:
    app: Flask
    https: int
    http: int
    ca: Path
    media_root: Path
    rendition: str
    upstream: Upstream
    nginx: Nginx

    def link(self, user_id: int, file: str, *, expires: int | None = None,
             directory: str | None = None) -> str:
        expires = int(time.time()) + 3600 if expires is None else expires
        with self.app.app_context():
            sig = streaming.signature(expires, user_id, directory or self.rendition)
        return f"/media/s/{sig}/{expires}/{user_id}/{self.rendition}/{file}"

    def connection(self) -> http.client.HTTPSConnection:
        context = ssl.create_default_context(cafile=str(self.ca))
        context.verify_flags &= ~getattr(ssl, "VERIFY_X509_STRICT", 0)
        return http.client.HTTPSConnection("127.0.0.1", self.https, context=context, timeout=10)

    def get(self, path: str, headers: dict[str, str] | None = None,
            method: str = "GET") -> tuple[int, http.client.HTTPMessage, bytes]:
        connection = self.connection()
        try:
            connection.request(method, path, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.headers, response.read()
        finally:
            connection.close()

    def app_verdict(self, path: str) -> int:
        """What the embedded app answers for the same link: 200, 403 or 410."""
        match = re.fullmatch(r"/media/s/([^/]+)/(\d+)/(\d+)/(.+)", path)
        assert match
        with self.app.app_context():
            try:
                streaming.resolve(match[1], int(match[2]), int(match[3]), match[4])
            except streaming.LinkRefused as refused:
                return refused.status
        return 200


SECRET = "nginx-test-Secret_0123456789"
USER = 42


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    work = tmp_path_factory.mktemp("nginx")
    media_root = work / "media"
    rendition = "renditions/7/r2"
    (media_root / rendition).mkdir(parents=True)
    app = make_app("sqlite://", MEDIA_ROOT=media_root, MEDIA_SECRET=SECRET)
    source = media.video(work / "source.mp4", seconds=4, size="640x360")
    with app.app_context():
        info = probe.probe(source, max_seconds=3600, max_bytes=1024**3)
        transcode.transcode(source, media_root / rendition, info)
    # What must never be reachable: an original upload, and a file outside the media root.
    (media_root / "originals").mkdir()
    (media_root / "originals" / "7").write_bytes(b"ORIGINAL-UPLOAD " * 64)
    (media_root / "renditions" / "7" / "notes.m3u8").write_text("NOT-A-RENDITION\n")
    (work / "outside.m3u8").write_text("OUTSIDE-MEDIA-ROOT\n")

    cert, key = self_signed(work)
    https, http_port = free_port(), free_port()
    upstream = Upstream()
    upstream.start()
    try:
        text = render(media_root=media_root, secret=SECRET, certificate=cert, key=key,
                      ports={443: https, 80: http_port}, upstream_port=upstream.port)
        (work / "nginx").mkdir()
        nginx = start_nginx(work / "nginx", text, [https, http_port])
        try:
            yield Site(app, https, http_port, cert, media_root, rendition, upstream, nginx)
        finally:
            nginx.stop()
    finally:
        upstream.stop()


# --- signed media links ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "file, media_type",
    [
        ("master.m3u8", "application/vnd.apple.mpegurl"),
        ("v0/index.m3u8", "application/vnd.apple.mpegurl"),
        ("v0/init.mp4", "video/mp4"),
        ("v0/seg_00000.m4s", "video/iso.segment"),
        ("poster.jpg", "image/jpeg"),
    ],
)
def test_a_valid_link_serves_the_file_privately(site: Site, file: str, media_type: str) -> None:
    assert streaming.MEDIA_TYPES[Path(file).suffix] == media_type
    status, headers, body = site.get(site.link(USER, file))
    assert status == 200
    assert headers["Content-Type"] == media_type
    assert body == (site.media_root / site.rendition / file).read_bytes()
    assert headers["Cache-Control"].startswith("private")
    assert headers["Accept-Ranges"] == "bytes"


def test_the_master_playlist_names_its_variants(site: Site) -> None:
    status, _, body = site.get(site.link(USER, "master.m3u8"))
    assert status == 200
    assert body.startswith(b"#EXTM3U") and b"v0/index.m3u8" in body


def test_a_range_of_a_segment_is_partial_content(site: Site) -> None:
    whole = (site.media_root / site.rendition / "v0" / "seg_00000.m4s").read_bytes()
    status, headers, body = site.get(site.link(USER, "v0/seg_00000.m4s"),
                                     {"Range": "bytes=1000-4999"})
    assert status == 206
    assert headers["Content-Range"] == f"bytes 1000-4999/{len(whole)}"
    assert headers["Content-Type"] == "video/iso.segment"
    assert body == whole[1000:5000]
    status, headers, body = site.get(site.link(USER, "v0/seg_00000.m4s"), {"Range": "bytes=-100"})
    assert status == 206 and body == whole[-100:]


def flip(signature: str) -> str:
    return ("B" if signature[0] == "A" else "A") + signature[1:]


def test_forged_signatures_are_forbidden(site: Site) -> None:
    good = site.link(USER, "master.m3u8")
    sig = good.split("/")[3]
    other_secret = good.replace(sig, "q6Xqg1KqjEfp0J4BqmIXvA")
    for path in (good.replace(sig, flip(sig)), other_secret, good.replace(sig, sig[:-1]),
                 good.replace(sig, sig + "AA"), good.replace(sig, "=" * 22)):
        status, _, body = site.get(path)
        assert status == 403, path
        assert b"#EXTM3U" not in body
        assert site.app_verdict(path) == 403, path


def test_a_link_is_only_good_for_its_user(site: Site) -> None:
    mine = site.link(USER, "master.m3u8")
    for other in (USER + 1, 0, 420):
        theirs = mine.replace(f"/{USER}/renditions/", f"/{other}/renditions/")
        assert site.get(theirs)[0] == 403
        assert site.app_verdict(theirs) == 403
    assert site.get(mine)[0] == 200


def test_a_link_is_only_good_for_its_rendition(site: Site) -> None:
    link = site.link(USER, "master.m3u8")
    (site.media_root / "renditions/7/r1").mkdir(exist_ok=True)
    (site.media_root / "renditions/7/r1/master.m3u8").write_text("#EXTM3U\n")
    for rendition in ("renditions/7/r1", "renditions/8/r2"):
        path = link.replace(site.rendition, rendition)
        assert site.get(path)[0] == 403
        assert site.app_verdict(path) == 403


def test_an_expired_link_is_gone(site: Site) -> None:
    expired = site.link(USER, "master.m3u8", expires=int(time.time()) - 5)
    status, _, body = site.get(expired)
    assert status == 410
    assert b"#EXTM3U" not in body
    assert site.app_verdict(expired) == 410
    # Moving the expiry forward breaks the signature: forbidden, not gone.
    stretched = expired.replace(expired.split("/")[4], str(int(time.time()) + 3600))
    assert site.get(stretched)[0] == 403
    assert site.app_verdict(stretched) == 403


@pytest.mark.parametrize(
    "rest",
    [
        "../../../originals/7",
        "v0/../../../../originals/7",
        "..%2f..%2f..%2foriginals%2f7",
        "%2e%2e/%2e%2e/%2e%2e/originals/7",
        "v0/%2E%2E%2F%2E%2E%2F..%2Fnotes.m3u8",
        "../notes.m3u8",
        "..%2fnotes.m3u8",
        "../../../../../outside.m3u8",
        "%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2foutside.m3u8",
        "v0//seg_00000.m4s/../../../../../outside.m3u8",
        "master.m3u8%00.jpg",
        "master.m3u8/",
        "master.txt",
        "v0/seg_00000.m4s.bak",
        ".hidden.m3u8",
    ],
)
def test_paths_out_of_the_rendition_are_refused(site: Site, rest: str) -> None:
    """With a good signature for the rendition, no name it would not sign is served."""
    link = site.link(USER, "master.m3u8")
    path = link.removesuffix("master.m3u8") + rest
    status, _, body = site.get(path)
    assert status in (400, 403), (path, status)
    for secret in (b"ORIGINAL-UPLOAD", b"NOT-A-RENDITION", b"OUTSIDE-MEDIA-ROOT", b"#EXTM3U"):
        assert secret not in body


def test_a_signed_directory_cannot_climb_out(site: Site) -> None:
    """Signing a crafted directory does not help: the pattern admits only renditions/<n>/r<n>."""
    for directory in ("renditions/7/r2/../../..", "originals", "renditions/7"):
        with site.app.app_context():
            sig = streaming.signature(int(time.time()) + 60, USER, directory)
        path = f"/media/s/{sig}/{int(time.time()) + 60}/{USER}/{directory}/7"
        status, _, body = site.get(path)
        assert status in (400, 403)
        assert b"ORIGINAL-UPLOAD" not in body


def test_only_get_and_head(site: Site) -> None:
    link = site.link(USER, "master.m3u8")
    status, headers, body = site.get(link, method="HEAD")
    assert status == 200 and body == b""
    assert headers["Content-Type"] == "application/vnd.apple.mpegurl"
    assert site.get(link, method="POST")[0] == 403


# --- everything else goes to the app --------------------------------------------------------------


def test_plain_http_redirects_to_https(site: Site) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", site.http, timeout=10)
    try:
        connection.request("GET", "/login?next=/courses")
        response = connection.getresponse()
        response.read()
    finally:
        connection.close()
    assert response.status == 301
    assert response.headers["Location"] == "https://127.0.0.1/login?next=/courses"


@pytest.mark.parametrize("scheme", ["https", "http"])
def test_a_host_name_that_is_not_the_sites_gets_no_answer(site: Site, scheme: str) -> None:
    """nginx's default server closes the connection (444): a made-up Host never reaches the
    app, over HTTPS or plain HTTP."""
    before = len(site.upstream.seen)
    connection = (site.connection() if scheme == "https"
                  else http.client.HTTPConnection("127.0.0.1", site.http, timeout=10))
    try:
        connection.request("GET", "/login", headers={"Host": "evil.example"})
        with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
            connection.getresponse()
    finally:
        connection.close()
    assert len(site.upstream.seen) == before


def test_pages_are_proxied_with_the_client_address_scheme_and_host(site: Site) -> None:
    status, _, body = site.get("/login", {"X-Forwarded-For": "6.6.6.6",
                                          "Host": "127.0.0.1:8443"})
    assert status == 200
    seen = json.loads(body)
    assert seen["path"] == "/login"
    assert seen["headers"]["x-forwarded-for"] == "127.0.0.1"  # the client's spoof is dropped
    assert seen["headers"]["x-forwarded-proto"] == "https"
    # As the browser sent it, port included: the app's HTTPS referrer check compares it.
    assert seen["headers"]["x-forwarded-host"] == "127.0.0.1:8443"
    # Other /media paths (hls.js) are the app's too.
    assert json.loads(site.get("/media/vendor/hls.min.js")[2])["path"] == "/media/vendor/hls.min.js"


def send_headers(site: Site, path: str, length: int) -> http.client.HTTPSConnection:
    connection = site.connection()
    connection.putrequest("PUT", path)
    connection.putheader("Content-Length", str(length))
    connection.putheader("Upload-Offset", "0")
    connection.putheader("Content-Type", "application/octet-stream")
    connection.endheaders()
    return connection


def test_an_upload_chunk_streams_through_unbuffered(site: Site) -> None:
    size = 8 * 1024 * 1024 + 4096  # a full 8 MiB chunk and then some: within 9m
    site.upstream.arrived.clear()
    connection = send_headers(site, "/api/v1/videos/12/upload", size)
    try:
        connection.send(b"x" * (1024 * 1024))
        # Not spooled by nginx first: the app sees the request while most of it is still to come.
        assert site.upstream.arrived.wait(5), "nginx buffered the upload before passing it on"
        connection.send(b"x" * (size - 1024 * 1024))
        response = connection.getresponse()
        seen = json.loads(response.read())
    finally:
        connection.close()
    assert response.status == 200
    assert seen["received"] == size and seen["path"] == "/api/v1/videos/12/upload"
    assert seen["headers"]["upload-offset"] == "0"
    assert seen["headers"]["x-forwarded-proto"] == "https"


@pytest.mark.parametrize(
    "path, size, status",
    [
        ("/api/v1/videos/12/upload", 9 * 1024 * 1024 + 1, 413),
        ("/courses/1/edit", 10 * 1024 * 1024 + 1, 413),
        ("/courses/1/edit", 9 * 1024 * 1024 + 1, 200),
    ],
)
def test_body_limits(site: Site, path: str, size: int, status: int) -> None:
    connection = send_headers(site, path, size)
    try:
        if status == 200:
            connection.send(b"y" * size)
        response = connection.getresponse()
        response.read()
    finally:
        connection.close()
    assert response.status == status
