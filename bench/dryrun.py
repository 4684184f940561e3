"""1. Dry-run latency: `preview` and `validate` of the committed campaign against `python -c "import yaml"`.

The committed campaign has an image (its checks load Pillow, about 40 ms of imports): `preview-text` is the
same campaign without its `media:` list, the figure that must not move when a campaign has no images, and the
one held to the ratio goal; `preview` and `validate` of the committed campaign keep the wall-time goal.

Every run is a new process (cold interpreter; the OS file cache is warm after the first), the three commands
interleaved so that any drift of the machine affects them alike. Wall time and peak memory per run come from
bench/spawn.py.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from bench.report import Check, heading, median, say, show
from bench.spawn import Sample, measure
from bench.world import ROOT

NAME = "dryrun"
GOAL_SECONDS = 0.3
GOAL_RATIO = 4.0
COMMANDS: dict[str, list[str]] = {
    "baseline": [sys.executable, "-c", "import yaml"],
    "preview": [sys.executable, "main.py", "preview"],
    "validate": [sys.executable, "main.py", "validate"],
}


def run(quick: bool) -> list[Check]:
    from tests.helpers import text_only_campaign

    with tempfile.TemporaryDirectory() as folder:
        schedule = text_only_campaign(Path(folder))
        text = [*COMMANDS["preview"], "--schedule", str(schedule)]
        # Both languages of the text-only campaign: Spanish loads the catalog and Babel's CLDR data for dates.
        return _run(
            quick, {**COMMANDS, "preview-text": [*text, "--lang", "en"], "preview-text-es": [*text, "--lang", "es"]}
        )


def _run(quick: bool, commands: dict[str, list[str]]) -> list[Check]:
    runs = 5 if quick else 15
    heading(f"1. dry-run latency: committed schedule.yaml, {runs} cold runs each, interleaved")
    samples: dict[str, list[Sample]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, argv in commands.items():
            sample = measure(argv, ROOT)
            if sample.exit_code != 0:
                raise RuntimeError(f"{' '.join(argv[1:])} exited {sample.exit_code}")
            samples[name].append(sample)
    base = median([s.wall for s in samples["baseline"]])
    for name, found in samples.items():
        walls = [s.wall for s in found]
        say(
            f"{name:12} median {median(walls):.3f} s  (min {min(walls):.3f}, max {max(walls):.3f})  "
            f"peak RSS {max(s.peak_mb for s in found):.1f} MB  ({median(walls) / base:.2f}x baseline)"
        )
    say(f"wrapper floor of the peak-RSS figures: {max(s.floor_mb for f in samples.values() for s in f):.1f} MB")
    checks: list[Check] = []
    for name in ("preview", "validate", "preview-text", "preview-text-es"):
        wall = median([s.wall for s in samples[name]])
        checks.append(Check(NAME, f"{name} median wall time", wall, GOAL_SECONDS, "s"))
        if name.startswith("preview-text"):  # the ratio goal is for text: an image adds Pillow's import and decode
            checks.append(Check(NAME, f"{name} vs import yaml", wall / base, GOAL_RATIO, "x", f"baseline {base:.3f} s"))
    show(checks)
    return checks
