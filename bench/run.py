"""Runs the benchmarks and prints each figure against its goal: `.venv/bin/python -m bench [options]`.

    --quick          fewer repetitions and a 10 s idle window (under a minute instead of about 2)
    --only NAME      run only this benchmark (repeatable): dryrun, thread, firing, scale, takeover, settle, counting
    --json PATH      also write the machine and every figure to PATH

Exit status 0 when every figure meets its goal, 1 when any is missed or a benchmark could not complete.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from pathlib import Path

from bench import counting, dryrun, firing, scale, settle, takeover, thread
from bench.report import Check, heading, machine, show

BENCHMARKS: dict[str, Callable[[bool], list[Check]]] = {
    dryrun.NAME: dryrun.run,
    thread.NAME: thread.run,
    firing.NAME: firing.run,
    scale.NAME: scale.run,
    takeover.NAME: takeover.run,
    settle.NAME: settle.run,
    counting.NAME: counting.run,
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description="Benchmarks of the Fiestas Patrias bot.")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, 10 s idle window")
    parser.add_argument("--only", action="append", choices=list(BENCHMARKS), metavar="NAME",
                        help=f"run only this benchmark (repeatable): {', '.join(BENCHMARKS)}")  # fmt: skip
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results as JSON to PATH")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    selected = args.only or list(BENCHMARKS)
    host = machine()
    print(f"Fiestas Patrias bot benchmarks{' (quick)' if args.quick else ''}")
    for key, value in host.items():
        print(f"  {key:7} {value}")
    checks: list[Check] = []
    broken: list[str] = []
    for name in BENCHMARKS:
        if name in selected:
            try:
                checks += BENCHMARKS[name](args.quick)
            except Exception as error:  # report it and go on with the other benchmarks
                print(f"  ERROR  benchmark {name} did not complete: {type(error).__name__}: {error}", flush=True)
                broken.append(name)
    heading("summary")
    show(checks)
    missed = [check for check in checks if not check.passed]
    print(f"\n{len(checks) - len(missed)} of {len(checks)} goals met" + (f"; {len(missed)} missed" if missed else ""))
    if broken:
        print(f"benchmarks that did not complete: {', '.join(broken)}")
    if args.json is not None:
        payload = {
            "machine": host,
            "quick": args.quick,
            "checks": [check.as_dict() for check in checks],
            "broken": broken,
        }
        args.json.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 1 if missed or broken else 0
