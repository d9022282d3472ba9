"""The walkthrough book: build it from the executed series and read it in a real headless
browser (a Chromium driven by playwright: Debian's, a Playwright-installed one, or the one
`CHROMIUM` names; without one the browser tests are skipped, saying how to install one).
Every page loads with no console error and no request leaving the machine, search works,
nothing overflows a laptop's or a phone's width, every image has alt text, and the
navigation reaches every part."""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

from lab.walkthrough.book import build_book, check_offline
from lab.walkthrough.notebooks import list_notebooks
from lab.walkthrough.series import PARTS as SERIES
from tests.fixtures.browser import INSTALL_HINT, find_chromium

# The first test to ask for the book may execute the whole series (run alone).
pytestmark = pytest.mark.timeout(900)

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = find_chromium()
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
WIDTHS = (1280, 390)  # a laptop and a phone
# Reading order: the series' parts (lab.walkthrough.series), each part's notebooks by number.
_BY_NUMBER = {int(p.name[:2]): p.stem for p in list_notebooks(ROOT / "notebooks")}
PARTS = [_BY_NUMBER[n] for _, numbers in SERIES for n in sorted(numbers)]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def book(executed_notebooks, executed_notebooks_dir, tmp_path_factory):
    for path in list_notebooks(ROOT / "notebooks"):  # executed once for the session
        if isinstance(executed_notebooks[path], BaseException):
            raise executed_notebooks[path]
    out = tmp_path_factory.mktemp("book")
    index = build_book(executed_notebooks_dir, out)
    handler = functools.partial(_QuietHandler, directory=str(index.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", index.parent
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip(f"no Chromium found for the browser test; install one with: {INSTALL_HINT}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


class Reader:
    """A browser page that records console errors and aborts (and records) any request
    that would leave the machine."""

    def __init__(self, browser, width: int):
        self.context = browser.new_context(viewport={"width": width, "height": 900})
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console",
                     lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _route(self, route):
        url = urlparse(route.request.url)
        if url.scheme in ("data", "blob", "about") or url.hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def open(self, url: str):
        response = self.page.goto(url)
        assert response.status == 200, url
        self.page.wait_for_load_state("load")
        return self.page

    def close(self):
        self.context.close()


def _pages(base: str, browser) -> list[str]:
    """Every page the sidebar links, in order."""
    reader = Reader(browser, 1280)
    page = reader.open(base + "index.html")
    hrefs = page.eval_on_selector_all(
        "nav.bd-docs-nav a.reference.internal", "els => els.map(e => e.getAttribute('href'))")
    reader.close()
    pages = [h.split("#")[0] for h in hrefs]  # the current page links to "#"
    return ["index.html"] + list(dict.fromkeys(p for p in pages if p not in ("", "index.html")))


def test_the_build_points_nothing_at_the_network(book):
    _, html = book
    check_offline(html)  # the build checks it too; this keeps the rule visible
    assert sorted(p.name for p in (html / "_sources").glob("*.ipynb")) == \
        sorted(f"{stem}.ipynb" for stem in PARTS), "every part can be downloaded"


def test_navigation_reaches_every_part(browser, book):
    base, _ = book
    pages = _pages(base, browser)
    assert [p for p in pages if p[:2].isdigit()] == [f"{stem}.html" for stem in PARTS]
    assert "run-it-yourself.html" in pages
    reader = Reader(browser, 1280)
    page = reader.open(base + "index.html")
    captions = page.eval_on_selector_all("nav.bd-docs-nav p.caption",
                                         "els => els.map(e => e.textContent.trim())")
    assert captions and all(c.startswith("Part ") for c in captions), captions
    # previous/next: "next" from the home page walks the whole book in order
    seen = ["index.html"]
    while (nxt := page.query_selector("a.right-next")) is not None:
        url = urljoin(page.url, nxt.get_attribute("href")).split("#")[0]
        page = reader.open(url)
        seen.append(urlparse(url).path.rsplit("/", 1)[-1])
        assert page.query_selector("a.left-prev") is not None, f"{seen[-1]} has no previous"
    assert seen == pages, "next links follow the sidebar"
    reader.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_loads_offline_fits_and_describes_its_images(browser, book, width):
    base, _ = book
    reader = Reader(browser, width)
    internal: set[str] = set()
    for href in _pages(base, browser):
        page = reader.open(base + href)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{href} scrolls sideways by {overflow} px at {width} px"
        images = page.eval_on_selector_all(
            "img", "els => els.map(e => [e.getAttribute('src'), e.getAttribute('alt'), "
                   "e.complete, e.naturalWidth])")
        for src, alt, complete, natural in images:
            assert complete and natural > 0, f"{href}: image {src} did not load"
            assert alt and alt.strip(), f"{href}: image {src} has no alt text"
        if href[:2].isdigit():
            assert page.query_selector(f"a[href='_sources/{href[:-5]}.ipynb']"), \
                f"{href} has no download link for its notebook"
        for link in page.eval_on_selector_all("a[href]",
                                              "els => els.map(e => e.getAttribute('href'))"):
            url = urljoin(base + href, link)
            if urlparse(url).netloc == urlparse(base).netloc:
                internal.add(url.split("#")[0])
    for url in sorted(internal):
        assert reader.page.request.get(url).status == 200, f"broken internal link {url}"
    assert not reader.outside, f"requests that left the machine: {reader.outside}"
    assert not reader.errors, f"console errors: {reader.errors}"
    reader.close()


def test_search_finds_the_visibility_timeout(browser, book):
    base, _ = book
    reader = Reader(browser, 1280)
    page = reader.open(base + "search.html?q=visibility+timeout")
    page.wait_for_selector("#search-results ul.search li", timeout=30_000)
    hits = page.eval_on_selector_all("#search-results ul.search li a",
                                     "els => els.map(e => e.getAttribute('href'))")
    assert any(h.startswith("02_visibility_and_redelivery.html") for h in hits), hits
    assert not reader.outside and not reader.errors, (reader.outside, reader.errors)
    reader.close()
