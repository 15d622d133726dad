"""SMART check for plan actions: the Specific, Measurable, Achievable, Relevant, Time-bound gaps."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from tracker.plans.routines import how_often as routine_how_often
from tracker.plans.routines import is_routine

SMART_LETTERS: tuple[str, ...] = ("specific", "measurable", "achievable", "relevant", "time_bound")

MIN_DESCRIPTION_WORDS = 4
"""Fewer words than this cannot say who does what, with whom and when."""

MIN_CONCRETE_WORDS_AFTER_VAGUE_VERB = 3
"""A vague verb is acceptable once this many concrete words say what it means in practice."""

# Verbs that name an attitude rather than a thing someone will do. Each allows its usual
# inflections. Multi-word entries ("work with") are matched as phrases.
_VAGUE_VERBS = (
    r"engag(?:e|es|ed|ing)",
    r"monitor(?:s|ed|ing)?",
    r"support(?:s|ed|ing)?",
    r"work(?:s|ed|ing)? (?:with|on|together)",
    r"address(?:es|ed|ing)?",
    r"look(?:s|ed|ing)? (?:at|into)",
    r"improv(?:e|es|ed|ing)",
    r"tr(?:y|ies|ied|ying) to",
    r"(?:be|being|is|are|remain|stay) aware",
    r"liais(?:e|es|ed|ing)",
    r"consider(?:s|ed|ing)?",
    r"continu(?:e|es|ed|ing) to",
    r"ensur(?:e|es|ed|ing)",
    r"encourag(?:e|es|ed|ing)",
    r"assist(?:s|ed|ing)?",
    r"help(?:s|ed|ing)?",
    r"explor(?:e|es|ed|ing)",
    r"review(?:s|ed|ing)?",
    r"promot(?:e|es|ed|ing)",
    r"maintain(?:s|ed|ing)?",
    r"keep(?:s|ing)? an eye on",
    r"cooperat(?:e|es|ed|ing)",
    r"co-operat(?:e|es|ed|ing)",
)

# A vague verb only counts when it is the action itself: at the start of the description
# or clause, or after a modal such as "will" / "to" ("Mum will engage", "Sam to monitor").
# This keeps nouns out: "Phone the health visitor to ask what support is available" is fine.
_VERB_POSITION = r"(?:^|[.;:,]\s*|\b(?:will|shall|to|must|should|can|and|or|then|please)\s+)"
_VAGUE_VERB_RE = re.compile(
    _VERB_POSITION + r"(?P<verb>(?:" + "|".join(_VAGUE_VERBS) + r"))\b", re.IGNORECASE
)

# Words that add no concrete content after a vague verb: function words, vague objects
# ("services", "the situation") and vague manner ("regularly", "as needed").
_NON_CONCRETE_WORDS = frozenset(
    """
    a an the and or but to of in on at for by with from into onto about as any all some
    this that these those it its they them their he him his she her hers we us our you your
    i me my mine themselves himself herself itself yourself ourselves
    will would shall should can could may might must be is are was were been being do does
    did have has had not so then there here if when where how what who which up out over
    services service situation professionals professional agencies agency things thing
    stuff plan plans issues issue concerns concern needs need matters family families
    support help work progress engagement change changes things
    regularly appropriately accordingly ongoing needed necessary required appropriate
    fully closely better well positively effectively generally properly more less
    again continue continues always every basis etc
    engage engages engaged engaging monitor monitors monitored monitoring improve
    improves improved improving address addresses addressed addressing liaise liaises
    liaised liaising consider considers considered considering try tries tried trying
    aware ensure ensures ensured ensuring encourage encourages encouraged encouraging
    assist assists assisted assisting explore explores explored exploring review reviews
    reviewed reviewing promote promotes promoted promoting maintain maintains maintained
    maintaining look looks looked looking keep keeps keeping eye cooperate cooperates
    cooperated cooperating co-operate co-operates co-operated co-operating works worked
    working supports supported supporting helps helped helping together
    """.split()
)

_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)

_WORD_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’-]*")

# Success measures that name a direction ("improved", "better") without saying how we
# will know. A measure that also has a number, frequency or record is fine.
_VAGUE_MEASURE_ONLY = re.compile(
    r"^(?:n/?a|none|tbc|tba|tbd|see above|as (?:needed|required|appropriate)|ongoing|"
    r"improve(?:d|ment)?s?|better|progress|positive (?:change|progress)|engagement|"
    r"good|sustained (?:change|improvement)|when (?:needed|necessary|appropriate)|"
    r"(?:things|it) (?:are|is|get|gets) better)[.!]?$",
    re.IGNORECASE,
)
_DIRECTION_WORDS = re.compile(
    r"\b(?:improv(?:e|es|ed|ement|ing)|better|increas(?:e|ed|es|ing)|reduc(?:e|ed|es|ing|tion)|"
    r"more|less|progress|engag(?:e|ed|es|ing|ement)|positive|appropriate(?:ly)?)\b",
    re.IGNORECASE,
)
_MEASURE_ANCHORS = re.compile(
    r"\d|%|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|every|each|all|no|none|"
    r"zero|daily|weekly|fortnightly|monthly|per|times|register|record(?:s|ed)?|log|"
    r"diary|chart|score|test|result|report(?:s|ed)?|minutes|attendance figures|"
    r"signed|confirm(?:s|ed)?|shown|seen|letter|appointment)\b",
    re.IGNORECASE,
)


# How often a routine happens: "each day", "every Monday", "weekly", "twice a week", "on
# Tuesdays". A frequency says how often, not by when: a routine action is SMART with a
# frequency, an owner, a measure and a date to review how it is going. (Routine steps as a
# stored kind of action come with the family-voice issue; until then this reads the text.)
_DAYS = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"
_PERIODS = (
    rf"(?:day|morning|afternoon|evening|night|bedtime|teatime|mealtime|lunchtime|week|weekday|"
    rf"weekend|fortnight|month|term|half[- ]term|school day|school morning|school night|visit|"
    rf"session|meeting|{_DAYS})"
)
_FREQUENCY_RE = re.compile(
    rf"\b(?:(?:every|each)(?: other| single)?(?: (?:\d+|two|three|four|six))? {_PERIODS}s?"
    rf"(?: and {_PERIODS}s?)?"
    rf"|(?:daily|nightly|weekly|fortnightly|monthly|weekdays)"
    rf"|(?:once|twice|three times|four times|five times|\d+ times) (?:a|per|each|every) "
    rf"(?:day|week|fortnight|month|term)"
    rf"|on (?:{_DAYS}s|weekdays|weekends|school days|school mornings|school nights)"
    rf"|(?:{_DAYS}|morning|evening|night)s(?= (?:at|from|after|before|and)\b)"
    rf"|at (?:bedtime|teatime|breakfast|lunchtime) (?:each|every) (?:day|night|evening))\b",
    re.IGNORECASE,
)


def frequency(description: str) -> str | None:
    """How often an action happens ("each day", "every Monday", "weekly"), or None."""
    match = _FREQUENCY_RE.search(description)
    return match.group(0) if match else None


@dataclass(frozen=True)
class ActionFacts:
    """What the SMART check needs to know about one action, as plain values."""

    description: str
    has_owner: bool
    success_measure: str | None
    has_outcome: bool
    due_on: date | None
    next_review_on: date | None
    owner_agreed: bool = True
    support_offered: str | None = None
    # A stored routine step: how often ("each_day", or "days" on repeat_days) and its
    # review-by date, which stands in for a due date.
    repeats: str = ""
    repeat_days: str = ""
    review_on: date | None = None


@dataclass(frozen=True)
class SmartGap:
    """One missing SMART quality and a short, restorative hint for putting it right."""

    letter: str  # "specific" | "measurable" | "achievable" | "relevant" | "time_bound"
    reason: str


@dataclass(frozen=True)
class SmartResult:
    """All SMART gaps found for one action, in S, M, A, R, T order, and its frequency when
    it is a routine."""

    gaps: tuple[SmartGap, ...]
    frequency: str | None = None

    @property
    def is_smart(self) -> bool:
        """True when no gap was found."""
        return not self.gaps

    @property
    def missing(self) -> tuple[str, ...]:
        """The letters with at least one gap, each once, in S, M, A, R, T order."""
        present = {gap.letter for gap in self.gaps}
        return tuple(letter for letter in SMART_LETTERS if letter in present)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view for templates and APIs."""
        return {
            "is_smart": self.is_smart,
            "missing": list(self.missing),
            "gaps": [{"letter": gap.letter, "reason": gap.reason} for gap in self.gaps],
            "routine": self.frequency is not None,
            "frequency": self.frequency,
        }


def _words(text: str) -> list[str]:
    return _WORD_RE.findall(text)


def _concrete_words(text: str) -> list[str]:
    return [w for w in _words(text) if w.lower().strip("'’") not in _NON_CONCRETE_WORDS]


def vague_verb(description: str) -> str | None:
    """The first vague verb used without concrete detail after it, or None.

    Heuristic: a vague verb ("engage", "monitor", "support", "work with", ...) in verb
    position must be followed by at least MIN_CONCRETE_WORDS_AFTER_VAGUE_VERB words that
    are not function words, vague objects ("services", "the situation", "the family",
    pronouns) or vague manner ("regularly", "as needed"). "Support Mum" and "Engage with
    services" fail; "Support Mum to book Rosie's dental appointment by phoning the
    surgery" passes.
    """
    for match in _VAGUE_VERB_RE.finditer(description):
        after = description[match.end() :]
        if len(_concrete_words(after)) < MIN_CONCRETE_WORDS_AFTER_VAGUE_VERB:
            return match.group("verb")
    return None


def _specific_gaps(facts: ActionFacts) -> list[SmartGap]:
    gaps: list[SmartGap] = []
    if not facts.has_owner:
        gaps.append(SmartGap("specific", "Name one owner, a professional or a family member."))
    description = facts.description.strip()
    if len(_words(description)) < MIN_DESCRIPTION_WORDS:
        gaps.append(
            SmartGap(
                "specific",
                "Say a little more: who will do what, with whom, and how often.",
            )
        )
        return gaps
    verb = vague_verb(description)
    if verb is not None:
        gaps.append(
            SmartGap(
                "specific",
                f"“{verb.lower()}” can mean many things: describe what will actually happen, "
                "with whom, and how often.",
            )
        )
    return gaps


def is_vague_measure(measure: str) -> bool:
    """True when a success measure says only that things will get better.

    Heuristic: fully vague phrases ("improvement", "as needed", "tbc") fail; so does a
    measure with a direction word ("improved", "more", "engagement") and no anchor
    (a number, a frequency such as "every"/"weekly", or a record such as "register").
    """
    text = measure.strip()
    if _VAGUE_MEASURE_ONLY.match(text):
        return True
    if not _concrete_words(text):
        return True
    return bool(_DIRECTION_WORDS.search(text)) and not _MEASURE_ANCHORS.search(text)


def _measurable_gaps(facts: ActionFacts) -> list[SmartGap]:
    measure = (facts.success_measure or "").strip()
    if not measure:
        return [SmartGap("measurable", "Agree how everyone will know it has happened.")]
    if is_vague_measure(measure):
        return [
            SmartGap(
                "measurable",
                "Say how we will know: a number, how often, or a record such as the school "
                "register.",
            )
        ]
    return []


def _achievable_gaps(facts: ActionFacts) -> list[SmartGap]:
    if facts.owner_agreed:
        return []
    reason = "Check with the owner that this feels doable and agree it with them"
    if not (facts.support_offered or "").strip():
        reason += ", including what help they will be offered"
    return [SmartGap("achievable", reason + ".")]


def _relevant_gaps(facts: ActionFacts) -> list[SmartGap]:
    if facts.has_outcome:
        return []
    return [
        SmartGap("relevant", "Link this to an outcome: what better will look like for the child.")
    ]


def _long_date(d: date) -> str:
    # Spelled out rather than strftime("%B"), which follows the process locale.
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


def _time_bound_gaps(facts: ActionFacts, how_often: str | None = None) -> list[SmartGap]:
    if facts.due_on is None and how_often is not None:
        # A routine's date is when everyone looks at how it is going, not a deadline.
        return [SmartGap("time_bound", f"“{how_often}” says how often, not for how long: agree "
                                       "a date to review how the routine is going, such as the "
                                       "next core group.")]
    if facts.due_on is None:
        return [SmartGap("time_bound", "Agree a date this will be done by.")]
    if facts.next_review_on is not None and facts.due_on > facts.next_review_on:
        review = _long_date(facts.next_review_on)
        return [
            SmartGap(
                "time_bound",
                f"Agree a due date on or before the next review ({review}) so progress can "
                "be shared there.",
            )
        ]
    return []


def _routine_time_gaps(facts: ActionFacts, how_often: str) -> list[SmartGap]:
    """A stored routine is time-bound by its review-by date, on or before the next review."""
    if facts.review_on is None:
        return [SmartGap("time_bound", f"“{how_often}” says how often, not for how long: agree "
                                       "a date to review how the routine is going, such as the "
                                       "next core group.")]
    if facts.next_review_on is not None and facts.review_on > facts.next_review_on:
        review = _long_date(facts.next_review_on)
        return [SmartGap("time_bound", f"Agree a review-by date on or before the next review "
                                       f"({review}) so how the routine is going can be shared "
                                       "there.")]
    return []


def check_action(facts: ActionFacts) -> SmartResult:
    """Check one action against SMART and return every gap found, in S, M, A, R, T order.

    A routine is SMART with a frequency, an owner, a measure and a review date. A stored
    routine step (repeats each day or on given weekdays) is time-bound by its review-by date;
    one whose description only says how often ("each day", "every Monday", "weekly") has
    its due date read as the date to review how it is going. Without one it is not
    time-bound.
    """
    stored = routine_how_often(facts.repeats, facts.repeat_days) if is_routine(facts.repeats) else None
    how_often = stored or frequency(facts.description)
    time_gaps = (_routine_time_gaps(facts, stored) if stored is not None
                 else _time_bound_gaps(facts, how_often))
    gaps = (
        _specific_gaps(facts)
        + _measurable_gaps(facts)
        + _achievable_gaps(facts)
        + _relevant_gaps(facts)
        + time_gaps
    )
    return SmartResult(gaps=tuple(gaps), frequency=how_often)
