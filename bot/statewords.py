"""The words a person reads for each state (status text, the HTML page); JSON keeps the values of bot/states.py."""

from __future__ import annotations

from collections.abc import Callable

from bot.i18n import N_, _, ngettext
from bot.states import FragmentState, PostState

_POST = {
    PostState.SCHEDULED: N_("scheduled"),
    PostState.PUBLISHING: N_("publishing"),
    PostState.SENT: N_("sent"),
    PostState.FAILED: N_("failed"),
    PostState.UNKNOWN: N_("unknown"),
    PostState.MISSED: N_("missed"),
    PostState.CONFLICT: N_("conflict"),
    PostState.HELD: N_("held"),
    PostState.REMOVED: N_("removed"),
    PostState.AWAITING: N_("awaiting approval"),
}
_FRAGMENT = {
    FragmentState.PENDING: N_("pending"),
    FragmentState.SENDING: N_("sending"),
    FragmentState.SENT: N_("sent"),
    FragmentState.FAILED: N_("failed"),
    FragmentState.UNKNOWN: N_("unknown"),
    FragmentState.MISSED: N_("missed"),
}


def post_state(state: str) -> str:
    """'scheduled' -> 'programada' in Spanish; a state this table does not know is shown as it is."""
    for table in (_POST, _FRAGMENT):
        if state in table:
            return _(table[state])  # type: ignore[index]
    return state


def count(state: str, n: int) -> str:
    """'2 scheduled' -> '2 programadas': how many posts are in `state` (the count line of `status`)."""
    words: dict[str, Callable[[int], str]] = {
        PostState.SCHEDULED: lambda n: ngettext("{n} scheduled", "{n} scheduled", n),
        PostState.PUBLISHING: lambda n: ngettext("{n} publishing", "{n} publishing", n),
        PostState.SENT: lambda n: ngettext("{n} sent", "{n} sent", n),
        PostState.FAILED: lambda n: ngettext("{n} failed", "{n} failed", n),
        PostState.UNKNOWN: lambda n: ngettext("{n} unknown", "{n} unknown", n),
        PostState.MISSED: lambda n: ngettext("{n} missed", "{n} missed", n),
        PostState.CONFLICT: lambda n: ngettext("{n} conflict", "{n} conflict", n),
        PostState.HELD: lambda n: ngettext("{n} held", "{n} held", n),
        PostState.REMOVED: lambda n: ngettext("{n} removed", "{n} removed", n),
        PostState.AWAITING: lambda n: ngettext("{n} awaiting approval", "{n} awaiting approval", n),
    }
    word = words.get(state)
    return word(n).format(n=n) if word is not None else f"{n} {state}"
