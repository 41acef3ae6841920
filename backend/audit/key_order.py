"""Which keys may still sign audit rows, walking the chain in order (part of ``audit verify``).

Every instance signs its audit rows with its current secret key. During a key rotation rows under
the old and the new key interleave (the instances restart one by one); once ``xinrong
rotate-keys`` has finished completely (a ``keys.rotate`` row, outcome success, phase finished,
complete), every instance runs with the new key, and the keys that signed rows before it are
retired. A later row signed with a retired key comes from an instance still running with the old
key (it cannot read what the rotation wrote) or from someone who holds the old key and wrote the
row themselves — old keys are kept for good to verify old rows, so that is what a leaked old key
would allow. Either way ``audit verify`` must say so. A key never seen before (the next rotation
being deployed) is not retired.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: The audit action of ``xinrong rotate-keys``.
ROTATION_ACTION = "keys.rotate"


def completes_rotation(action: str, outcome: str, subject_id: str | None, details: Any) -> bool:
    """Whether an audit row says a rotation to the key ``subject_id`` finished completely."""
    return (
        action == ROTATION_ACTION
        and outcome == "success"
        and subject_id is not None
        and isinstance(details, dict)
        and details.get("phase") == "finished"
        and details.get("complete") is True
    )


@dataclass
class RetiredKeys:
    """The keys retired so far in a walk of the chain, and the rotation that retired them."""

    seen: set[str] = field(default_factory=set)
    retired: set[str] = field(default_factory=set)
    rotated_to: str | None = None
    rotation_seq: int | None = None

    def problem(self, key_id: str) -> str | None:
        """Why a row signed with ``key_id`` cannot be right at this point, or None."""
        if key_id not in self.retired:
            return None
        return (
            f"signed with key {key_id}, retired when the rotation to key {self.rotated_to} "
            f"finished at seq {self.rotation_seq}: an instance still runs with the old key, "
            "or someone who holds it wrote this row"
        )

    def passed(
        self,
        *,
        seq: int,
        key_id: str,
        action: str,
        outcome: str,
        subject_id: str | None,
        details: Any,
    ) -> None:
        """Take in a verified row (call only once its MAC has been checked)."""
        self.seen.add(key_id)
        if subject_id is not None and completes_rotation(action, outcome, subject_id, details):
            self.retired |= self.seen - {subject_id}
            self.rotated_to, self.rotation_seq = subject_id, seq
