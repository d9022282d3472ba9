"""Offline, AWS and reference figures side by side, never mixed unlabelled.

Everything becomes one long table with the columns `metric, source, value, low, high, unit`
where `source` always starts with "offline", "rehearsal", "AWS" or "reference"; `as_table`
pivots it (one column per source, in that order) and `lab.results.plots.comparison` draws
it.
"""

from __future__ import annotations

import pandas as pd

from lab.results.data import SOURCE_KINDS, source_kind, source_label

COLUMNS = ["metric", "source", "value", "low", "high", "unit"]
STATS = {"p50": 0.5, "p90": 0.9, "p99": 0.99}


def summarize(df: pd.DataFrame, column: str, metric: str, *, unit: str = "ms",
              stats=("p50", "p90", "p99"), where=None) -> pd.DataFrame:
    """Quantiles / mean / count of one measured column, labelled with the run's source.

    `where` is an optional boolean mask (e.g. `df.start == "cold"`).
    """
    label = source_label(df)
    values = (df.loc[where, column] if where is not None else df[column]).dropna().astype(float)
    rows = []
    for stat in stats:
        if stat in STATS:
            value = values.quantile(STATS[stat]) if len(values) else float("nan")
        elif stat == "mean":
            value = values.mean()
        elif stat == "min":
            value = values.min()
        elif stat == "max":
            value = values.max()
        else:
            raise ValueError(f"unknown statistic {stat!r}")
        rows.append({"metric": f"{metric} {stat}", "source": label, "value": float(value),
                     "low": None, "high": None, "unit": unit})
    out = pd.DataFrame(rows, columns=COLUMNS)
    out.attrs["n"] = int(len(values))
    return out


def from_reference(ref: pd.DataFrame, metrics: dict[str, str]) -> pd.DataFrame:
    """Rows of a `lab.results.data.load_reference` table renamed to comparable metric names
    (`{"init_duration_avg_python312_zip": "Init Duration mean"}`), labelled reference."""
    if source_kind(ref) != "reference":
        raise ValueError("from_reference takes a lab.results.data.load_reference table")
    picked = ref[ref["metric"].isin(metrics)]
    missing = set(metrics) - set(picked["metric"])
    if missing:
        raise KeyError(f"{ref.attrs.get('reference')}: no metric {', '.join(sorted(missing))}")
    rows = []
    for _, r in picked.iterrows():
        citation = str(r["source"]).split(",")[0].split(";")[0].strip()
        rows.append({"metric": metrics[r["metric"]], "source": f"reference: {citation}",
                     "value": float(r["value"]),
                     "low": float(r["low"]) if pd.notna(r.get("low")) else None,
                     "high": float(r["high"]) if pd.notna(r.get("high")) else None,
                     "unit": r["unit"]})
    return pd.DataFrame(rows, columns=COLUMNS)


def side_by_side(*tables: pd.DataFrame) -> pd.DataFrame:
    """Stack summaries/reference rows into one long table; refuses rows without a source
    that says offline, rehearsal, AWS or reference."""
    parts = []
    for t in tables:
        missing = [c for c in ("metric", "source", "value", "unit") if c not in t.columns]
        if missing:
            raise ValueError(f"a comparison table needs columns {missing}")
        for src in t["source"].unique():
            source_kind(str(src))  # raises if unlabelled
        parts.append(t.reindex(columns=COLUMNS))
    out = pd.concat(parts, ignore_index=True)
    dupes = out.duplicated(["metric", "source"])
    if dupes.any():
        raise ValueError("two values for the same metric and source: "
                         f"{out.loc[dupes, ['metric', 'source']].values.tolist()}")
    return out


def as_table(long: pd.DataFrame) -> pd.DataFrame:
    """One row per metric (with its unit), one column per source."""
    wide = long.pivot(index=["metric", "unit"], columns="source", values="value")
    order = sorted(wide.columns, key=lambda s: SOURCE_KINDS.index(source_kind(s)))
    wide = wide[order]
    wide.columns.name = None
    return wide.reset_index()
