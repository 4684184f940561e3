"""One long test cut into shards that pytest-xdist can run on different workers, and checked as a whole.

A test of many independent trials (the crash suite, the HA kills) is parametrized by shard: each shard runs its
share of the trials and checks each of them, then hands its figures to `Shards.add`. The shard that completes
the set (whichever worker ran it, whatever the order) gets every shard's figures back and asserts what holds
only for the whole (enough distinct kill points, every position reached). Run alone (`-k` one shard), a shard
checks its trials and the whole is not asserted.

The figures go through JSON files in a folder every worker of the run shares (`run_folder` in
tests/conftest.py): written whole under a temporary name, then renamed, so a reader never sees half a file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


class Shards:
    def __init__(self, folder: Path, name: str, count: int) -> None:
        self.folder = folder / f"shards-{name}"
        self.count = count
        self.folder.mkdir(parents=True, exist_ok=True)

    def add(self, shard: int, figures: dict[str, Any]) -> list[dict[str, Any]] | None:
        """Record this shard's figures; every shard's (in shard order) once all are in, else None."""
        partial = self.folder / f".{shard}.{os.getpid()}.tmp"
        partial.write_text(json.dumps(figures), encoding="utf-8")
        partial.replace(self.folder / f"{shard}.json")
        found = sorted(self.folder.glob("*.json"), key=lambda path: int(path.stem))
        if len(found) < self.count:
            return None
        return [json.loads(path.read_text(encoding="utf-8")) for path in found]
