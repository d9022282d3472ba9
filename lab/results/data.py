"""Recorded runs and published reference figures, with their provenance.

- `data/runs/<name>.csv` + `<name>.json`: one run of an experiment; the JSON sidecar holds
  the run metadata (`df.attrs`: target, region, time, versions, machine, parameters, seed,
  column units). `save_run` refuses a frame without it (`check_run`).
- `data/reference/<name>.csv`: figures from papers and AWS docs, one row per figure, with
  `source` and `url` columns; `data/reference/README.md` gives each file's source,
  retrieval date and licence note.

Curated runs only go in `data/runs`; scratch output belongs in `build/`.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pandas as pd

#: Keys `check_run` requires in `df.attrs` (every `lab.experiments` run records them).
REQUIRED_KEYS = ("experiment", "target", "region", "timestamp_utc", "versions", "machine",
                 "parameters", "seed", "columns")

DATA_DIR = Path(os.environ.get("LAB_DATA_DIR", Path(__file__).resolve().parents[2] / "data"))
RUNS_DIR = DATA_DIR / "runs"
REFERENCE_DIR = DATA_DIR / "reference"
TARGETS = ("offline", "aws", "rehearsal")  # rehearsal: the aws target's code on lab serve
#: Source kinds, in the order tables and legends list them.
SOURCE_KINDS = ("offline", "rehearsal", "aws", "reference")
VERSION_KEYS = ("lab", "moto", "boto3", "python")
REFERENCE_COLUMNS = ("metric", "value", "unit", "condition", "source", "url")


class RunSchemaError(ValueError):
    """A run lacks the metadata that makes it comparable."""


def check_run(df: pd.DataFrame) -> dict:
    """Return `df.attrs` if it is complete run metadata; raise `RunSchemaError` otherwise.

    Required: every key in REQUIRED_KEYS, a known target, lab/moto/boto3/python versions,
    a parameters dict, and a description (with unit) for every column.
    """
    meta = dict(df.attrs)
    missing = [k for k in REQUIRED_KEYS if k not in meta]
    if missing:
        raise RunSchemaError(f"run metadata is missing {', '.join(missing)}: make runs "
                             "with a lab.experiments function (it fills df.attrs)")
    if meta["target"] not in TARGETS:
        raise RunSchemaError(f"target must be one of {TARGETS}, got {meta['target']!r}")
    if meta["target"] == "rehearsal" and not meta.get("endpoint_url"):
        raise RunSchemaError("a rehearsal run must name the endpoint it ran against "
                             "(endpoint_url)")
    if meta["target"] == "aws" and (meta.get("rehearsal_of") or meta.get("endpoint_url")):
        raise RunSchemaError(f"a run against {meta.get('endpoint_url')!r} is not AWS data: "
                             "record it as target 'rehearsal'")
    if not meta.get("timestamp_utc"):
        raise RunSchemaError("timestamp_utc is empty")
    vers = meta["versions"] or {}
    absent = [k for k in VERSION_KEYS if k not in vers]
    if absent:
        raise RunSchemaError(f"versions lack {', '.join(absent)}")
    if not isinstance(meta["parameters"], dict):
        raise RunSchemaError("parameters must be a dict of the experiment's arguments")
    undocumented = [c for c in df.columns if c not in (meta["columns"] or {})]
    if undocumented:
        raise RunSchemaError(f"columns without a description/unit: {', '.join(undocumented)}")
    return meta


def _slug(name: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")
    if not slug:
        raise ValueError(f"not a usable run name: {name!r}")
    return slug


def save_run(df: pd.DataFrame, name: str, folder: str | Path = RUNS_DIR, *,
             overwrite: bool = False) -> Path:
    """Write `<folder>/<name>.csv` and its `<name>.json` metadata sidecar; returns the CSV path.

    Use `folder="build/runs"` for scratch output; `data/runs` holds curated runs only.
    """
    meta = check_run(df)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    csv_path = folder / f"{_slug(name)}.csv"
    if csv_path.exists() and not overwrite:
        raise FileExistsError(f"{csv_path} exists (pass overwrite=True to replace it)")
    df.to_csv(csv_path, index=False)
    sidecar = {**meta, "name": _slug(name), "rows": len(df),
               "dtypes": {c: str(t) for c, t in df.dtypes.items()}}
    csv_path.with_suffix(".json").write_text(json.dumps(sidecar, indent=2, default=str) + "\n")
    return csv_path


def load_run(path: str | Path) -> pd.DataFrame:
    """One saved run (`.csv` or `.json` path) with its metadata back in `df.attrs`."""
    path = Path(path)
    csv_path, json_path = path.with_suffix(".csv"), path.with_suffix(".json")
    if not json_path.exists():
        raise RunSchemaError(f"{csv_path.name} has no metadata sidecar {json_path.name}")
    meta = json.loads(json_path.read_text())
    df = pd.read_csv(csv_path)
    for col, dtype in (meta.get("dtypes") or {}).items():
        if col in df and dtype.startswith("datetime64"):
            df[col] = pd.to_datetime(df[col])
    df.attrs.update({k: v for k, v in meta.items() if k not in ("rows", "dtypes")})
    check_run(df)
    return df


def load_runs(folder: str | Path = RUNS_DIR, *, experiment: str | None = None,
              target: str | None = None) -> pd.DataFrame:
    """Every saved run in `folder` (optionally one experiment/target) in one frame.

    Columns added: `run` (the run's name) and `source` (its target: offline, rehearsal,
    aws), so runs from
    different targets never mix unlabelled. `attrs["runs"]` maps run name -> metadata.
    """
    frames, metas = [], {}
    for json_path in sorted(Path(folder).glob("*.json")):
        df = load_run(json_path)
        meta = dict(df.attrs)
        if experiment and meta["experiment"] != experiment:
            continue
        if target and meta["target"] != target:
            continue
        df = df.assign(run=meta["name"], source=meta["target"])
        df.attrs = {}
        frames.append(df)
        metas[meta["name"]] = meta
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["run", "source"])
    out.attrs["runs"] = metas
    return out


def reference_names() -> list[str]:
    return sorted(p.stem for p in REFERENCE_DIR.glob("*.csv"))


def load_reference(name: str) -> pd.DataFrame:
    """A published-figures table from data/reference (`source="reference"` in attrs)."""
    path = REFERENCE_DIR / f"{name}.csv"
    if not path.exists():
        raise FileNotFoundError(f"no reference table {name!r}; have: {', '.join(reference_names())}")
    df = pd.read_csv(path, comment="#")
    missing = [c for c in REFERENCE_COLUMNS if c not in df.columns]
    if missing:
        raise RunSchemaError(f"{path.name} lacks columns {', '.join(missing)}")
    df.attrs.update({"source": "reference", "target": "reference", "reference": name,
                     "path": str(path)})
    return df


def source_kind(obj) -> str:
    """'offline', 'rehearsal', 'aws' or 'reference' for a frame (from its attrs) or a label
    string."""
    if isinstance(obj, str):
        text = obj.lower()
    else:
        attrs = getattr(obj, "attrs", obj) or {}
        text = str(attrs.get("source") or attrs.get("target") or "").lower()
    for kind in SOURCE_KINDS:
        if text.startswith(kind):
            return kind
    raise ValueError("data has no source: pass frames made by lab.experiments or "
                     "lab.results.data (attrs['target'] offline/rehearsal/aws, or "
                     "source='reference')")


REHEARSAL_LABEL = "rehearsal (aws target code on lab serve, not AWS)"


def source_label(obj) -> str:
    """A legend label that always starts with offline / rehearsal / AWS / reference."""
    if isinstance(obj, str):
        source_kind(obj)
        return obj
    attrs = obj.attrs
    kind = source_kind(obj)
    if kind == "offline":
        return "offline (lab serve, this machine)"
    if kind == "rehearsal":
        return REHEARSAL_LABEL
    if kind == "aws":
        return f"AWS ({attrs.get('region') or 'region ?'})"
    ref = attrs.get("reference") or attrs.get("citation") or ""
    return f"reference: {ref}" if ref else "reference"
