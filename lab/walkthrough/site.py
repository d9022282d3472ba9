"""The readable walkthrough: executed notebooks -> a static, blog-style HTML site.

Each part becomes one page (nbconvert's "basic" template inside our own layout, so the
site loads nothing from the network), its charts are extracted to image files next to it,
and every page links to the index and to the previous and next parts.
"""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from pygments.formatters import HtmlFormatter

from lab.walkthrough.notebooks import list_notebooks

SITE_TITLE = "serverless-lab: HTTP API → SQS → Lambda, learned and measured"

CSS = """
body { font-family: Georgia, 'DejaVu Serif', serif; max-width: 52rem; margin: 2rem auto;
       padding: 0 1rem; line-height: 1.6; color: #1d1d1f; background: #fff; }
h1, h2, h3 { font-family: 'DejaVu Sans', Helvetica, Arial, sans-serif; line-height: 1.25; }
nav.parts { font-family: 'DejaVu Sans', sans-serif; font-size: .9rem; display: flex;
            justify-content: space-between; gap: 1rem; border-bottom: 1px solid #ddd;
            padding-bottom: .5rem; margin-bottom: 1.5rem; }
nav.parts.bottom { border-top: 1px solid #ddd; border-bottom: none; padding-top: .5rem;
                   margin-top: 2rem; }
a { color: #0b5cad; }
pre, code { font-family: 'DejaVu Sans Mono', monospace; font-size: .85rem; }
.jp-InputArea, .input_area, div.highlight { background: #f6f8fa; border-radius: 4px;
            padding: .2rem .6rem; overflow-x: auto; }
.jp-OutputArea pre, .output_area pre { background: #fff; border-left: 3px solid #ccc;
            padding: .2rem .6rem; overflow-x: auto; max-height: 30rem; }
img { max-width: 100%; height: auto; }
table { border-collapse: collapse; font-size: .85rem; }
th, td { border: 1px solid #ddd; padding: .2rem .5rem; }
details { background: #fafafa; border: 1px solid #eee; padding: .3rem .8rem; }
.jp-InputPrompt, .jp-OutputPrompt, .prompt { display: none; }
ol.series li { margin-bottom: .8rem; }
.source-note { color: #666; font-size: .85rem; }
"""


def _title(nb: nbformat.NotebookNode, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^#\s+(.+)$", cell.source, flags=re.M)
            if match:
                return match.group(1).strip()
    return fallback


def _summary(nb: nbformat.NotebookNode, bullets: int = 3) -> str:
    """The first bullets of the Overview section, rendered from markdown to HTML."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

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
            if items:
                md = "\n".join(f"- {item}" for item in items[:bullets])
                return markdown2html_mistune(md)
    return ""


def _page(title: str, body: str, nav: str) -> str:
    bottom = nav.replace('class="parts"', 'class="parts bottom"')
    head = ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)}</title>"
            '<link rel="icon" href="data:,">'
            '<link rel="stylesheet" href="style.css"></head>')
    return f"{head}<body>{nav}<main>{body}</main>{bottom}</body></html>\n"


def _nav(prev: tuple[str, str] | None, nxt: tuple[str, str] | None) -> str:
    left = f'<a rel="prev" href="{prev[0]}">← {html.escape(prev[1])}</a>' if prev else "<span></span>"
    right = f'<a rel="next" href="{nxt[0]}">{html.escape(nxt[1])} →</a>' if nxt else "<span></span>"
    return f'<nav class="parts">{left}<a href="index.html">All parts</a>{right}</nav>'


def build_site(executed: str | Path = "build/notebooks", out: str | Path = "build/site") -> Path:
    """Write the walkthrough for every executed notebook in `executed`; return index path."""
    executed, out = Path(executed), Path(out)
    paths = list_notebooks(executed)
    if not paths:
        raise FileNotFoundError(f"no executed notebooks in {executed}/ (run `lab build` first)")
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    exporter = HTMLExporter(template_name="basic", exclude_input_prompt=True,
                            exclude_output_prompt=True)
    exporter.register_preprocessor("nbconvert.preprocessors.ExtractOutputPreprocessor",
                                   enabled=True)
    notebooks = [nbformat.read(p, as_version=4) for p in paths]
    pages = [(f"{p.stem}.html", _title(nb, p.stem)) for p, nb in zip(paths, notebooks, strict=True)]
    for i, (path, nb) in enumerate(zip(paths, notebooks, strict=True)):
        files_dir = f"{path.stem}_files"
        body, resources = exporter.from_notebook_node(
            nb, resources={"output_files_dir": files_dir, "unique_key": path.stem})
        # links between notebooks point at their pages in the site
        body = re.sub(r'href="(\d\d_\w+)\.ipynb(#[^"]*)?"', r'href="\1.html\2"', body)
        for name, data in resources.get("outputs", {}).items():
            target = out / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        nav = _nav(pages[i - 1] if i > 0 else None, pages[i + 1] if i + 1 < len(pages) else None)
        (out / pages[i][0]).write_text(_page(pages[i][1], body, nav), encoding="utf-8")
    items = "\n".join(
        f'<li><a href="{href}">{html.escape(title)}</a><div class="source-note">'
        f"{_summary(nb)}</div></li>"
        for (href, title), nb in zip(pages, notebooks, strict=True))
    index = (f"<h1>{html.escape(SITE_TITLE)}</h1>"
             "<p>A hands-on series, executed offline by <code>make run</code>. Every chart says "
             "where its numbers come from: <em>offline</em> (this machine, through "
             "<code>lab serve</code>), <em>AWS</em> (a real account) or <em>reference</em> "
             "(published figures).</p>"
             f'<ol class="series">{items}</ol>')
    (out / "index.html").write_text(_page(SITE_TITLE, index, ""), encoding="utf-8")
    (out / "style.css").write_text(CSS + HtmlFormatter().get_style_defs(".highlight"),
                                   encoding="utf-8")
    return out / "index.html"
