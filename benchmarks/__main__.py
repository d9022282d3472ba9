"""`python -m benchmarks [name ...]`: run every benchmarks/bench_*.py module's main().

Each benchmark prints its figures and the ratio to a floor it measured in the same run,
and returns True if every target ratio holds. The exit status is 1 if any target missed.
"""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    names = sorted(p.stem for p in Path(__file__).parent.glob("bench_*.py"))
    if argv:
        names = [n for n in names if any(a in n for a in argv)]
    failed = []
    for name in names:
        print(f"\n=== {name} ===", flush=True)
        started = time.monotonic()
        ok = importlib.import_module(f"benchmarks.{name}").main()
        print(f"=== {name}: {'targets met' if ok else 'TARGET MISSED'} "
              f"({time.monotonic() - started:.1f} s)", flush=True)
        if not ok:
            failed.append(name)
    print(f"\nbenchmarks: {len(names) - len(failed)} met, {len(failed)} missed"
          + (f" ({', '.join(failed)})" if failed else ""))
    return 1 if failed else 0


raise SystemExit(main(sys.argv[1:]))
