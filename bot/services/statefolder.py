"""The state folder: where the outbox lives, the dry run's own folder, and the marker `resume` touches."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the store package is loaded only by the commands that open it
    from bot.store import Outbox

DRY_RUN_FOLDER = "dry-run"
RESUME_MARKER = "resume-requested"  # `resume` touches it; the daemon watches it: re-read .env and the outbox


def state_folder(state_dir: Path, dry_run: bool) -> Path:
    """The outbox folder: a dry run keeps its own, so it never marks real posts as sent."""
    return state_dir / DRY_RUN_FOLDER if dry_run else state_dir


def open_outbox(state_dir: Path, *, create: bool = False) -> Outbox | None:
    """The outbox, or None when nothing has been published from this state folder yet (and not `create`).

    Raises OutboxError when the database cannot be used (damaged, or written by a newer bot).
    """
    from bot.store.sqlite import SqliteOutbox  # sqlite3 only for the commands that read the outbox

    try:
        return SqliteOutbox.open(state_dir, create=create)
    except FileNotFoundError:
        return None


def create_outbox(state_dir: Path) -> Outbox:
    """Open the outbox of the folder, making the folder and the database when missing (for `run`)."""
    from bot.store.sqlite import SqliteOutbox

    return SqliteOutbox.open(state_dir)
