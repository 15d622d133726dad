"""Who among the professionals may read a family's words: the one rule, wherever words are shown.

Every family message (`plan_message`) and every progress note carries a visibility:

- `lead`: the family's lead professional only (and whoever wrote the words: a professional
  always sees their own reply). A family member's words are `lead` unless they chose
  "Everyone working with your family"; text replies are always `lead`.
- `core_group`: every professional who may see the family (`tracker.plans.access`).

There is no manager role in this product (roles are professional, chair, admin). Admins run
accounts and see every family's plan so they can fix records, but that is not a reason to read
what a mother told her social worker in confidence, so an admin reads lead-only words only where
they are the lead. Chairs likewise: the printed pre-review summary carries `core_group` words only.
When a manager role is added, this module is the one place that learns about it.

`can_read` is the rule for one row (a dict with `visibility`, `lead_id` and `author_user`);
`readable` filters rows with it. Queries select the family's lead as `lead_id` beside the row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from piccolo.columns import Column

from tracker.plans.tables import PlanMessage, ProgressUpdate

LEAD = "lead"
CORE_GROUP = "core_group"
VISIBILITIES = (LEAD, CORE_GROUP)
# The reader of a page that is printed or handed round (the pre-review summary) or a card anyone
# on the case may see: no one person, so it carries core-group words only, whoever opened it.
EVERYONE: int | None = None

# The family's choice, in their words; the lead's name and role fill the first.
LEAD_CHOICE = "Only {name}, your {role}"
LEAD_CHOICE_NO_NAME = "Only your lead professional"
CORE_GROUP_CHOICE = "Everyone working with your family"


def message_lead() -> Column:
    """Select this beside a plan_message row: its family's lead, as `lead_id`."""
    return PlanMessage.family.lead_professional.as_alias("lead_id")


def update_lead() -> Column:
    """Select this beside a progress_update row: its family's lead, as `lead_id`."""
    return ProgressUpdate.action._.plan._.family._.lead_professional.as_alias("lead_id")


def can_read(reader_id: int | None, words: Mapping[str, Any]) -> bool:
    """May this professional read these words? Assumes they may already see the family.

    `reader_id` is the professional's user id (None: nobody in particular, as for a printed
    page or a message to several people, which gets `core_group` words only).
    """
    if words.get("visibility") == CORE_GROUP:
        return True
    if reader_id is None:
        return False
    return reader_id in (words.get("lead_id"), words.get("author_user"))


def readable(reader_id: int | None, rows: Iterable[Mapping[str, Any]]) -> list[Any]:
    """The rows this professional may read, in their order."""
    return [r for r in rows if can_read(reader_id, r)]


def visibility_problem(value: str) -> str | None:
    """A field message when `value` is not a visibility, else None."""
    if value not in VISIBILITIES:
        return "Choose who can read this: only the lead professional, or everyone working with the family."
    return None
