"""A failed fsync of the SQLite write-ahead log is fatal (issue 18 item 5).

The failure is injected through GroupSync's seam, the file-descriptor sync function it is given; SQLite and
the outbox are the real ones. Linux reports a write-back error to one fsync only, so a commit waiting for a
flush that failed must never be told it is durable by a later flush on a new descriptor.
"""

from __future__ import annotations

import errno
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.store import fatal
from bot.store.fatal import StoreFatal
from bot.store.sqlite import SqliteOutbox
from bot.store.sqlite_sync import GroupSync
from tests.fakes import T0, make_post

WAITERS = 4


class FailingSync:
    """An fsync that fails once (EIO, as Linux reports a lost write-back), then succeeds, as Linux does.

    `hold` keeps the failing call waiting until the test lets it go, so other commits queue behind it.
    """

    def __init__(self, fail_on_call: int) -> None:
        self.fail_on_call = fail_on_call
        self.calls = 0
        self.entered = threading.Event()
        self.hold = threading.Event()

    def __call__(self, fd: int) -> None:
        self.calls += 1
        if self.calls == self.fail_on_call:
            self.entered.set()
            assert self.hold.wait(10)
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        os.fsync(fd)


@pytest.fixture
def declared() -> Iterator[list[StoreFatal]]:
    found: list[StoreFatal] = []
    stop = fatal.listen(found.append)
    yield found
    stop()


def test_every_waiting_and_later_commit_fails_and_nothing_is_flushed_again(
    tmp_path: Path, declared: list[StoreFatal]
) -> None:
    wal = tmp_path / "outbox.sqlite3-wal"
    wal.write_bytes(b"frames")
    sync = FailingSync(fail_on_call=1)
    group = GroupSync(wal, sync)
    outcomes: list[BaseException | None] = [None] * (WAITERS + 1)

    def commit(slot: int, number: int) -> None:
        try:
            group.wait(number)
            outcomes[slot] = None
        except StoreFatal as error:
            outcomes[slot] = error

    leader = threading.Thread(target=commit, args=(0, group.committed()))
    leader.start()
    assert sync.entered.wait(10)  # the leader's flush is under way (and will fail)
    numbers = [group.committed() for _ in range(WAITERS)]  # written while it runs: they wait for the next flush
    waiters = [threading.Thread(target=commit, args=(slot + 1, n)) for slot, n in enumerate(numbers)]
    for thread in waiters:
        thread.start()
    sync.hold.set()
    for thread in [leader, *waiters]:
        thread.join(10)
        assert not thread.is_alive()
    assert all(isinstance(outcome, StoreFatal) for outcome in outcomes), outcomes
    assert sync.calls == 1  # no retry on a new descriptor: it could "succeed" with the pages lost
    assert "Input/output error" in str(outcomes[0]) and str(wal) in str(outcomes[0])
    with pytest.raises(StoreFatal):
        group.committed()  # a later commit
    with pytest.raises(StoreFatal):
        group.wait(numbers[-1])
    assert sync.calls == 1
    assert len(declared) == 1 and declared[0] is outcomes[0]


def test_the_outbox_refuses_every_write_after_a_failed_flush(tmp_path: Path, declared: list[StoreFatal]) -> None:
    state_dir = tmp_path / "state"
    SqliteOutbox.open(state_dir).close()  # created and migrated with the real fsync
    sync = FailingSync(fail_on_call=2)  # the first flush is the opening's (its schema check)
    sync.hold.set()
    outbox = SqliteOutbox.open(state_dir, fsync=sync)
    outbox.freeze(make_post(), T0)  # not flushed by itself: the `sending` mark's flush covers it
    with pytest.raises(StoreFatal, match="Input/output error"):
        outbox.mark_sending("mensaje", "x_cancilleria", 1, T0)
    with pytest.raises(StoreFatal):
        outbox.mark_sent("mensaje", "x_cancilleria", 1, "1", "u1", T0)
    with pytest.raises(StoreFatal):
        outbox.freeze(make_post(post_id="otro"), T0)
    assert sync.calls == 2 and len(declared) == 1
    outbox.close()
    # The next start reads what is on disk: the `sending` mark may or may not be there; nothing says `sent`.
    reopened = SqliteOutbox.open(state_dir)
    states = [r.state for r in reopened.fragments_of("mensaje", "x_cancilleria")]
    assert states[0] in {"pending", "sending"} and "sent" not in states
    assert reopened.posts()[0].post_id == "mensaje"
    reopened.close()
