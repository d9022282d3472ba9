"""The walkthrough as a book: the executed notebooks -> a static HTML book (Sphinx with
sphinx-book-theme; myst-nb reads the notebooks and renders their saved outputs, it never
runs them: `nb_execution_mode = "off"`).

The book has a sidebar of the series' parts, in-page contents, full-text search (Sphinx's
own, in the browser), previous/next links, a download link for each notebook and a page on
running the series yourself. It loads nothing from the network: every script, style sheet
and font ships in the packages (pip installs them); the ipywidgets CDN scripts myst-nb
would add are turned off, and `check_offline` fails the build if any page or style sheet
still points a script, style sheet, font or image at http(s)://.
"""

from __future__ import annotations

import html
import io
import re
import shutil
import sys
import time
from pathlib import Path

import nbformat

from lab.results import diagrams
from lab.walkthrough.notebooks import list_notebooks
from lab.walkthrough.series import PARTS, part_of

TITLE = "serverless-lab: HTTP API → SQS → Lambda, learned and measured"

INDEX = """# {title}

A hands-on series that reads like a blog and runs cell by cell: an **HTTP API** puts
requests on an **SQS queue**, and a **Lambda function** processes them. Every part was
executed offline by `make run` on this machine (through `lab serve`, a local AWS
endpoint), and every chart says where its numbers come from: *offline* (this machine),
*AWS* (a real account) or *reference* (published figures).

![{alt}](architecture.svg)

{parts}

New here? Start with [the welcome](00_welcome.ipynb), or see
[how to run the series yourself](run-it-yourself.md).

{toctrees}
"""

RUN_IT_YOURSELF = """# Run it yourself

Every page of this book is a Jupyter notebook from `notebooks/`, executed offline. On a
fresh machine with Python 3.11+ and nothing else, from a checkout of the repository:

```bash
make run    # the main job: set up, execute every notebook offline, build this book
make test   # set up, then lint (ruff) and test (pytest: unit, conformance, notebooks)
```

`make` creates `.venv` and installs everything into it; both commands are idempotent (the
second run skips the install). `make run` writes the executed notebooks to
`build/notebooks/` and this book to `build/book/html/` (open `index.html`).

## Open the notebooks in JupyterLab

```bash
make lab    # JupyterLab on notebooks/ with the "Python (serverless-lab)" kernel
```

Each notebook calls `lab.connect()`, which starts a private offline endpoint for its kernel
(no Docker, no AWS account) and ends with the kernel. Run the cells top to bottom; each
notebook cleans up what it created. Every part's page also has a download button (top
right) for its executed `.ipynb`.

## On your own AWS test account

The same notebooks reproduce the measurements on AWS with `LAB_TARGET=aws`: see
[Reproduce on AWS](08_reproduce_on_aws.ipynb). Nothing is created without the explicit
opt-in `LAB_AWS_CONFIRM=1`, and everything is tagged and torn down by the run that made it.

```bash
.venv/bin/lab aws plan                      # identity, region, what it would create, cost
LAB_TARGET=aws LAB_AWS_CONFIRM=1 make lab
```
"""

CSS = """
/* wide outputs (tables, logs) scroll inside their cell, never the page */
.cell_output, .cell_output .output, div.highlight, .bd-article table { max-width: 100%; }
.cell_output .output.text_html, .cell_output .output.text_plain,
.cell_output .output.stream, .cell_output .output.stderr { overflow-x: auto; }
.bd-article p, .bd-article li { overflow-wrap: anywhere; }
/* long inline code (ARNs, URLs, calls) wraps on a phone */
.bd-article code.literal, .bd-article code.literal span.pre { white-space: normal;
  overflow-wrap: anywhere; }
.cell_output img { max-width: 100%; height: auto; }
p.nb-download { font-size: .9em; }
"""

CONFIG = {
    "project": "serverless-lab",
    "author": "serverless-lab contributors",
    "copyright": "serverless-lab contributors",
    "extensions": ["myst_nb"],
    "html_theme": "sphinx_book_theme",
    "html_title": "serverless-lab",
    "html_static_path": ["_static"],
    "html_css_files": ["book.css"],
    "html_sourcelink_suffix": "",
    "html_last_updated_fmt": None,
    # the theme's light/dark switch starts from the reader's system setting
    "html_context": {"default_mode": "auto"},
    "html_theme_options": {
        "home_page_in_toc": True,
        "show_toc_level": 2,
        "use_download_button": True,
        "use_fullscreen_button": False,
        "use_repository_button": False,
        "navigation_with_keys": False,
        "show_navbar_depth": 1,
    },
    # render what `make run` executed; never run a notebook here
    "nb_execution_mode": "off",
    # myst-nb would add require.js and the widget manager from CDNs: nothing to show here
    "nb_ipywidgets_js": {},
    "nb_merge_streams": True,
    "myst_heading_anchors": 3,
    "exclude_patterns": [".doctrees", "**.ipynb_checkpoints"],
    "suppress_warnings": ["mystnb.unknown_mime_type", "myst.xref_missing"],
}


# -- sources -------------------------------------------------------------------------------
def _title(nb: nbformat.NotebookNode, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^#\s+(.+)$", cell.source, flags=re.M)
            if match:
                return match.group(1).strip()
    return fallback


def _summary(nb: nbformat.NotebookNode, bullets: int = 3) -> list[str]:
    """The first bullets of the notebook's Overview section (markdown)."""
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.lstrip().startswith("## Overview"):
            items: list[str] = []
            for line in cell.source.splitlines():
                if line.startswith("- "):
                    items.append(line[2:].strip())
                elif items and line.startswith("  ") and line.strip():
                    items[-1] += " " + line.strip()  # a bullet's continuation line
                elif items and not line.strip():
                    break
            return items[:bullets]
    return []


def _part(path: Path) -> str:
    return part_of(int(path.name[:2]))


def stage(executed: Path, src: Path) -> list[Path]:
    """The book's sources in `src`: the executed notebooks, the index, the run-it page."""
    paths = list_notebooks(executed)
    if not paths:
        raise FileNotFoundError(f"no executed notebooks in {executed}/ (run `lab build` first)")
    if src.exists():
        shutil.rmtree(src)
    (src / "_static").mkdir(parents=True)
    parts: dict[str, list[tuple[Path, nbformat.NotebookNode]]] = {c: [] for c, _ in PARTS}
    for path in paths:
        shutil.copy2(path, src / path.name)
        parts[_part(path)].append((path, nbformat.read(path, as_version=4)))
    arch = diagrams.architecture()
    arch.save(src / "architecture.svg")
    listing, toctrees = [], []
    for caption, items in parts.items():
        if not items and caption != PARTS[0][0]:
            continue
        listing.append(f"## {caption}\n")
        for path, nb in items:
            listing.append(f"- [{_title(nb, path.stem)}]({path.name})")
            listing += [f"  - {line}" for line in _summary(nb)]
        listing.append("")
        entries = [p.stem for p, _ in items]
        if caption == PARTS[0][0]:
            entries.append("run-it-yourself")
        toctrees.append(f"```{{toctree}}\n:caption: {caption}\n:hidden:\n\n"
                        + "\n".join(entries) + "\n```\n")
    (src / "index.md").write_text(INDEX.format(
        title=TITLE, alt=arch.alt, parts="\n".join(listing), toctrees="\n".join(toctrees)),
        encoding="utf-8")
    (src / "run-it-yourself.md").write_text(RUN_IT_YOURSELF, encoding="utf-8")
    (src / "_static" / "book.css").write_text(CSS, encoding="utf-8")
    return paths


# -- build hooks ---------------------------------------------------------------------------
def _svg_alt(path: Path) -> str | None:
    """Alt text for an SVG output: a drawn diagram's title, else a chart's own text (the
    title, axis labels and legend matplotlib writes as comments)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    match = re.search(r"<title>(.*?)</title>", text, flags=re.S)
    if match:
        return html.unescape(match.group(1).strip())
    words: list[str] = []
    for comment in re.findall(r"<!--\s*(.*?)\s*-->", text, flags=re.S):
        if re.search(r"[A-Za-z]{3}", comment) and "$" not in comment and comment not in words:
            words.append(html.unescape(comment))
    # the longest texts first (a title states the finding), the "Data:" caption last
    words.sort(key=lambda w: (w.startswith("Data:"), -len(w)))
    return ("Chart: " + "; ".join(words))[:400] if words else None


def _alt_text(app, doctree, docname):
    """Every image gets alt text (myst-nb leaves chart outputs without one)."""
    from docutils import nodes

    for node in doctree.findall(nodes.image):
        if node.get("alt"):
            continue
        uri = node.get("uri", "")
        candidate = Path(uri) if Path(uri).is_absolute() else Path(app.srcdir) / uri
        if not candidate.exists():
            candidate = Path(app.srcdir) / uri.lstrip("/")
        alt = _svg_alt(candidate) if candidate.suffix == ".svg" else None
        node["alt"] = alt or f"Figure from {docname}"


def _download_link(app, doctree):
    """Under each notebook's title: a link to download it (the executed .ipynb)."""
    from docutils import nodes

    docname = app.env.docname
    if not str(app.env.doc2path(docname)).endswith(".ipynb"):
        return
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is None:
        return
    link = (f'<p class="nb-download">Download this part: <a href="_sources/{docname}.ipynb" '
            f'download>{docname}.ipynb</a> (executed) · '
            '<a href="run-it-yourself.html">run it yourself</a></p>')
    index = next((i + 1 for i, child in enumerate(section.children)
                  if isinstance(child, nodes.title)), 0)
    section.insert(index, nodes.raw("", link, format="html"))


NETWORK_URL = re.compile(
    r"""<(?:script|img|iframe|source|video|audio)\b[^>]*\bsrc=["']?(?:https?:)?//"""
    r"""|<link\b(?=[^>]*\brel=["']?(?:stylesheet|preload|modulepreload|icon|prefetch))"""
    r"""[^>]*\bhref=["']?(?:https?:)?//""", re.I)
CSS_URL = re.compile(r"""(?:@import\s+|url\(\s*)["']?(?:https?:)?//""", re.I)


def check_offline(html_dir: Path) -> None:
    """Fail if any page or style sheet would make the browser fetch from the network."""
    bad = []
    for page in html_dir.rglob("*.html"):
        for match in NETWORK_URL.finditer(page.read_text(encoding="utf-8", errors="replace")):
            bad.append(f"{page.relative_to(html_dir)}: {match.group(0)[:120]}")
    for sheet in html_dir.rglob("*.css"):
        for match in CSS_URL.finditer(sheet.read_text(encoding="utf-8", errors="replace")):
            bad.append(f"{sheet.relative_to(html_dir)}: {match.group(0)[:120]}")
    if bad:
        raise RuntimeError("the book would load from the network:\n" + "\n".join(bad))


def build_book(executed: str | Path = "build/notebooks", out: str | Path = "build/book",
               quiet: bool = True) -> Path:
    """Stage the executed notebooks in `out`/src and build `out`/html; return index.html."""
    from sphinx.application import Sphinx

    executed, out = Path(executed), Path(out)
    src, html_dir = out / "src", out / "html"
    stage(executed, src)
    if html_dir.exists():
        shutil.rmtree(html_dir)
    warnings = io.StringIO()
    app = Sphinx(str(src), None, str(html_dir), str(out / ".doctrees"), "html",
                 confoverrides=dict(CONFIG), status=io.StringIO() if quiet else None,
                 warning=warnings, freshenv=True)
    app.connect("doctree-read", _download_link)
    app.connect("doctree-resolved", _alt_text)
    app.build()
    for line in warnings.getvalue().splitlines():
        print(f"lab build: book: {line}")
    if app.statuscode:
        raise RuntimeError(f"the book's build failed (status {app.statuscode})")
    check_offline(html_dir)
    return html_dir / "index.html"


def main(argv: list[str] | None = None) -> int:
    """`python -m lab.walkthrough.book [executed] [out]`: rebuild the book alone from
    notebooks `lab build` already executed (default build/notebooks -> build/book)."""
    args = list(sys.argv[1:] if argv is None else argv)
    executed, out = (args + ["build/notebooks", "build/book"][len(args):])[:2]
    started = time.monotonic()
    index = build_book(executed, out)
    print(f"lab build: book at {index.resolve()} in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
