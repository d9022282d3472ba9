"""The series' parts: one definition for the notebooks' "Part N" header blocks (a test
checks each notebook's header against it), the book's sidebar and the welcome map."""

from __future__ import annotations

import json
import re
from pathlib import Path

# (caption, notebook numbers) in reading order.
PARTS: list[tuple[str, tuple[int, ...]]] = [
    ("Part 0 · Welcome", (0,)),
    ("Part 1 · The queue", (1, 2)),
    ("Part 2 · The function", (3, 4, 5, 12)),
    ("Part 3 · The pipeline", (6, 7, 11)),
    ("Part 4 · Reproduce on AWS", (8,)),
    ("Part 5 · Deploy and protect", (9, 10)),
]
SERIES_LINE = "> **serverless-lab** · a hands-on series on HTTP API → SQS → Lambda"


def part_of(number: int) -> str:
    for caption, numbers in PARTS:
        if number in numbers:
            return caption
    raise KeyError(f"notebook {number:02d} is in no part of lab.walkthrough.series.PARTS")


def _numbers(numbers: tuple[int, ...]) -> str:
    """(3, 4, 5, 12) -> "03–05, 12": consecutive runs as ranges."""
    runs: list[list[int]] = []
    for n in sorted(numbers):
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return ", ".join(f"{r[0]:02d}" if len(r) == 1 else f"{r[0]:02d}–{r[-1]:02d}" for r in runs)


def short_title(path: Path) -> str:
    """"NN · Title" from the notebook's H1 (before any colon)."""
    cells = json.loads(Path(path).read_text())["cells"]
    h1 = next(line for line in "".join(cells[0]["source"]).splitlines() if line.startswith("# "))
    return h1[2:].split(":", 1)[0].strip()


def header_lines(path: Path) -> list[str]:
    """The header block lines after the H1: the series, the parts (current in bold), and the
    notebooks of the current part (links, current in bold)."""
    path = Path(path)
    number = int(path.name[:2])
    current = part_of(number)
    parts = []
    for caption, numbers in PARTS:
        label = caption if numbers == (0,) else f"{caption} ({_numbers(numbers)})"
        parts.append(f"**{label}** (you are here)" if caption == current else label)
    lines = [SERIES_LINE, ">", "> " + " · ".join(parts)]
    siblings = [n for n in dict(PARTS)[current] if n != 0]
    if siblings:
        folder = path.parent
        links = []
        for n in siblings:
            [sibling] = sorted(folder.glob(f"{n:02d}_*.ipynb"))
            title = short_title(sibling)
            links.append(f"**{title}** (this notebook)" if n == number
                         else f"[{title}]({sibling.name})")
        lines += [">", "> In this part: " + " · ".join(links)]
    return lines


def rewrite_header(path: Path) -> bool:
    """Replace the header block of the notebook's first cell with `header_lines` (the lines
    from the series line to the last `>` line of the block); True if it changed."""
    path = Path(path)
    nb = json.loads(path.read_text())
    text = "".join(nb["cells"][0]["source"])
    block = re.compile(r"^> \*\*serverless-lab\*\*.*?(?=\n(?!>)|\Z)", re.S | re.M)
    new = block.sub(lambda _: "\n".join(header_lines(path)), text, count=1)
    if new == text:
        return False
    nb["cells"][0]["source"] = new.splitlines(keepends=True)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    return True


if __name__ == "__main__":  # python -m lab.walkthrough.series notebooks/*.ipynb
    import sys

    for arg in sys.argv[1:]:
        if rewrite_header(Path(arg)):
            print(f"rewrote the header of {arg}")
