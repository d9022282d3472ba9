"""Diagrams drawn as code (matplotlib), shown as SVG in the notebooks and the book.

Each function returns a `Diagram`: it displays itself as SVG in a notebook (the SVG carries
its alt text as `<title>` and as the document title, which the book uses for `alt`), and
`save(path)` writes an .svg file. Boxes are coloured like AWS's architecture icons
(application integration pink, compute orange, database purple), but they are drawings of
our own: where a picture is a sketch of AWS internals, its caption says so and cites the
public source.
"""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

INTEGRATION = "#E7157B"  # API Gateway, SQS
COMPUTE = "#ED7100"  # Lambda
DATABASE = "#C925D1"  # DynamoDB
NEUTRAL = "#545B64"  # clients, hosts
FAIL = "#D13212"
OK = "#1D8102"
INK = "#16191F"
NOTE = "#545B64"


class Diagram:
    """A drawn figure that renders as SVG (`_repr_svg_`) and knows its alt text."""

    def __init__(self, fig: Figure, alt: str):
        self.figure = fig
        self.alt = alt
        self._svg: str | None = None

    def svg(self) -> str:
        if self._svg is None:
            buf = io.StringIO()
            self.figure.savefig(buf, format="svg", bbox_inches="tight", pad_inches=0.05,
                                metadata={"Title": self.alt, "Date": None})
            text = buf.getvalue()
            # an accessible name for inline SVG (the first child of the root element)
            text = re.sub(r"(<svg\b[^>]*>)", lambda m: f"{m.group(1)}\n <title>"
                          f"{html.escape(self.alt)}</title>", text, count=1)
            self._svg = text
        return self._svg

    def _repr_svg_(self) -> str:
        return self.svg()

    def __repr__(self) -> str:
        return f"<Diagram: {self.alt}>"

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.svg(), encoding="utf-8")
        return path


# -- drawing helpers ----------------------------------------------------------------------
def _canvas(width: float, height: float, scale: float = 0.62):
    """A figure whose data units are the drawing's units (no axes shown)."""
    fig = Figure(figsize=(width * scale, height * scale))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig, ax


def _tint(color: str, amount: float = 0.88) -> tuple[float, float, float]:
    r, g, b = (int(color[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return (r + (1 - r) * amount, g + (1 - g) * amount, b + (1 - b) * amount)


def _box(ax, x, y, w, h, title, sub=None, color=NEUTRAL, dashed=False, fill=True,
         size=9.5):
    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0,rounding_size=0.18",
                                facecolor=_tint(color) if fill else "none", edgecolor=color,
                                linewidth=1.6, linestyle="--" if dashed else "-"))
    cy = y + h / 2
    if sub:
        ax.text(x + w / 2, cy + 0.2, title, ha="center", va="center", fontsize=size,
                fontweight="bold", color=INK)
        ax.text(x + w / 2, cy - 0.3, sub, ha="center", va="center", fontsize=size - 2.5,
                color=NOTE, linespacing=1.15)
    else:
        ax.text(x + w / 2, cy, title, ha="center", va="center", fontsize=size,
                fontweight="bold", color=INK)


def _arrow(ax, start, end, label=None, color=INK, offset=(0, 0.28), style="-|>", size=7.5,
           ls="-", rad=0.0):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle=style, mutation_scale=12,
                                 color=color, linewidth=1.3, linestyle=ls,
                                 connectionstyle=f"arc3,rad={rad}", shrinkA=2, shrinkB=2))
    if label:
        mx, my = (start[0] + end[0]) / 2 + offset[0], (start[1] + end[1]) / 2 + offset[1]
        ax.text(mx, my, label, ha="center", va="center", fontsize=size, color=INK,
                linespacing=1.1)


def _caption(ax, x, y, text, size=7.5):
    ax.text(x, y, text, ha="left", va="bottom", fontsize=size, color=NOTE, style="italic")


# -- the pattern ---------------------------------------------------------------------------
def architecture(store: str | None = None) -> Diagram:
    """HTTP API -> SQS queue -> event source mapping -> Lambda, with the dead-letter queue
    (and, with `store=`, the table the function writes to)."""
    fig, ax = _canvas(17.2, 6.6)
    y, h = 3.7, 1.5
    _box(ax, 0.1, y, 2.1, h, "Client", "app, curl,\nboto3")
    _box(ax, 3.3, y, 2.6, h, "HTTP API", "API Gateway v2", INTEGRATION)
    _box(ax, 7.0, y, 2.6, h, "SQS queue", "standard or FIFO", INTEGRATION)
    # the mapping is part of the Lambda service: its pollers read the queue for you
    ax.add_patch(FancyBboxPatch((10.45, 2.95), 6.65, 3.5, boxstyle="round,pad=0,rounding_size=0.25",
                                facecolor="none", edgecolor=COMPUTE, linewidth=1.0,
                                linestyle=(0, (4, 3))))
    ax.text(10.6, 6.2, "AWS Lambda (the service)", fontsize=7.5, color=COMPUTE, va="center",
            fontweight="bold")
    _box(ax, 10.7, y, 2.7, h, "Event source\nmapping", None, COMPUTE, dashed=True, size=8.5)
    ax.text(12.05, y - 0.35, "Lambda's pollers", ha="center", fontsize=6.5, color=NOTE)
    _box(ax, 14.3, y, 2.6, h, "Lambda", "your function", COMPUTE)
    _arrow(ax, (2.2, y + h / 2), (3.3, y + h / 2), "HTTP\nPOST", offset=(0, 0.55))
    _arrow(ax, (5.9, y + h / 2), (7.0, y + h / 2), "Send-\nMessage", offset=(0, 0.55))
    _arrow(ax, (9.6, y + h / 2), (10.7, y + h / 2), "long\npoll", offset=(0, 0.55))
    _arrow(ax, (13.4, y + h / 2), (14.3, y + h / 2), "batch", offset=(0, 0.35))
    _box(ax, 7.0, 0.5, 2.6, 1.3, "Dead-letter\nqueue", None, FAIL, size=8.5)
    _arrow(ax, (8.3, y), (8.3, 1.8), "after maxReceiveCount\nfailed receives",
           offset=(-1.75, 0.1), color=FAIL)
    if store:
        _box(ax, 14.3, 0.5, 2.6, 1.3, store, None, DATABASE, size=8.5)
        _arrow(ax, (15.6, y), (15.6, 1.8), "write\nresults", offset=(-0.75, 0.4))
    ax.text(12.05, 2.45, "success: batch deleted\nfailure: messages return\nafter the visibility timeout",
            ha="center", va="top", fontsize=6.5, color=NOTE, linespacing=1.15)
    parts = "client → HTTP API → SQS queue → event source mapping → Lambda function"
    alt = (f"Architecture: {parts}" + (f" → {store}" if store else "") +
           "; messages that fail maxReceiveCount times move to a dead-letter queue.")
    return Diagram(fig, alt)


def visibility_timeout(timeout_s: float = 5.0) -> Diagram:
    """One message's life: worker A receives it and crashes; the message stays hidden for
    the visibility timeout, becomes visible again, and worker B receives and deletes it."""
    fig, ax = _canvas(17.0, 7.4)
    x0, sx = 2.6, 1.3  # time axis: x = x0 + sx * t
    vt = timeout_s

    def X(t):
        return x0 + sx * t

    lanes = {"message": 5.0, "worker A": 3.3, "worker B": 1.9}
    for name, ly in lanes.items():
        ax.text(0.1, ly + 0.3, name, fontsize=9, fontweight="bold", color=INK, va="center")
    # the message's state
    states = [(0, 1, "visible", OK), (1, 1 + vt, "in flight: hidden from every receive", COMPUTE),
              (1 + vt, 7.2, "visible\nagain", OK), (7.2, 9.0, "in flight", COMPUTE)]
    for t1, t2, label, color in states:
        ax.add_patch(FancyBboxPatch((X(t1), lanes["message"]), sx * (t2 - t1), 0.6,
                                    boxstyle="square,pad=0", facecolor=_tint(color, 0.7),
                                    edgecolor=color, linewidth=1.0))
        ax.text(X((t1 + t2) / 2), lanes["message"] + 0.3, label, ha="center", va="center",
                fontsize=7, color=INK, linespacing=1.0)
    ax.plot([X(9.0)], [lanes["message"] + 0.3], marker="s", color=OK, markersize=7)
    ax.text(X(9.0) + 0.25, lanes["message"] + 0.3, "deleted", fontsize=7.5, va="center",
            color=OK)
    ax.plot([X(0)], [lanes["message"] + 0.3], marker="o", color=INK, markersize=5)
    ax.text(X(0), lanes["message"] + 0.95, "SendMessage", ha="center", fontsize=7, color=INK)
    # the timeout, as a bracket above the hidden span
    top = lanes["message"] + 1.0
    ax.annotate("", xy=(X(1), top), xytext=(X(1 + vt), top),
                arrowprops={"arrowstyle": "|-|", "color": COMPUTE, "lw": 1.2})
    ax.text(X(1 + vt / 2), top + 0.35, "visibility timeout: starts at the receive "
            "(default 30 s, 0 s to 12 h)", ha="center", fontsize=7.5, color=COMPUTE)
    # worker A: receives, works, crashes before DeleteMessage
    wa = lanes["worker A"]
    ax.add_patch(FancyBboxPatch((X(1), wa), sx * 1.8, 0.6, boxstyle="square,pad=0",
                                facecolor=_tint(NEUTRAL, 0.8), edgecolor=NEUTRAL, linewidth=1))
    ax.text(X(1.9), wa + 0.3, "processing", ha="center", va="center", fontsize=7)
    ax.plot([X(2.8)], [wa + 0.3], marker="X", color=FAIL, markersize=10)
    ax.text(X(2.8) + 0.3, wa + 0.3, "crashes: no DeleteMessage", va="center", fontsize=7.5,
            color=FAIL)
    _arrow(ax, (X(1), lanes["message"]), (X(1), wa + 0.6), None, color=NEUTRAL)
    ax.text(X(1) - 0.1, wa + 1.05, "ReceiveMessage\nReceiveCount 1", ha="right", fontsize=7,
            color=INK, linespacing=1.0)
    # worker B: an empty receive, then a long poll answered when the message reappears
    wb = lanes["worker B"]
    ax.plot([X(3.4)], [wb + 0.3], marker="o", color=NEUTRAL, markersize=5)
    ax.text(X(3.4), wb + 0.75, "receive: empty", ha="center", fontsize=7, color=NOTE)
    ax.add_patch(FancyBboxPatch((X(3.6), wb + 0.15), sx * (1 + vt - 3.6), 0.3,
                                boxstyle="square,pad=0", facecolor="none", edgecolor=NEUTRAL,
                                linewidth=1, linestyle="--"))
    ax.text(X((3.6 + 1 + vt) / 2), wb - 0.3, "long poll (WaitTimeSeconds) waiting",
            ha="center", fontsize=7, color=NOTE)
    ax.add_patch(FancyBboxPatch((X(1 + vt + 1.2), wb), sx * (9.0 - (1 + vt + 1.2)), 0.6,
                                boxstyle="square,pad=0", facecolor=_tint(NEUTRAL, 0.8),
                                edgecolor=NEUTRAL, linewidth=1))
    ax.text(X((2.2 + vt + 9.0) / 2), wb + 0.3, "processing", ha="center", va="center",
            fontsize=7)
    _arrow(ax, (X(7.2), lanes["message"]), (X(7.2), wb + 0.6), None, color=NEUTRAL)
    ax.text(X(7.2) - 0.1, wb + 1.0, "ReceiveMessage\nReceiveCount 2", ha="right", fontsize=7,
            color=INK, linespacing=1.0)
    _arrow(ax, (X(9.0), wb + 0.6), (X(9.0), lanes["message"]), None, color=OK)
    ax.text(X(9.0) + 0.15, wb + 1.0, "DeleteMessage", fontsize=7, color=OK)
    # time axis
    ax.annotate("", xy=(X(10.4), 0.75), xytext=(X(0), 0.75),
                arrowprops={"arrowstyle": "-|>", "color": NOTE, "lw": 1})
    ax.text(X(10.4), 0.35, "time", ha="right", fontsize=7.5, color=NOTE)
    _caption(ax, 0.1, -0.15, "A heartbeat (ChangeMessageVisibility) extends the hidden span "
             "of a slow job; after maxReceiveCount receives a redrive policy moves the "
             "message to the dead-letter queue. Not to scale.")
    alt = ("Timeline of one SQS message: sent and visible; received by worker A, which "
           "crashes, so the message stays hidden for the visibility timeout; then visible "
           "again, received by worker B (receive count 2) and deleted.")
    return Diagram(fig, alt)


# -- Lambda ---------------------------------------------------------------------------------
def execution_environment_lifecycle() -> Diagram:
    """INIT (extensions, runtime, function), INVOKE (one at a time), SHUTDOWN, after the
    Lambda docs' execution environment lifecycle."""
    fig, ax = _canvas(17.0, 4.6)
    y, h = 1.5, 1.3
    segments = [  # (x, width, title, sub, colour)
        (0.1, 1.9, "Extension\ninit", None, COMPUTE),
        (2.0, 1.9, "Runtime\ninit", None, COMPUTE),
        (3.9, 1.9, "Function\ninit", None, COMPUTE),
        (6.3, 1.5, "Invoke", None, INTEGRATION),
        (8.8, 1.5, "Invoke", None, INTEGRATION),
        (10.6, 1.5, "Invoke", None, INTEGRATION),
        (13.7, 1.6, "Runtime\nshutdown", None, NEUTRAL),
        (15.3, 1.6, "Extension\nshutdown", None, NEUTRAL),
    ]
    for x, w, title, sub, color in segments:
        _box(ax, x, y, w, h, title, sub, color, size=7.5)
    for x1, x2, text in ((7.8, 8.8, "idle"), (12.1, 13.7, "idle (warm)")):
        ax.plot([x1 + 0.05, x2 - 0.05], [y + h / 2] * 2, color=NOTE, lw=1, ls=":")
        ax.text((x1 + x2) / 2, y + h / 2 + 0.25, text, ha="center", fontsize=6.5, color=NOTE)
    for x1, x2, name, note, color in (
            (0.1, 5.8, "INIT", "module-scope code runs once; limit 10 s; REPORT: Init Duration",
             COMPUTE),
            (6.3, 12.1, "INVOKE", "the handler, one event at a time;\neach limited by the "
             "function's Timeout", INTEGRATION),
            (13.7, 16.9, "SHUTDOWN", "when Lambda reclaims\nan idle environment; ≤ 2 s",
             NEUTRAL)):
        ax.annotate("", xy=(x1, y + h + 0.35), xytext=(x2, y + h + 0.35),
                    arrowprops={"arrowstyle": "|-|", "color": color, "lw": 1.2})
        ax.text((x1 + x2) / 2, y + h + 0.7, name, ha="center", fontsize=10, fontweight="bold",
                color=color)
        ax.text((x1 + x2) / 2, y - 0.25, note, ha="center", va="top", fontsize=6.8,
                color=NOTE, linespacing=1.1)
    _caption(ax, 0.1, 0.05, "A cold start waits for INIT; a warm start goes straight to "
             "INVOKE. After the AWS Lambda docs (execution environment lifecycle); not to scale.")
    alt = ("Execution environment lifecycle: INIT (extension, runtime and function init, "
           "limit 10 s), then INVOKE phases one at a time with idle gaps, then SHUTDOWN "
           "(runtime and extensions, at most 2 s).")
    return Diagram(fig, alt)


def firecracker_host(microvms: int = 3) -> Diagram:
    """Where Firecracker sits under Lambda: a worker host, KVM, one jailed Firecracker
    process per microVM, a guest kernel, and the execution environment inside. A sketch from
    AWS's public material (Agache et al., NSDI 2020; the Firecracker and Lambda docs)."""
    width = 2.2 + 3.35 * microvms + 3.4
    fig, ax = _canvas(width, 9.0)
    left, right = 0.2, width - 3.3
    span = right - left
    _box(ax, left, 0.3, span, 0.9, "Lambda worker host: a bare-metal EC2 server", None,
         NEUTRAL, size=8.5)
    _box(ax, left, 1.4, span, 0.9, "Host Linux kernel with KVM (hardware virtualization)",
         None, NEUTRAL, size=8.5)
    colw = 3.1
    for i in range(microvms):
        x = left + 0.15 + i * (colw + 0.25)
        ax.add_patch(FancyBboxPatch((x, 2.55), colw, 5.3,
                                    boxstyle="round,pad=0,rounding_size=0.2",
                                    facecolor="none", edgecolor=COMPUTE, linewidth=1.0,
                                    linestyle=(0, (4, 3))))
        ax.text(x + colw / 2, 7.55, "jailer: chroot, namespaces,\ncgroups, seccomp",
                ha="center", va="center", fontsize=6.3, color=COMPUTE, linespacing=1.05)
        _box(ax, x + 0.15, 2.7, colw - 0.3, 1.0, "Firecracker", "VMM process", COMPUTE,
             size=8)
        _box(ax, x + 0.15, 3.9, colw - 0.3, 0.9, "Guest Linux kernel", None, NEUTRAL,
             size=7.5)
        _box(ax, x + 0.15, 5.0, colw - 0.3, 1.9, "Execution\nenvironment", None,
             INTEGRATION, size=7.5)
        ax.text(x + colw / 2, 5.3, f"runtime + function {chr(65 + i)}", ha="center",
                fontsize=6.3, color=NOTE)
    ax.text(right - 0.1, 8.2, "… up to thousands of microVMs per host", ha="right",
            fontsize=7.5, color=NOTE, style="italic")
    ax.text(left, 8.2, "microVM", fontsize=8.5, fontweight="bold", color=COMPUTE)
    notes = ("Firecracker's\npublished limits:\n\n≤ 125 ms from VMM\nstart to guest init\n\n"
             "≤ 5 MiB VMM memory\nper microVM\n\n≤ 150 microVMs/s\nper host\n\n"
             "minimal devices:\nvirtio net + block,\nserial, reset")
    ax.text(right + 0.3, 7.8, notes, va="top", fontsize=6.8, color=INK, linespacing=1.15)
    _caption(ax, left, -0.35, "A sketch from AWS's public material (Agache et al., "
             "Firecracker, NSDI 2020; Firecracker SPECIFICATION.md; the Lambda docs), "
             "not AWS's exact layout.", size=7)
    alt = ("Sketch of where Firecracker sits under Lambda: a bare-metal worker host runs Linux "
           "with KVM; each microVM is a jailed Firecracker process with its own guest kernel "
           "holding one execution environment (runtime and function code).")
    return Diagram(fig, alt)
