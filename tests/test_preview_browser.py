"""
The preview gallery served by ``ace_preview --serve`` and opened in a headless Chromium.

Chromium is Debian's ``chromium`` package (``.ci/run`` installs it). Its host resolver
maps every name but 127.0.0.1 to "not found", so the browser reaches only the gallery
server. The screenshot is kept in ``var/test-artifacts/gallery.png``.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

REPO_DIR = Path(__file__).resolve().parent.parent
ARTIFACT_DIR = REPO_DIR / "var" / "test-artifacts"
CHROMIUM = shutil.which("chromium")

# A guard against a hung browser or server, not a measurement.
PROCESS_TIMEOUT = 120

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed; .ci/run installs it with apt-get"
)


class LinkCollector(HTMLParser):
    """Collects the ``href`` of every ``<a class="preview-link">``."""

    def __init__(self):
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "a" and values.get("class") == "preview-link" and values.get("href"):
            self.links.append(values["href"])


def chromium(profile: Path, *args: str) -> str:
    """Run headless Chromium with networking limited to 127.0.0.1 and return its stdout."""
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        f"--user-data-dir={profile}",
        *args,
    ]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=PROCESS_TIMEOUT, check=False)
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


@pytest.fixture
def gallery_url(tmp_path):
    """Start ``manage.py ace_preview --serve 0`` on the example app and return the index URL."""
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "test_settings", "PYTHONUNBUFFERED": "1"}
    command = [
        sys.executable,
        "manage.py",
        "ace_preview",
        "--output",
        str(tmp_path / "gallery"),
        "--language",
        "en",
        "--language",
        "es",
        "--message",
        "example",
        "--serve",
        "0",
    ]
    server = subprocess.Popen(
        command, cwd=REPO_DIR, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        output = []
        url = None
        for line in server.stdout:
            output.append(line)
            match = re.match(r"Serving the gallery at (\S+)", line)
            if match:
                url = match.group(1)
                break
        assert url is not None, "".join(output)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=PROCESS_TIMEOUT)
        server.stdout.close()


def test_server_listens_on_loopback_only(gallery_url):
    assert urlsplit(gallery_url).hostname == "127.0.0.1"


def test_index_link_opens_rendered_page(gallery_url, tmp_path):
    index_dom = chromium(tmp_path / "profile", "--dump-dom", gallery_url)
    collector = LinkCollector()
    collector.feed(index_dom)
    assert "example.welcomemessage.email.en.html" in collector.links
    assert "example.welcomemessage.email.es.html" in collector.links

    page_url = urljoin(gallery_url, "example.welcomemessage.email.es.html")
    page_dom = chromium(tmp_path / "profile", "--dump-dom", page_url)

    subject = re.search(r'<dd class="subject">(.*?)</dd>', page_dom)
    assert subject is not None, page_dom
    assert html.unescape(subject.group(1)) == "¡Te damos la bienvenida a Example University, Ada!"
    text_body = re.search(r'<pre class="text-body">(.*?)</pre>', page_dom, re.DOTALL)
    assert text_body is not None, page_dom
    assert "Hola, Ada:" in text_body.group(1)
    assert "Introduction to Linear Algebra" in text_body.group(1)
    assert '<iframe class="html-body"' in page_dom


def test_screenshot_of_page(gallery_url, tmp_path):
    screenshot = tmp_path / "gallery.png"
    page_url = urljoin(gallery_url, "example.welcomemessage.email.en.html")

    chromium(tmp_path / "profile", "--window-size=1280,1000", f"--screenshot={screenshot}", page_url)

    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    ARTIFACT_DIR.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(screenshot, ARTIFACT_DIR / "gallery.png")
