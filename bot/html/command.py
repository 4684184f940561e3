"""The I/O around the page for `preview --format html`: the outbox (read, never created), files, a browser."""

from __future__ import annotations

import os
import tempfile
from datetime import datetime
from pathlib import Path

from bot.html.page import render_html
from bot.html.state import read_outbox
from bot.i18n import _
from bot.model import Plan, Schedule
from bot.services import campaign
from bot.services.approvalview import approval_states
from bot.services.statefolder import open_outbox

DEFAULT_STATE_DIR = Path("state")  # the same default as `status --state-dir`


def build_page(
    schedule: Schedule,
    plan: Plan,
    schedule_name: str,
    state_dir: Path | None,
    now: datetime,
    database_url: str | None = None,
) -> str:
    """The page, with the state recorded in `state_dir` (or the database) if it holds an outbox. Raises
    OutboxError."""
    folder = DEFAULT_STATE_DIR if state_dir is None else state_dir
    where = str(folder)
    if database_url is None:
        outbox = open_outbox(folder)  # None: nothing published from there yet, the page is the plan alone
    else:
        from bot.services.stores import open_store  # psycopg only with a database

        store = open_store(database_url, folder, create=False)
        outbox, where = (store.outbox, store.where) if store is not None else (None, where)
    try:
        view = read_outbox(plan, outbox, where, now)
        approvals = approval_states(plan, outbox)
    finally:
        if outbox is not None:
            outbox.close()
    return render_html(plan, schedule_name, view, message_langs(schedule), approvals)


def message_langs(schedule: Schedule) -> dict[Path, str]:
    """Each message file's front matter `lang`, for the lang attribute of its text (the plan does not keep it)."""
    messages, _problems = campaign.load_messages(schedule)
    return {path: message.meta["lang"] for path, message in messages.items() if message.meta.get("lang")}


def temporary_file() -> Path:
    """A new, empty .html file in the temporary folder; it is left there for the browser to read."""
    handle, name = tempfile.mkstemp(prefix="preview-", suffix=".html")
    os.close(handle)
    return Path(name)


def write_page(path: Path, page: str) -> str | None:
    """Write the page; the reason when it cannot be written. The folder must exist: a typo is not created."""
    if not path.parent.is_dir():
        return _("cannot write {path}: the folder {parent} does not exist").format(path=path, parent=path.parent)
    try:
        path.write_text(page, encoding="utf-8")
    except OSError as error:
        return _("cannot write {path}: {strerror}").format(path=path, strerror=error.strerror or error)
    return None


def open_in_browser(path: Path) -> str | None:
    """Open the written page in the default browser; a note when there is none (never an error)."""
    import webbrowser  # only when asked: it is not needed by any other command

    uri = path.resolve().as_uri()
    try:
        opened = webbrowser.open(uri)
    except webbrowser.Error:
        opened = False
    return None if opened else _("note: no web browser found; open {uri} yourself").format(uri=uri)
