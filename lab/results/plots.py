"""Charts for the lab's measurements (matplotlib).

Every chart labels its axes with units and says where its numbers come from: each series
is labelled with its source ("offline ...", "AWS ...", "reference: ...") in the legend,
and the figure carries a "Data:" caption. The title, which should state the finding, is
the caller's choice (`title=`). Functions return the `Figure`; it renders inline in a
notebook, and `save(fig, path)` writes PNG and SVG.

Inputs are the tidy frames `lab.experiments` return (their `df.attrs` name the source).
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from lab.results.data import source_kind, source_label  # noqa: F401 - re-exported

SOURCE_COLORS = {"offline": "#1f77b4", "rehearsal": "#8c564b", "aws": "#ff7f0e",
                 "reference": "#7f7f7f"}
REHEARSAL_NOTE = ("rehearsal = the aws target's code run against lab serve on this machine "
                  "(fake credentials): not AWS data")
EVENT_STYLE = {"sent": ("o", "#2ca02c"), "delete": ("s", "#2ca02c"),
               "dlq": ("X", "#d62728"), "visibility_expired": ("|", "#9467bd")}


# -- sources ------------------------------------------------------------------------------
def _frames(data) -> list[pd.DataFrame]:
    if isinstance(data, pd.DataFrame):
        return [data]
    frames = list(data)
    if not frames:
        raise ValueError("no data to plot")
    return frames


def _caption(fig: Figure, labels: Iterable[str], extra: str | None = None) -> None:
    uniq = list(dict.fromkeys(labels))
    text = "Data: " + "; ".join(uniq)
    if extra:
        text = f"{text.rstrip('.')}. {extra}"
    if any(str(label).lower().startswith("rehearsal") for label in uniq):
        text = f"{text.rstrip('.')}. {REHEARSAL_NOTE}"
    caption(fig, text)


def caption(fig: Figure, text: str) -> None:
    """The figure's "Data: ..." caption, wrapped to the figure's width, set as the figure's
    supxlabel so a constrained layout makes room for every line (a `fig.text` at the bottom
    can run off the figure or onto the x label)."""
    text = "\n".join(textwrap.fill(part, width=max(40, int(fig.get_figwidth() * 17)))
                     for part in str(text).split("\n"))
    fig.supxlabel(text, x=0.01, fontsize=7, color="#444444", ha="left", va="bottom")


def _new(ax, figsize=(7, 4)):
    if ax is not None:
        return ax.figure, ax
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    fig.get_layout_engine().set(h_pad=0.2)
    return fig, ax


def _finish(fig, ax, *, title, xlabel, ylabel, labels, caption=None, legend=True,
            legend_title=None, legend_outside=False):
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if legend:
        where = dict(loc="best")
        if legend_outside == "below":
            where = dict(loc="upper center", bbox_to_anchor=(0.5, -0.16))
        elif legend_outside:
            where = dict(loc="upper left", bbox_to_anchor=(1.01, 1.0))
        ax.legend(fontsize=8, title=legend_title, title_fontsize=8, **where)
    _caption(fig, labels, caption)
    return fig


# -- latency ------------------------------------------------------------------------------
def latency_cdf(data, column: str = "end_to_end_ms", *, title: str | None = None,
                quantiles: Sequence[float] = (0.5, 0.9, 0.99), unit: str = "ms",
                what: str = "latency", log_x: bool = False, ax=None) -> Figure:
    """Empirical CDF of `column` per source, with p50/p90/p99 marked (in the legend, so no
    label sits on a curve). A quantile is drawn only when the sample has at least one
    observation beyond it (p99 needs n >= 100, p90 n >= 10): a "p99" of 20 samples is
    their maximum."""
    fig, ax = _new(ax)
    labels = []
    frames = _frames(data)
    kinds = [source_kind(df) for df in frames]
    styles = iter([":", "--", "-.", (0, (1, 3)), (0, (5, 5))] * 4)
    for df, kind in zip(frames, kinds, strict=True):
        label = source_label(df)
        labels.append(label)
        values = np.sort(df[column].dropna().to_numpy(dtype=float))
        if not len(values):
            continue
        color = SOURCE_COLORS[kind] if kinds.count(kind) == 1 else None
        y = np.arange(1, len(values) + 1) / len(values)
        (line,) = ax.step(values, y, where="post", color=color, label=f"{label} (n={len(values)})")
        for q in quantiles:
            if len(values) * (1 - q) < 1 - 1e-9:
                continue  # not enough observations to estimate this quantile
            v = float(np.quantile(values, q))
            ax.axvline(v, color=line.get_color(), ls=next(styles), lw=1,
                       label=f"  p{q * 100:g} = {v:.3g} {unit}")
    if log_x:
        ax.set_xscale("log")
    ax.set_ylim(0, 1.02)
    return _finish(fig, ax, title=title, xlabel=f"{what} ({unit})",
                   ylabel="observations <= x (fraction)", labels=labels, legend_outside=True)


def latency_over_time(data, column: str = "end_to_end_ms", time_column: str = "t_s", *,
                      title: str | None = None, unit: str = "ms", what: str = "latency",
                      rolling: int = 10, ax=None) -> Figure:
    """Each observation against its time in the run, with a rolling median per source."""
    fig, ax = _new(ax)
    labels = []
    for df in _frames(data):
        label = source_label(df)
        labels.append(label)
        d = df[[time_column, column]].dropna().sort_values(time_column)
        pts = ax.scatter(d[time_column], d[column], s=8, alpha=0.5, label=label,
                         color=SOURCE_COLORS[source_kind(df)])
        if rolling and len(d) >= rolling:
            med = d[column].rolling(rolling, min_periods=1).median()
            ax.plot(d[time_column], med, color=pts.get_facecolor()[0], lw=1.5,
                    label=f"{label}, rolling median of {rolling}")
    return _finish(fig, ax, title=title, xlabel="time since start of run (s)",
                   ylabel=f"{what} ({unit})", labels=labels, legend_outside=True)


# -- cold starts --------------------------------------------------------------------------
def _reference_rows(reference) -> list[tuple[str, float, float | None, float | None]]:
    """(label, value, low, high) from a reference frame or tuples."""
    if reference is None:
        return []
    if isinstance(reference, pd.DataFrame):
        out = []
        for _, r in reference.iterrows():
            low = r.get("low") if pd.notna(r.get("low")) else None
            high = r.get("high") if pd.notna(r.get("high")) else None
            rng = f", range {low:g}-{high:g}" if low is not None and high is not None else ""
            out.append((f"reference: {r['source'].split(',')[0].split(';')[0]} "
                        f"({float(r['value']):g} {r['unit']}{rng})", float(r["value"]), low, high))
        return out
    rows = []
    for label, value, *rng in reference:
        if not str(label).startswith("reference"):
            label = f"reference: {label}"
        rows.append((label, float(value), *(rng + [None, None])[:2]))
    return rows


def cold_vs_warm(df: pd.DataFrame, column: str = "duration_ms", kind_column: str = "start", *,
                 title: str | None = None, unit: str = "ms", what: str = "duration",
                 reference=None, ax=None) -> Figure:
    """Distribution of `column` for cold and warm starts (box + points), optionally with
    reference figures as horizontal lines/bands (e.g. lambda-perf Init Duration)."""
    fig, ax = _new(ax)
    label = source_label(df)
    kinds = [k for k in ("cold", "warm") if k in set(df[kind_column])] or \
        sorted(df[kind_column].unique())
    series = [df.loc[df[kind_column] == k, column].dropna().to_numpy(float) for k in kinds]
    color = SOURCE_COLORS[source_kind(df)]
    ax.boxplot(series, positions=range(len(kinds)), widths=0.5, showfliers=False,
               medianprops={"color": color})
    rng = np.random.default_rng(0)  # jitter only; fixed so the figure is reproducible
    for i, vals in enumerate(series):
        ax.scatter(i + rng.uniform(-0.15, 0.15, len(vals)), vals, s=10, alpha=0.6, color=color,
                   label=f"{label}" if i == 0 else None)
    ax.set_xticks(range(len(kinds)), [f"{k} (n={len(v)})" for k, v in zip(kinds, series,
                                                                            strict=True)])
    labels = [label]
    for ref_label, value, low, high in _reference_rows(reference):
        ax.axhline(value, color=SOURCE_COLORS["reference"], ls="--", lw=1, label=ref_label)
        if low is not None and high is not None:
            ax.axhspan(low, high, color=SOURCE_COLORS["reference"], alpha=0.12)
        labels.append(ref_label)
    return _finish(fig, ax, title=title, xlabel="start kind", ylabel=f"{what} ({unit})",
                   labels=labels, legend_outside=True)


def init_breakdown(df: pd.DataFrame, phases: Sequence[str], label_column: str | None = None, *,
                   title: str | None = None, unit: str = "ms", phase_labels: dict | None = None,
                   reference=None, ax=None) -> Figure:
    """Stacked bars: one bar per row (an invocation, a function, a package set), one
    segment per INIT phase column in `phases`."""
    fig, ax = _new(ax)
    label = source_label(df)
    names = (df[label_column].astype(str) if label_column else
             pd.Series([str(i) for i in range(len(df))]))
    bottom = np.zeros(len(df))
    cmap = plt.get_cmap("tab10")
    for i, phase in enumerate(phases):
        vals = df[phase].fillna(0).to_numpy(float)
        ax.bar(names, vals, bottom=bottom, color=cmap(i),
               label=f"{(phase_labels or {}).get(phase, phase)} [{label}]")
        bottom += vals
    labels = [label]
    for ref_label, value, _low, _high in _reference_rows(reference):
        ax.axhline(value, color=SOURCE_COLORS["reference"], ls="--", lw=1, label=ref_label)
        labels.append(ref_label)
    ax.tick_params(axis="x", labelrotation=30)
    return _finish(fig, ax, title=title, xlabel=label_column or "invocation",
                   ylabel=f"INIT time ({unit})", labels=labels, legend_outside=True)


def concurrency_over_time(df: pd.DataFrame, start_column: str = "start_s",
                          end_column: str = "end_s", *, title: str | None = None,
                          limit: float | None = None, limit_label: str | None = None,
                          ax=None) -> Figure:
    """How many invocations were running at each moment, from start/end times (s)."""
    fig, ax = _new(ax)
    label = source_label(df)
    t, level = concurrency_steps(df[start_column], df[end_column])
    ax.step(t, level, where="post", color=SOURCE_COLORS[source_kind(df)], label=label)
    labels = [label]
    if limit is not None:
        ax.axhline(limit, color="#d62728", ls="--", lw=1, label=limit_label or f"limit {limit:g}")
    return _finish(fig, ax, title=title, xlabel="time since start of run (s)",
                   ylabel="concurrent executions (count)", labels=labels, legend_outside=True)


def concurrency_steps(starts, ends) -> tuple[np.ndarray, np.ndarray]:
    """Times and running counts of intervals [start, end): the step function's corners."""
    events = sorted([(float(s), 1) for s in starts] + [(float(e), -1) for e in ends],
                    key=lambda e: (e[0], e[1]))
    t, level, n = [], [], 0
    for time_, delta in events:
        n += delta
        t.append(time_)
        level.append(n)
    return np.array(t), np.array(level)


# -- messages -----------------------------------------------------------------------------
def message_timeline(df: pd.DataFrame, *, title: str | None = None, max_messages: int = 30,
                     visibility_timeout: float | None = None, ax=None) -> Figure:
    """One lane per message: sent, each attempt's invisible period (receive -> delete or
    visibility expiry), deletion and DLQ moves. Input: `lab.experiments.redelivery`'s
    events (columns message, event, attempt, t_s)."""
    label = source_label(df)
    messages = list(dict.fromkeys(df["message"]))[:max_messages]
    fig, ax = _new(ax, figsize=(8, 1.8 + 0.35 * max(len(messages), 3)))
    vt = visibility_timeout or df.attrs.get("parameters", {}).get("visibility_timeout")
    used = set()
    for lane, msg in enumerate(messages):
        ev = df[df["message"] == msg].sort_values("t_s")
        last = ev["t_s"].max()
        first = ev["t_s"].min()
        ax.hlines(lane, first, last, color="#cccccc", lw=1, zorder=0)
        for _, r in ev[ev["event"] == "receive"].iterrows():
            after = ev[(ev["t_s"] >= r["t_s"]) & (ev["attempt"] == r["attempt"])
                       & ev["event"].isin(["delete", "visibility_expired"])]
            end = after["t_s"].min() if len(after) else (r["t_s"] + vt if vt else last)
            ok = len(after) and (after.sort_values("t_s")["event"].iloc[0] == "delete")
            crashed = str(r.get("outcome", "")) == "crashed"
            if ok:
                name = "attempt, then deleted"
            elif crashed:
                name = "attempt crashed (no delete), hidden until the timeout"
            else:
                name = "attempt, invisible until timeout"
            ax.barh(lane, end - r["t_s"], left=r["t_s"], height=0.5,
                    color="#2ca02c" if ok else "#ff9896", edgecolor="#555555", lw=0.5,
                    hatch="xxx" if crashed and not ok else None,
                    label=None if name in used else name)
            used.add(name)
        for event, (marker, color) in EVENT_STYLE.items():
            pts = ev[ev["event"] == event]
            if len(pts):
                name = {"sent": "sent", "delete": "deleted", "dlq": "moved to DLQ",
                        "visibility_expired": "visibility timeout expired"}[event]
                ax.scatter(pts["t_s"], [lane] * len(pts), marker=marker, color=color, s=30,
                           zorder=3, label=None if name in used else name)
                used.add(name)
    receives = [int((df["event"].eq("receive") & df["message"].eq(m)).sum()) for m in messages]
    ax.set_yticks(range(len(messages)),
                  [f"{m} ({n} receive{'s' if n != 1 else ''})" for m, n in
                   zip(messages, receives, strict=True)], fontsize=7)
    ax.invert_yaxis()
    note = f"visibility timeout {vt:g} s" if vt else None
    return _finish(fig, ax, title=title, xlabel="time since first send (s)",
                   ylabel="message (lane)", labels=[label], caption=note,
                   legend_title=label, legend_outside=True)


def polling_costs(summary: pd.DataFrame, *, title: str | None = None, ax=None) -> Figure:
    """Receive calls per message delivered, split into empty and non-empty receives, per
    polling mode (from `lab.experiments.polling.summarize`)."""
    fig, ax = _new(ax, figsize=(9, 4.2))
    label = source_label(summary)
    modes = summary["mode"].astype(str)
    per_msg_empty = summary["empty_receives"] / summary["messages"].clip(lower=1)
    per_msg_full = (summary["receive_calls"] - summary["empty_receives"]) / \
        summary["messages"].clip(lower=1)
    ax.bar(modes, per_msg_full, color="#2ca02c", label="receives that returned messages")
    ax.bar(modes, per_msg_empty, bottom=per_msg_full, color="#d62728", label="empty receives")
    for i, total in enumerate(summary["calls_per_message"]):  # the bar shows receives only
        ax.text(i, per_msg_full.iloc[i] + per_msg_empty.iloc[i],
                f"{per_msg_full.iloc[i] + per_msg_empty.iloc[i]:.2f} receives\n"
                f"({total:.2f} calls with deletes)", ha="center", va="bottom", fontsize=8)
    ax.set_ylim(0, float((per_msg_full + per_msg_empty).max()) * 1.3)  # room for the numbers
    ax.set_xlim(-0.8, len(modes) - 0.2)
    return _finish(fig, ax, title=title, xlabel="polling mode",
                   ylabel="receives per message (calls)", labels=[label],
                   caption="SQS bills every API call, empty receives included",
                   legend_title=label, legend_outside=True)


# -- comparison ---------------------------------------------------------------------------
def comparison(table: pd.DataFrame, *, title: str | None = None, ax=None) -> Figure:
    """Offline, rehearsal, AWS and reference figures side by side, one group per metric (input:
    `lab.results.compare.side_by_side`). Reference bars are hatched and ranges drawn as error bars.
    All metrics in one chart must share a unit."""
    units = table["unit"].dropna().unique()
    if len(units) != 1:
        raise ValueError(f"one unit per comparison chart, got {list(units)}: split the table")
    fig, ax = _new(ax)
    metrics = list(dict.fromkeys(table["metric"]))
    sources = list(dict.fromkeys(table["source"]))
    width = 0.8 / len(sources)
    labels = []
    hatches = iter(["//", "\\\\", "xx", "..", "++"] * 4)
    for j, src in enumerate(sources):
        kind = source_kind(src)
        labels.append(src)
        rows = table[table["source"] == src].set_index("metric").reindex(metrics)
        x = np.arange(len(metrics)) + (j - (len(sources) - 1) / 2) * width
        vals = rows["value"].to_numpy(float)
        ax.bar(x, vals, width=width * 0.95, color=SOURCE_COLORS[kind], label=src,
               hatch=next(hatches) if kind == "reference" else None, edgecolor="white")
        if {"low", "high"} <= set(rows.columns):  # ranges only where a source gives one
            lo = (vals - rows["low"].to_numpy(float))
            hi = (rows["high"].to_numpy(float) - vals)
            yerr = np.nan_to_num(np.vstack([lo, hi]), nan=0.0).clip(min=0)
            spread = yerr.sum(axis=0) > 0
            if spread.any():
                ax.errorbar(x[spread], vals[spread], yerr=yerr[:, spread], fmt="none",
                            ecolor="#333333", capsize=3, lw=1)
    ax.set_xticks(np.arange(len(metrics)), metrics, rotation=15)
    return _finish(fig, ax, title=title, xlabel="metric", ylabel=f"value ({units[0]})",
                   labels=labels, caption="offline = this machine, not AWS hardware",
                   legend_outside=True)


# -- output -------------------------------------------------------------------------------
def save(fig: Figure, path: str | Path, *, dpi: int = 150) -> list[Path]:
    """Write `path` as PNG and SVG (suffix replaced); returns both paths."""
    base = Path(path)
    if base.suffix.lower() in (".png", ".svg"):
        base = base.with_suffix("")
    base.parent.mkdir(parents=True, exist_ok=True)
    out = []
    for ext in (".png", ".svg"):
        target = base.with_name(base.name + ext)
        fig.savefig(target, dpi=dpi, bbox_inches="tight")
        out.append(target)
    return out
