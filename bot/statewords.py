"""The words a person reads for each state (status text, the HTML page); JSON keeps the values of bot/states.py."""

from __future__ import annotations

from bot.i18n import N_, _
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
