"""What a machine can check in a rendered chart: `problems(fig)` lists what would mislead
or cannot be read.

- every visible text lies inside the figure (titles, labels, annotations, caption, legend);
- no two texts overlap (tick labels are not compared with each other: matplotlib lays
  them out), and no annotation sits on a data point or a line of the data;
- a legend covers no data point, line or bar;
- every axis that shows data is labelled, a numeric axis with its unit in (...) or [...];
- no bars on a log axis (a bar's length from an arbitrary floor means nothing there);
- no error bar without a spread (caps drawn on a zero-length range).

`install(path)` (used when `LAB_CHART_CHECK` names a file: the notebook test sets it)
checks every figure as it is rendered, inline or saved, and appends one JSON line per
figure with problems to that file.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.container import BarContainer, ErrorbarContainer
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import Bbox

UNIT = re.compile(r"\([^()]*\)\s*$|\[[^\[\]]*\]\s*$|\([^()]*\)|\[[^\[\]]*\]")
TOLERANCE_PX = 1.0  # overlaps smaller than this (anti-aliasing, rounding) do not count
NUMBER = re.compile(r"^[\s\u2212+\-−]*[\d.,]+(e[+\-−]?\d+)?\s*%?$|^\$?10\^?\{?[\u2212\-−]?\d+\}?\$?$|"
                    r"^\$\\mathdefault\{.*\}\$$|^$")


def _visible(artist) -> bool:
    return artist.get_visible() and (not isinstance(artist, Text) or bool(artist.get_text().strip()))


def _shrink(bb: Bbox, px: float = TOLERANCE_PX) -> Bbox:
    return Bbox.from_extents(bb.x0 + px, bb.y0 + px, bb.x1 - px, bb.y1 - px)


def _overlap(a: Bbox, b: Bbox) -> bool:
    return _shrink(a).overlaps(_shrink(b))


def _name(text: Text, role: str) -> str:
    s = text.get_text().replace("\n", " ")
    return f"{role} {s[:50]!r}"


def _texts(fig: Figure, renderer) -> list[tuple[str, Text, Bbox, bool]]:
    """(description, artist, display bbox, is_tick_label) of every visible text."""
    out = []

    def add(text, role, tick=False):
        if isinstance(text, Text) and _visible(text):
            out.append((_name(text, role), text, text.get_window_extent(renderer), tick))

    if fig._suptitle is not None:  # noqa: SLF001 - matplotlib keeps it there
        add(fig._suptitle, "suptitle")  # noqa: SLF001
    for t in fig.texts:
        if t is not fig._suptitle:  # noqa: SLF001 - suptitle is one of fig.texts
            add(t, "figure text")
    for ax in _data_axes(fig, all_axes=True):
        for t in (ax.title, ax._left_title, ax._right_title):  # noqa: SLF001
            add(t, "title")
        add(ax.xaxis.label, "x label")
        add(ax.yaxis.label, "y label")
        for t in ax.texts:
            add(t, "annotation")
        for axis in (ax.xaxis, ax.yaxis):
            for tick in axis._update_ticks():  # noqa: SLF001 - the ticks actually drawn
                for t in (tick.label1, tick.label2):
                    if t.get_visible():
                        add(t, "tick label", tick=True)
        add(ax.xaxis.offsetText, "tick label", tick=True)
        add(ax.yaxis.offsetText, "tick label", tick=True)
        legend = ax.get_legend()
        if legend is not None and legend.get_visible():
            out.append(("legend", legend, legend.get_window_extent(renderer), False))
    for legend in fig.legends:
        if legend.get_visible():
            out.append(("figure legend", legend, legend.get_window_extent(renderer), False))
    return out


def _data_axes(fig: Figure, all_axes: bool = False) -> list[Axes]:
    axes = []
    for ax in fig.axes:
        if not ax.get_visible() or not ax.axison:
            continue
        if hasattr(ax, "_colorbar"):  # a colorbar's axes: labelled by the colorbar
            continue
        if all_axes or ax.lines or ax.collections or ax.patches or ax.images:
            axes.append(ax)
    return axes


def _data_points(fig: Figure, renderer) -> list[tuple[Axes, np.ndarray, str]]:
    """Display coordinates of what the data draws: line vertices (segments sampled every
    few pixels), scatter points, bar rectangles' corners and centres."""
    out = []
    for ax in _data_axes(fig):
        clip = ax.bbox
        for line in ax.lines:
            if not line.get_visible() or line.get_transform() != ax.transData:
                continue  # axhline/axvline and friends: reference lines, not data
            xy = line.get_transform().transform(np.column_stack(line.get_data()).astype(float)
                                                if len(line.get_xdata()) else np.empty((0, 2)))
            if line.get_linestyle() not in ("None", "", " ") and len(xy) > 1:
                if line.get_drawstyle().startswith("steps"):
                    path = line._get_transformed_path()  # noqa: SLF001 - the drawn steps
                    xy = path.get_transformed_path_and_affine()[1].transform(
                        path.get_transformed_path_and_affine()[0].vertices)
                xy = _densify(xy)
            out.append((ax, _inside(xy, clip), f"line {line.get_label()!r}"))
        for coll in ax.collections:
            if isinstance(coll, PathCollection) and coll.get_visible():
                offsets = coll.get_offsets()
                if len(offsets):
                    xy = coll.get_offset_transform().transform(np.asarray(offsets, float))
                    out.append((ax, _inside(xy, clip), f"points {coll.get_label()!r}"))
        for cont in ax.containers:
            if isinstance(cont, BarContainer):
                pts = []
                for patch in cont.patches:
                    if not patch.get_visible():
                        continue
                    bb = patch.get_window_extent(renderer)
                    if bb.width < 0.5 or bb.height < 0.5:
                        continue
                    xs = np.linspace(bb.x0, bb.x1, 5)
                    ys = np.linspace(bb.y0, bb.y1, 5)
                    pts += [(x, y) for x in xs for y in ys]
                if pts:
                    out.append((ax, _inside(np.array(pts), clip), f"bars {cont.get_label()!r}"))
    return out


def _densify(xy: np.ndarray, step_px: float = 3.0) -> np.ndarray:
    xy = xy[np.isfinite(xy).all(axis=1)]
    if len(xy) < 2:
        return xy
    out = [xy[:1]]
    for a, b in zip(xy[:-1], xy[1:], strict=True):
        n = int(min(np.hypot(*(b - a)) // step_px, 2000))
        if n > 1:
            t = np.linspace(0, 1, n + 1)[1:, None]
            out.append(a + (b - a) * t)
        else:
            out.append(b[None, :])
    return np.vstack(out)


def _inside(xy: np.ndarray, bb: Bbox) -> np.ndarray:
    xy = np.asarray(xy, float).reshape(-1, 2)
    xy = xy[np.isfinite(xy).all(axis=1)]
    keep = (xy[:, 0] >= bb.x0 - 1) & (xy[:, 0] <= bb.x1 + 1) & \
        (xy[:, 1] >= bb.y0 - 1) & (xy[:, 1] <= bb.y1 + 1)
    return xy[keep]


def _points_in(bb: Bbox, xy: np.ndarray) -> int:
    if not len(xy):
        return 0
    b = _shrink(bb, 2.0)
    return int(((xy[:, 0] > b.x0) & (xy[:, 0] < b.x1) & (xy[:, 1] > b.y0) &
                (xy[:, 1] < b.y1)).sum())


def _categorical(axis) -> bool:
    labels = [t.get_text() for t in axis.get_ticklabels() if t.get_text()]
    if axis.get_converter() is not None and "Category" in type(axis.get_converter()).__name__:
        return True
    return bool(labels) and any(not NUMBER.match(s.replace("\u2212", "-")) for s in labels)


def _label_problems(fig: Figure, renderer) -> list[str]:
    out = []
    for ax in _data_axes(fig):
        where = f"axes {ax.get_title()[:40]!r}" if ax.get_title() else "axes"
        for name, axis, siblings in (("x", ax.xaxis, ax.get_shared_x_axes().get_siblings(ax)),
                                     ("y", ax.yaxis, ax.get_shared_y_axes().get_siblings(ax))):
            if not axis.get_visible() or not any(t.get_visible() for t in axis.get_ticklabels()) \
                    and not axis.label.get_text():
                continue
            label = axis.label.get_text().strip()
            if not label:
                label = next((getattr(s, f"{name}axis").label.get_text() for s in siblings
                              if getattr(s, f"{name}axis").label.get_text()), "")
            if not label:
                out.append(f"{where}: no {name} label")
            elif not _categorical(axis) and not UNIT.search(label):
                out.append(f"{where}: {name} label {label!r} has no unit in (...) or [...]")
            lb = axis.label.get_window_extent(renderer) if axis.label.get_text() else None
            if lb is not None:
                span = ax.bbox.width if name == "x" else ax.bbox.height
                length = lb.width if name == "x" else lb.height
                if length > span + 2:
                    out.append(f"{where}: {name} label {label!r} is longer than its axis "
                               f"({length:.0f} > {span:.0f} px)")
        for cont in ax.containers:
            if isinstance(cont, BarContainer) and cont.patches:
                horizontal = cont.orientation == "horizontal"
                scale = ax.get_xscale() if horizontal else ax.get_yscale()
                if scale in ("log", "symlog"):
                    out.append(f"{where}: bars on a {scale} axis ({cont.get_label()!r})")
            if isinstance(cont, ErrorbarContainer):
                _line, caps, bars = cont.lines
                if caps:
                    for seg_coll in bars:
                        segs = seg_coll.get_segments()
                        flat = [s for s in segs if len(s) == 2 and np.allclose(s[0], s[1])]
                        if flat:
                            out.append(f"{where}: {len(flat)} error bar(s) with caps and no "
                                       "spread")
    return out


def problems(fig: Figure) -> list[str]:
    """What is wrong with `fig` as drawn (an empty list: nothing a machine can see)."""
    if not hasattr(fig.canvas, "get_renderer"):  # a bare Figure(): give it Agg's canvas
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(fig)
    fig.canvas.draw()  # lay out (constrained layout) exactly as it will be rendered
    renderer = fig.canvas.get_renderer()
    out = []
    fig_bb = fig.bbox
    texts = _texts(fig, renderer)
    for name, _artist, bb, _tick in texts:
        if bb.x0 < fig_bb.x0 - 1 or bb.y0 < fig_bb.y0 - 1 or bb.x1 > fig_bb.x1 + 1 or \
                bb.y1 > fig_bb.y1 + 1:
            out.append(f"{name} extends outside the figure")
    for i, (name_a, _art_a, bb_a, tick_a) in enumerate(texts):
        for name_b, _art_b, bb_b, tick_b in texts[i + 1:]:
            if tick_a and tick_b:
                continue
            if "legend" in (name_a + name_b) and (tick_a or tick_b):
                continue  # a legend placed outside the axes sits by the ticks, never on them
            if _overlap(bb_a, bb_b):
                out.append(f"{name_a} overlaps {name_b}")
    points = _data_points(fig, renderer)
    for name, artist, bb, _tick in texts:
        if not (name.startswith("annotation") or "legend" in name):
            continue
        for ax, xy, what in points:
            if name.startswith("annotation") and artist.axes is not ax:
                continue
            n = _points_in(bb, xy)
            if n:
                out.append(f"{name} covers {what} of the data ({n} point(s))")
                break
    out += _label_problems(fig, renderer)
    return list(dict.fromkeys(out))


# -- in a notebook ------------------------------------------------------------------------
_INSTALLED: dict = {}


def install(path: str | Path) -> None:
    """Check each figure when it is rendered (inline display or savefig) and append its
    problems, one JSON line per figure, to `path`. Idempotent."""
    from matplotlib.backend_bases import FigureCanvasBase

    _INSTALLED["path"] = Path(path)
    if _INSTALLED.get("done"):
        return
    original = FigureCanvasBase.print_figure
    seen: set[int] = set()

    def print_figure(self, *args, **kwargs):
        fig = self.figure
        if id(fig) not in seen and not _INSTALLED.get("busy"):
            seen.add(id(fig))
            _INSTALLED["busy"] = True
            try:
                found = problems(fig)
            except Exception as exc:  # a checker bug must not hide the chart
                found = [f"chart check failed: {type(exc).__name__}: {exc}"]
            finally:
                _INSTALLED["busy"] = False
            if found:
                titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
                with _INSTALLED["path"].open("a") as fh:
                    fh.write(json.dumps({"titles": titles, "problems": found}) + "\n")
        return original(self, *args, **kwargs)

    FigureCanvasBase.print_figure = print_figure
    _INSTALLED["done"] = True
    _INSTALLED["original"] = original


def uninstall() -> None:
    """Undo `install` (tests)."""
    from matplotlib.backend_bases import FigureCanvasBase

    if _INSTALLED.get("done"):
        FigureCanvasBase.print_figure = _INSTALLED["original"]
    _INSTALLED.clear()
