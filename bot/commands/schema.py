"""`schema`: the JSON Schema of schedule.yaml, for editors."""

from __future__ import annotations

import argparse
import json

from bot.commands.common import EXIT_OK
from bot.schema import json_schema


def main(args: argparse.Namespace) -> int:
    print(json.dumps(json_schema(), indent=2, ensure_ascii=False))
    return EXIT_OK
