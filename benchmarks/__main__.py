"""Run the benchmarks: ``python -m benchmarks [--quick] [--json] [NAME ...]``."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import sys
from pathlib import Path

import benchmarks


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("names", nargs="*", help="benchmark modules to run (default: all), e.g. dcr_test")
    parser.add_argument("--quick", action="store_true", help="smaller inputs, for a smoke run")
    parser.add_argument("--json", action="store_true", help="also write .benchmarks/results.json")
    args = parser.parse_args(argv)
    found = sorted(
        m.name.removeprefix("bench_") for m in pkgutil.iter_modules(benchmarks.__path__) if m.name.startswith("bench_")
    )
    unknown = sorted(set(args.names) - set(found))
    if unknown:
        print(f"error: unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(found)}", file=sys.stderr)
        return 2
    results = {}
    print(f"load average {_load()} (2 cores shared: figures taken under load say little)", flush=True)
    for name in args.names or found:
        module = importlib.import_module(f"benchmarks.bench_{name}")
        print(f"== {name}", flush=True)
        for r in module.run(quick=args.quick):
            goal = f"  [{r.goal}]" if r.goal else ""
            print(f"  {r.name:<48} {r.value:>14,.2f} {r.unit:<10} {r.note}{goal}", flush=True)
            results[f"{name}.{r.name}"] = {"value": r.value, "unit": r.unit, "note": r.note, "goal": r.goal}
    print(f"load average {_load()}", flush=True)
    if args.json:
        out = Path(".benchmarks")
        out.mkdir(exist_ok=True)
        (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    return 0


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} (1, 5, 15 min)"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
