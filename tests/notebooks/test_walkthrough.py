"""The readable walkthrough: build the site from the executed series and check it in a
real headless browser (Debian's chromium driven by playwright): the index opens, every
part is linked, every chart image loads, and no internal link is broken."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

from lab.notebooks import list_notebooks
from lab.site import build_site

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site(executed_notebooks, executed_notebooks_dir, tmp_path_factory):
    for path in list_notebooks(ROOT / "notebooks"):  # executed once for the session
        if isinstance(executed_notebooks[path], BaseException):
            raise executed_notebooks[path]
    out = tmp_path_factory.mktemp("site")
    build_site(executed_notebooks_dir, out)
    handler = functools.partial(_QuietHandler, directory=str(out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", out
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).exists(), "Debian's chromium is needed: apt-get install chromium"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.mark.timeout(900)  # run alone, its fixture executes the series
def test_walkthrough_in_a_headless_browser(site, browser):
    base, out = site
    page = browser.new_page()
    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    failed_requests: list[str] = []
    page.on("requestfailed", lambda r: failed_requests.append(r.url))

    response = page.goto(base + "index.html")
    assert response.status == 200
    parts = page.eval_on_selector_all("ol.series a", "els => els.map(e => e.getAttribute('href'))")
    expected = [p.stem + ".html" for p in list_notebooks(ROOT / "notebooks")]
    assert parts == expected, "the index links every part, in order"

    charts = 0
    to_check: set[str] = set()
    for href in parts:
        resp = page.goto(base + href)
        assert resp.status == 200, href
        page.wait_for_load_state("load")
        images = page.eval_on_selector_all(
            "main img", "els => els.map(e => [e.getAttribute('src'), e.complete, e.naturalWidth])")
        for src, complete, width in images:
            assert complete and width > 0, f"{href}: image {src} did not load"
        charts += len(images)
        links = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
        for link in links:
            url = urljoin(base + href, link)
            if urlparse(url).netloc == urlparse(base).netloc:
                to_check.add(url.split("#")[0])
    for url in sorted(to_check):
        assert page.request.get(url).status == 200, f"broken internal link {url}"
    assert not failed_requests, failed_requests
    assert not console_errors, console_errors
    figures = list(out.glob("*_files/*.png"))
    assert charts == len(figures), "every extracted chart is shown on a page"
