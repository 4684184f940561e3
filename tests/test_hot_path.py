"""What a post costs the store between its due time and its first request (issue 22 item 3), counted, not timed.

The whole job runs as the daemon runs it (run_post: with PostgreSQL, under the post's lease) with a
publisher that notes, at its first request, how many transactions and statements the store had run for the post.
SQLite: statements through the connection's trace callback; PostgreSQL: statements at the Query seam
(bot/store/pg_query.py), each one a round trip, and a transaction's BEGIN and COMMIT two more.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.credentials import Environment
from bot.services.accounts import Accounts
from bot.services.firing import run_post
from bot.services.job import RunSettings
from bot.services.publishing import LeaseSettings, Publishing
from bot.services.runner import RetryPolicy
from bot.states import Outcome
from bot.store import Outbox
from bot.store.pg_query import Query, Result
from bot.store.sqlite import SqliteOutbox
from tests.fakes import T0, FakePublisher, make_post


@dataclass
class Tally:
    statements: list[str] = field(default_factory=list)
    writes: int = 0  # write transactions
    reads: int = 0
    brackets: int = 0  # transactions sent with BEGIN and COMMIT (PostgreSQL)
    at_first_request: tuple[int, int, int, int] | None = None  # (writes, reads, statements, brackets)

    def first_request(self, text: str, reply_to: str | None) -> None:
        if self.at_first_request is None:
            self.at_first_request = (self.writes, self.reads, len(self.statements), self.brackets)


def _run(outbox: Outbox, leases: Any, tally: Tally) -> None:
    post = make_post(16)  # the full message: a 16-fragment thread
    publisher = FakePublisher(on_publish=tally.first_request)
    accounts = Accounts(Environment({}), lambda account, env: publisher)
    clock = lambda: T0  # noqa: E731  (the post's time: due now)
    settings = RunSettings(timedelta(minutes=15), RetryPolicy(), lambda: False)
    publishing = Publishing(outbox, leases, LeaseSettings(), clock)
    assert accounts.publisher(post, outbox, clock) is not None  # made at start, as the daemon's identify_ahead does
    tally.statements.clear()
    tally.writes = tally.reads = tally.brackets = 0
    result = run_post(publishing, post, accounts, clock, settings)
    assert result.kind == Outcome.SENT, result
    assert len(publisher.posts) == 16


def test_sqlite_one_write_transaction_before_the_first_request(tmp_path: Path) -> None:
    outbox = SqliteOutbox.open(tmp_path / "state")
    tally = Tally()
    connection = outbox._conn()  # this thread's: the job runs on it (Publishing without leases runs inline)

    def traced(statement: str) -> None:
        tally.statements.append(statement)
        if statement == "BEGIN IMMEDIATE":
            tally.writes += 1
        elif statement == "BEGIN":  # a read snapshot
            tally.reads += 1

    connection.set_trace_callback(traced)
    try:
        _run(outbox, None, tally)
    finally:
        connection.set_trace_callback(None)
        outbox.close()
    assert tally.at_first_request is not None
    writes, reads, statements, _ = tally.at_first_request
    print(f"SQLite before the first request: {writes} write and {reads} read transaction(s), {statements} statements")
    assert writes == 1  # begin(): freeze, the hold, the fragments and the `sending` mark; one group commit


def _counting(db: Any, tally: Tally) -> Callable[..., Any]:
    original = db._run_on
    lock = threading.Lock()

    def run_on(connection: Any, body: Callable[[Query], Any], *, write: bool, single: bool = False) -> Any:
        with lock:
            if write:
                tally.writes += 1
            else:
                tally.reads += 1
            if not single:  # BEGIN and COMMIT: a round trip each
                tally.brackets += 1

        def counted(q: Query) -> Any:
            def query(sql: str, params: Sequence[object] = ()) -> Result:
                with lock:
                    tally.statements.append(sql)
                return q(sql, params)

            return body(query)

        return original(connection, counted, write=write, single=single)

    return run_on


def test_postgres_transactions_and_round_trips_before_the_first_request(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.store.postgres import PostgresOutbox

    store = PostgresOutbox.open(pg_url)
    tally = Tally()
    monkeypatch.setattr(store._db, "_run_on", _counting(store._db, tally))
    try:
        _run(store, store, tally)
    finally:
        store.close()
    assert tally.at_first_request is not None
    writes, reads, statements, brackets = tally.at_first_request
    trips = statements + 2 * brackets
    print(
        f"PostgreSQL before the first request: {writes} write and {reads} read transaction(s), {statements} "
        f"statements, {trips} round trips"
    )
    # bot_fire: the lease, the freeze and the `sending` mark in one statement, its own transaction, flushed once
    assert (writes, reads, statements, brackets) == (1, 0, 1, 0)
    assert trips == 1  # was 47 (3 writes, 7 reads, 27 statements), then 19
