"""Freezing a post's texts in the SQLite outbox, and adopting an edited text: each runs in the caller's
transaction."""

from __future__ import annotations

import sqlite3

from bot.i18n import _
from bot.model import Post
from bot.store.records import FreezeResult, OutboxError, texts_digest
from bot.store.sqlite_reads import iso as _iso


def freeze(db: sqlite3.Connection, post: Post, stamp: str) -> FreezeResult:
    """Record the post's fragment texts before anything is sent.

    - first time: the texts are stored ("new");
    - same texts as accepted before: nothing changes except unsent fragments' times ("same"); a
      conflict recorded earlier is cleared, since the text was restored;
    - different texts, nothing sent or in flight yet: the old fragments are replaced ("replaced");
    - different texts after publishing started (a fragment sending, sent or unknown): nothing is
      overwritten; the conflict is recorded on the post ("conflict").
    """
    key = (post.id, post.account.name)
    digest = texts_digest([f.text for f in post.fragments])
    row = db.execute("SELECT texts_digest FROM posts WHERE post_id = ? AND account = ?", key).fetchone()
    if row is None:
        db.execute(
            "INSERT INTO posts (post_id, account, scheduled_at, texts_digest, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (*key, _iso(post.at), digest, stamp, stamp),
        )
        insert_fragments(db, post, range(1, len(post.fragments) + 1), stamp)
        return FreezeResult("new")
    if row["texts_digest"] == digest:
        db.execute(
            "UPDATE posts SET scheduled_at = ?, conflict = NULL, updated_at = ? WHERE post_id = ? AND account = ?",
            (_iso(post.at), stamp, *key),
        )
        for fragment in post.fragments:
            db.execute(
                "UPDATE fragments SET at = ? WHERE post_id = ? AND account = ? AND idx = ?"
                " AND state IN ('pending', 'failed', 'missed')",
                (_iso(fragment.at), *key, fragment.index),
            )
        return FreezeResult("same")
    started = db.execute(
        "SELECT idx, state FROM fragments WHERE post_id = ? AND account = ?"
        " AND state IN ('sending', 'sent', 'unknown') ORDER BY idx LIMIT 1",
        key,
    ).fetchone()
    if started is not None:
        conflict = _(
            "the message changed after publishing started (fragment {index} is {state}); the frozen text was kept"
        ).format(index=started["idx"], state=started["state"])
        db.execute(
            "UPDATE posts SET conflict = ?, updated_at = ? WHERE post_id = ? AND account = ?",
            (conflict, stamp, *key),
        )
        return FreezeResult("conflict", conflict)
    db.execute("DELETE FROM fragments WHERE post_id = ? AND account = ?", key)
    db.execute(
        "UPDATE posts SET scheduled_at = ?, texts_digest = ?, conflict = NULL,"
        " standalone_from = NULL, next_at = NULL, updated_at = ? WHERE post_id = ? AND account = ?",
        (_iso(post.at), digest, stamp, *key),
    )
    insert_fragments(db, post, range(1, len(post.fragments) + 1), stamp)
    return FreezeResult("replaced")


def insert_fragments(db: sqlite3.Connection, post: Post, indexes: range | list[int], stamp: str) -> None:
    for index in indexes:
        fragment = post.fragments[index - 1]
        db.execute(
            "INSERT INTO fragments"
            " (post_id, account, idx, total, text, at, state, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
            (
                post.id,
                post.account.name,
                fragment.index,
                fragment.total,
                fragment.text,
                _iso(fragment.at),
                stamp,
                stamp,
            ),
        )


def accept_edit(db: sqlite3.Connection, post: Post, stamp: str) -> int:
    """Adopt the post's current texts for every fragment not yet sent; keep what was sent.

    Fragments that are sent, sending or unknown keep their frozen text (they may exist on the platform
    and are looked up by that text). The others take the text of the same index from `post`, back to
    pending with their attempts reset; fragments beyond the new count are dropped. The conflict is
    cleared and `post`'s texts become the accepted ones. Returns how many fragments now hold new text.
    Raises OutboxError when the post was never frozen.
    """
    key = (post.id, post.account.name)
    if db.execute("SELECT 1 FROM posts WHERE post_id = ? AND account = ?", key).fetchone() is None:
        raise OutboxError(f"post {post.id} for account {post.account.name} was never frozen")
    kept = {
        int(row["idx"])
        for row in db.execute(
            "SELECT idx FROM fragments WHERE post_id = ? AND account = ? AND state IN ('sending', 'sent', 'unknown')",
            key,
        )
    }
    db.execute(
        "DELETE FROM fragments WHERE post_id = ? AND account = ? AND state NOT IN ('sending', 'sent', 'unknown')",
        key,
    )
    replaced = [f.index for f in post.fragments if f.index not in kept]
    insert_fragments(db, post, replaced, stamp)
    db.execute(
        "UPDATE posts SET texts_digest = ?, conflict = NULL, scheduled_at = ?, updated_at = ?"
        " WHERE post_id = ? AND account = ?",
        (texts_digest([f.text for f in post.fragments]), _iso(post.at), stamp, *key),
    )
    return len(replaced)
