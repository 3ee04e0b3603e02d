"""What became of the answers a department sent: each reply's newest status from `contact.reply-status`, as
the department view shows it (in de wachtrij, verzonden, afgeleverd, gelezen, mislukt with the reason).
Pure and bounded.

A status may be read twice and the platforms' receipts may overtake the sender's own record; a reply's
state only moves forward (the contract's `advances`), so the view never shows a reply going back.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from services.contract import codec, replies

State = codec.ReplyState

# Dutch, as staff read it (the contract's states, in their order).
STATE_NAMES = {
    State.REPLY_STATE_QUEUED: "in de wachtrij",
    State.REPLY_STATE_SENT: "verzonden",
    State.REPLY_STATE_DELIVERED: "afgeleverd",
    State.REPLY_STATE_READ: "gelezen",
    State.REPLY_STATE_FAILED: "mislukt",
}
# How many replies the view remembers (all departments together) and shows per department.
REMEMBERED_REPLIES = 5_000
SHOWN_PER_DEPARTMENT = 25


@dataclass
class ReplySeen:
    reply_id: str
    conversation_id: str
    department: str
    channel: str
    author_role: str
    state: int
    explanation: str
    written_at: float  # when the reply was written (epoch seconds), or when it was first seen
    changed_at: float  # when it reached its newest state

    def as_row(self) -> dict:
        return {"reply_id": self.reply_id, "conversation_id": self.conversation_id, "channel": self.channel,
                "author_role": self.author_role, "state": codec.reply_state_label(self.state),
                "state_name": STATE_NAMES.get(self.state, ""), "explanation": self.explanation,
                "written_at": self.written_at, "changed_at": self.changed_at}


class ReplyBoard:
    """The newest status of the last REMEMBERED_REPLIES replies, by reply id."""

    def __init__(self, departments: frozenset[str], remembered: int = REMEMBERED_REPLIES) -> None:
        self.departments = departments
        self._limit = remembered
        self._replies: OrderedDict[str, ReplySeen] = OrderedDict()
        self._latest: dict[str, str] = {}  # conversation id -> the id of its newest reply (by time written)

    def apply(self, status: codec.ReplyStatus, department_now: str | None = None) -> set[str]:
        """A status read from the topic; the departments whose view changed. A webcare reply (no department
        of its own) shows with the department the conversation waits in (`department_now`)."""
        if status.state not in STATE_NAMES or not status.reply_id:
            return set()
        at = codec.epoch_seconds(status.at) if status.HasField("at") else 0.0
        seen = self._replies.get(status.reply_id)
        if seen is None:
            department = status.department if status.department in self.departments else (department_now or "")
            written = codec.epoch_seconds(status.reply_created_at) if status.HasField("reply_created_at") else at
            seen = ReplySeen(status.reply_id, status.conversation_id, department, codec.channel_label(status.channel),
                             codec.author_role_label(status.author_role), status.state, status.explanation,
                             written, at)
            self._replies[status.reply_id] = seen
            while len(self._replies) > self._limit:
                _, gone = self._replies.popitem(last=False)
                if self._latest.get(gone.conversation_id) == gone.reply_id:
                    del self._latest[gone.conversation_id]
        elif replies.advances(seen.state, status.state):
            seen.state, seen.changed_at = status.state, at
            seen.explanation = status.explanation
            self._replies.move_to_end(status.reply_id)
        else:
            return set()  # read again, or older news after newer: nothing changes
        newest = self._replies.get(self._latest.get(seen.conversation_id, ""))
        if newest is None or seen.written_at >= newest.written_at:
            self._latest[seen.conversation_id] = seen.reply_id
        return {seen.department} if seen.department else set()

    def of_department(self, department: str, limit: int = SHOWN_PER_DEPARTMENT) -> list[dict]:
        """The department's newest replies, the last changed first."""
        rows = []
        for seen in reversed(self._replies.values()):
            if seen.department == department:
                rows.append(seen.as_row())
                if len(rows) == limit:
                    break
        return rows

    def latest_of(self, conversation_id: str) -> ReplySeen | None:
        """The conversation's newest reply (shown beside a conversation that still waits)."""
        reply_id = self._latest.get(conversation_id)
        return self._replies.get(reply_id) if reply_id else None

    def __len__(self) -> int:
        return len(self._replies)
