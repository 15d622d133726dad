"""Unit tests for the restorative language check and its TOML rules."""

from pathlib import Path

import pytest

from tracker.plans.language import (
    DEFAULT_RULES_PATH,
    Finding,
    LanguageRule,
    check_text,
    lemma_text,
    load_rules,
)

HERE = Path(__file__).parent

SEED_SCHOOL = (
    "I am really concerned you haven't been taking Rosie to school every day and this is "
    "having a huge impact on her education."
)
SEED_ENGAGEMENT = (
    "I am worried your lack of engagement means the children will continue to be at risk"
)


def sentences(name: str) -> list[str]:
    lines = (HERE / name).read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


NEUTRAL = sentences("language_neutral_sentences.txt")
FLAGGED = sentences("language_flag_sentences.txt")


def phrases(text: str, rules=None) -> list[str]:
    return [finding.phrase for finding in check_text(text, rules)]


def rule(id: str, pattern: str, unless: str | None = None) -> LanguageRule:
    return LanguageRule(id=id, pattern=pattern, why="w", suggestion="s", unless=unless)


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(body, encoding="utf-8")
    return path


# --- the seed's examples ---------------------------------------------------------------


def test_seed_school_example_is_flagged_from_the_worry_to_the_negation():
    assert phrases(SEED_SCHOOL) == ["I am really concerned you haven't been"]


def test_seed_engagement_example_flags_the_worry_and_the_lack_of_engagement():
    assert phrases(SEED_ENGAGEMENT) == ["I am worried your", "lack of engagement"]


def test_seed_reframes_are_not_flagged():
    reframes = [
        "Tell us what has caused you not to be able to bring Rosie to School on a regular "
        "basis? What help do you need to ensure Rosie attends every day or what do you think "
        "needs to happen to change this?",
        "What could you do that would reduce professionals' concerns to evidence you want "
        "things to be better?",
    ]
    for text in reframes:
        assert check_text(text) == []


# --- the sentence sets -----------------------------------------------------------------


def test_sentence_sets_are_big_enough_to_mean_something():
    assert len(NEUTRAL) >= 60
    assert len(FLAGGED) >= 40


@pytest.mark.parametrize("sentence", FLAGGED)
def test_every_blaming_sentence_is_flagged(sentence):
    assert check_text(sentence), sentence


def test_neutral_plan_sentences_raise_no_false_flags():
    false_flags = {s: phrases(s) for s in NEUTRAL if check_text(s)}
    assert false_flags == {}


# --- specific phrases ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mum failed to engage.", "Mum failed to engage"),
        ("Dad fails to attend.", "Dad fails to attend"),
        ("The school said the parents are failing to act.", "failing to"),
        ("Mum did not attend.", "did not attend"),
        ("Mum DNAs health visits.", "DNAs"),
        ("She is non compliant.", "non compliant"),
        ("He is unco-operative.", "unco-operative"),
        ("Mum refused.", "refused"),
        ("Dad will not co-operate.", "will not co-operate"),
        ("This shows poor parenting skills.", "poor parenting skills"),
        ("Mum cannot prioritise Rosie.", "cannot prioritise"),
        ("Dad's parenting is inadequate.", "parenting is inadequate"),
        ("You'd better be in.", "You'd better"),
        ("You could've rung.", "You could've"),
        ("It's her own fault.", "her own fault"),
        ("Dad has been blamed.", "blamed"),
        ("Unless you let us in, we will go to court.", "Unless you let us in, we will go to court"),
        ("Thresholds have been met.", "Thresholds"),
        ("Mum is a junkie.", "junkie"),
    ],
)
def test_common_deficit_phrasing_is_flagged_with_inflections(text, expected):
    assert phrases(text) == [expected]


def test_a_question_asking_what_help_you_need_is_not_an_instruction():
    assert check_text("What help do you need to get Rosie to school?") == []
    assert phrases("You need to get Rosie to school.") == ["You need to"]


def test_matching_ignores_case():
    assert phrases("MUM IS NON-COMPLIANT") == ["NON-COMPLIANT"]


def test_matches_are_word_bounded():
    # The rules' word bounds (the tone model reads the whole sentence: tests/plans/test_language_tone.py).
    assert check_text("Rosie is blameless; Dad is unaggressive; the hostiles film.", tone=None) == []


@pytest.mark.parametrize(
    "text",
    [
        "Rosie is not to blame for what happened.",
        "We will talk about this without blaming anyone.",
        "The social worker will arrange a DNA test.",
        "Dad will go to Alcoholics Anonymous.",
        "Keep alcoholic drinks out of reach.",
        "The baby sleeps lying on her back.",
        "The refuse collection is on Tuesdays.",
        "Buy a fire-resistant door.",
        "The infection was resistant to antibiotics.",
        "Keep the aggressive dog in the garden.",
        "Mum stood on the threshold of the door.",
        "Dad will not allow his brother into the house.",
        "The plan will minimise the risk to Rosie.",
    ],
)
def test_unless_and_narrow_patterns_avoid_false_flags_in_context(text):
    assert check_text(text) == []


def test_unless_only_excuses_the_overlapping_match():
    text = "Rosie is not to blame. Dad blamed Mum."
    assert phrases(text) == ["blamed"]


# --- findings and offsets --------------------------------------------------------------


def test_offsets_index_the_given_text():
    text = "Notes. 😊 Mum was hostile and   Dad DNA’d twice; you never call back."
    findings = check_text(text)
    assert [f.phrase for f in findings] == ["hostile", "DNA’d", "you never"]
    for finding in findings:
        assert text[finding.start : finding.end] == finding.phrase


def test_findings_are_sorted_by_start_and_never_overlap():
    findings = check_text(SEED_ENGAGEMENT + " Dad is in denial and uncooperative. " + SEED_SCHOOL)
    starts = [f.start for f in findings]
    assert starts == sorted(starts)
    for before, after in zip(findings, findings[1:], strict=False):
        assert before.end <= after.start


def test_longest_match_wins_when_rules_overlap():
    rules = [rule("short", "failed to"), rule("long", "mum failed to engage")]
    findings = check_text("Mum failed to engage.", rules)
    assert [(f.rule_id, f.phrase) for f in findings] == [("long", "Mum failed to engage")]


def test_on_equal_length_the_earlier_match_wins():
    rules = [rule("right", "to engage"), rule("left", "failed to")]
    assert [f.phrase for f in check_text("Mum failed to engage", rules)] == ["failed to"]


def test_finding_carries_why_and_a_question_or_invitation():
    (finding,) = check_text("The family did not attend.")
    assert finding.rule_id == "did_not_attend"
    assert finding.why
    assert "?" in finding.suggestion


def test_finding_to_dict_gives_offsets_phrase_why_and_suggestion():
    finding = Finding(start=4, end=11, phrase="hostile", why="w", suggestion="s", rule_id="r")
    assert finding.to_dict() == {
        "start": 4,
        "end": 11,
        "phrase": "hostile",
        "why": "w",
        "suggestion": "s",
        "rule_id": "r",
        "kind": "restorative",
        "construct": "other",
    }


def test_empty_text_has_no_findings():
    assert check_text("") == []


# --- the bundled rules -----------------------------------------------------------------


def test_bundled_rules_load_with_unique_ids_and_at_least_35_rules():
    rules = load_rules()
    assert len(rules) >= 35
    assert len({r.id for r in rules}) == len(rules)
    assert load_rules(DEFAULT_RULES_PATH) == rules


def test_every_bundled_suggestion_invites_rather_than_instructs():
    for r in load_rules():
        starts_inviting = r.suggestion.split()[0] in {
            "Ask:", "Ask", "Tell", "What", "Describe", "Say", "Start", "Focus", "Record",
            "Name", "Be",
        }
        assert "?" in r.suggestion or starts_inviting, r.id


def test_no_bundled_suggestion_uses_a_phrase_it_would_flag():
    for r in load_rules():
        assert check_text(r.suggestion) == [], r.id


# --- custom and malformed rule files ---------------------------------------------------


def test_a_local_authority_rules_file_replaces_the_bundled_rules(tmp_path):
    path = write(
        tmp_path,
        """
[[rule]]
id = "feckless"
pattern = 'feckless(?:ness)?'
why = "A judgement."
suggestion = "What happened?"
unless = 'not feckless'
""",
    )
    rules = load_rules(path)
    assert [r.id for r in rules] == ["feckless"]
    assert phrases("Such fecklessness, but Mum is not feckless.", rules) == ["fecklessness"]
    assert check_text("Dad failed to attend.", rules) == []


@pytest.mark.parametrize("missing", ["id", "pattern", "why", "suggestion"])
def test_a_rule_without_a_required_key_is_refused(tmp_path, missing):
    fields = {"id": "r1", "pattern": "blame", "why": "w", "suggestion": "s"}
    del fields[missing]
    body = "[[rule]]\n" + "".join(f'{k} = "{v}"\n' for k, v in fields.items())
    with pytest.raises(ValueError, match=f"missing {missing}"):
        load_rules(write(tmp_path, body))


def test_a_rule_with_a_blank_why_is_refused_naming_the_rule(tmp_path):
    body = '[[rule]]\nid = "r1"\npattern = "x"\nwhy = " "\nsuggestion = "s"\n'
    with pytest.raises(ValueError, match="'r1' is missing why"):
        load_rules(write(tmp_path, body))


def test_a_rule_whose_regex_does_not_compile_is_refused_naming_the_rule(tmp_path):
    body = "[[rule]]\nid = \"broken\"\npattern = 'fail(ed'\nwhy = \"w\"\nsuggestion = \"s\"\n"
    with pytest.raises(ValueError, match="'broken': pattern is not a valid regex"):
        load_rules(write(tmp_path, body))


def test_a_rule_whose_unless_does_not_compile_is_refused(tmp_path):
    body = (
        "[[rule]]\nid = \"u\"\npattern = 'x'\nunless = '[x'\nwhy = \"w\"\nsuggestion = \"s\"\n"
    )
    with pytest.raises(ValueError, match="'u': unless is not a valid regex"):
        load_rules(write(tmp_path, body))


def test_a_rule_matching_empty_text_is_refused(tmp_path):
    body = "[[rule]]\nid = \"empty\"\npattern = 'x?'\nwhy = \"w\"\nsuggestion = \"s\"\n"
    with pytest.raises(ValueError, match="'empty': pattern matches empty text"):
        load_rules(write(tmp_path, body))


def test_a_misspelt_key_is_refused(tmp_path):
    body = '[[rule]]\nid = "r"\npattern = "x"\nwhy = "w"\nsuggestion = "s"\nunles = "y"\n'
    with pytest.raises(ValueError, match="unknown keys: unles"):
        load_rules(write(tmp_path, body))


def test_duplicate_rule_ids_are_refused(tmp_path):
    one = '[[rule]]\nid = "r"\npattern = "x"\nwhy = "w"\nsuggestion = "s"\n'
    with pytest.raises(ValueError, match="'r' appears more than once"):
        load_rules(write(tmp_path, one + one))


def test_a_file_that_is_not_toml_is_refused(tmp_path):
    with pytest.raises(ValueError, match="not valid TOML"):
        load_rules(write(tmp_path, "[[rule]\nid = "))


def test_a_file_without_rules_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"\[\[rule\]\]"):
        load_rules(write(tmp_path, 'title = "rules"\n'))


def test_a_rule_built_in_code_with_a_bad_regex_is_refused():
    with pytest.raises(ValueError, match="'bad'"):
        rule("bad", "(")


# --- constructs, lemmas and word lists --------------------------------------------------


def construct_sentences() -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    section = ""
    for raw in (HERE / "language_construct_sentences.txt").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("##"):
            section = line.lstrip("#").strip()
        elif line and not line.startswith("#"):
            sections.setdefault(section, []).append(line)
    return sections


CONSTRUCTS = construct_sentences()


def test_every_construct_has_sentences_and_there_are_neutral_ones():
    assert set(CONSTRUCTS) == {"attitude", "threat", "label", "power", "minimising", "neutral"}
    for name, rows in CONSTRUCTS.items():
        assert len(rows) >= 30, name


@pytest.mark.parametrize(
    ("construct", "sentence"),
    [(name, s) for name, rows in CONSTRUCTS.items() if name != "neutral" for s in rows],
)
def test_each_construct_is_recognised(construct, sentence):
    findings = check_text(sentence)
    assert findings, sentence
    for finding in findings:
        assert sentence[finding.start : finding.end] == finding.phrase


def test_construct_neutral_sentences_raise_no_findings():
    false_flags = {s: phrases(s) for s in CONSTRUCTS["neutral"] if check_text(s)}
    assert false_flags == {}


@pytest.mark.parametrize(
    ("text", "construct"),
    [
        ("Mum did not bother to ring.", "attitude"),
        ("If you don't come, we will have to go to court.", "threat"),
        ("Sort it out or we will escalate.", "threat"),
        ("The flat was filthy.", "label"),
        ("We will allow Dad to visit.", "power"),
        ("Rosie is just attention seeking.", "minimising"),
    ],
)
def test_findings_name_their_construct(text, construct):
    assert construct in {f.construct for f in check_text(text)}


@pytest.mark.parametrize(
    "text",
    [
        "Mum did not bother.", "Mum didn't bother.", "Mum doesn't bother.", "Mum never bothers.",
        "Mum hasn't bothered.", "Dad is unwilling.", "Dad was unwilling.", "Dad's been unwilling.",
        "They were unwilling.", "She has shown no motivation.", "She showed no motivation.",
        "She shows no motivation.",
    ],
)
def test_inflections_match_one_lemma_pattern(text):
    assert check_text(text), text


def test_lemma_text_spells_out_contractions_and_keeps_capitals():
    lt = lemma_text("Mum didn't bother; she's unwilling and can't be bothered.")
    assert lt.text == "Mum do not bother ; she be unwill and can not be bother ."


def test_lemma_offsets_map_back_to_the_text_as_written():
    text = "Honestly, Dad   hasn't   bothered with the kids."
    (finding,) = check_text(text)
    assert finding.phrase == text[finding.start : finding.end] == "hasn't   bothered"


def test_lemma_patterns_are_lemmatised_so_authors_may_write_inflected_words():
    rules = [LanguageRule(id="told", pattern="was told to", on="lemmas", why="w", suggestion="s")]
    assert phrases("Mum is told to leave. Dad has been told to go.", rules) == ["is told to", "been told to"]


def test_name_matches_capitalised_words_but_not_sentence_openers():
    rules = [LanguageRule(id="n", pattern="{Name} must", on="lemmas", why="w", suggestion="s")]
    assert phrases("Jess must go. What must happen? The school must open.", rules) == ["Jess must"]


def test_word_lists_are_used_as_named_alternatives(tmp_path):
    path = write(tmp_path, """
[words]
home = ["house", "flat"]

[[rule]]
id = "home_dirty"
on = "lemmas"
construct = "label"
pattern = '{home} be dirty'
why = "w"
suggestion = "What would help?"
""")
    rules = load_rules(path)
    assert phrases("The flat was dirty. The houses are dirty. The car is dirty.", rules) == [
        "flat was dirty", "houses are dirty"]
    assert rules[0].construct == "label"


def test_a_pattern_using_an_unknown_word_list_is_refused(tmp_path):
    body = "[[rule]]\nid = \"r\"\npattern = '{nope} x'\nwhy = \"w\"\nsuggestion = \"s\"\n"
    with pytest.raises(ValueError, match=r"'r': pattern uses \{nope\}"):
        load_rules(write(tmp_path, body))


def test_a_bad_word_list_or_match_target_is_refused(tmp_path):
    rule_body = "[[rule]]\nid = \"r\"\npattern = 'x'\nwhy = \"w\"\nsuggestion = \"s\"\n"
    with pytest.raises(ValueError, match="words.home must be a list"):
        load_rules(write(tmp_path, "[words]\nhome = []\n\n" + rule_body))
    with pytest.raises(ValueError, match="on must be one of"):
        load_rules(write(tmp_path, rule_body + 'on = "words"\n'))


def test_every_bundled_construct_rule_suggests_in_the_consider_voice():
    for r in load_rules():
        if r.construct != "other":
            assert r.suggestion.startswith("Consider") and "?" in r.suggestion, r.id


def test_simplemma_works_offline_from_its_own_data():
    # The wheel ships its dictionaries; nothing is fetched (the test suite runs offline too).
    import simplemma

    assert simplemma.lemmatize("bothered", lang="en") == "bother"
    assert simplemma.lemmatize("children", lang="en") == "child"


def test_a_long_text_is_checked_a_sentence_at_a_time_with_offsets_into_the_whole():
    sentences_ = CONSTRUCTS["attitude"][:20] + CONSTRUCTS["neutral"][:20]
    text = " ".join(sentences_) + "\nDad is volatile.\n\nMum did not bother."
    assert len(text) > 400
    findings = check_text(text)
    for finding in findings:
        assert text[finding.start : finding.end] == finding.phrase
    alone = [f.phrase for s in [*sentences_, "Dad is volatile.", "Mum did not bother."] for f in check_text(s)]
    assert len(alone) > 20
    assert [f.phrase for f in findings] == alone


# --- constructs added after held-out set 2 (own sentences, not the held-out ones) -------

NEW_CONSTRUCTS = {
    # threats put as what professionals will assume or conclude
    ("threat", "threat_assumption"): [
        "If Jade misses the next two contact sessions, we'll assume she no longer wants them.",
        "Should the parents fail to attend, professionals will conclude that they are not committed.",
        "Unless Mr Patel answers our calls this week, we would have to take that as a refusal.",
        "Any further missed visits will be taken as a sign that Dad has given up.",
        "Cancelling again would be seen as evidence that Mum does not want the support.",
        "We will assume you have decided not to take part if we don't hear from you.",
        "Not turning up would show us that you don't really care about the plan.",
    ],
    # threats of contact stopping or the police, direct or reported
    ("threat", "threat_contact_police"): [
        "We have told Mr Okafor that if he comes to the school gate again the police will be called.",
        "Ms Reid was informed that if she arrives under the influence, contact will be suspended.",
        "If there is another incident, family time with the twins will stop.",
        "Visits will be stopped if Dad brings his partner again.",
        "Next time Kerry shouts at staff, we will call the police.",
        "We made it very clear to Gran that if she lets him in, the placement would end.",
        "Unless the drinking stops, overnight stays will have to end.",
    ],
    # directive verbs of professional power
    ("power", "power_directive"): [
        "The social worker instructed Mrs Ahmed to stop all contact with her ex-partner.",
        "We have told Dad not to visit the house.",
        "The court ordered Ms Lewis to attend a parenting course.",
        "Mum has been told by the conference to move out of the flat.",
        "The parents were firmly instructed to keep the children away from Uncle Ray.",
        "Kyle's father is required to provide clean hair-strand tests.",
        "It is a requirement of the plan that Tom's mother stays away from Darren.",
        "We have made it clear to Mum that she must not let him stay over.",
        "The condition of contact is that Dad arrives sober.",
    ],
    # the child's experience explained away as normal
    ("minimising", "minimising_normalising"): [
        "Tia not eating at school is probably just a phase.",
        "Lots of teenage girls go through this, and she will grow out of it.",
        "Callum will soon grow out of it.",
        "Most toddlers get clingy at that age.",
        "Staying out late is normal for a fifteen-year-old.",
        "It's typical teenage stuff and nothing more.",
        "The arguing is something all siblings go through.",
    ],
    # the child assumed unaware or unaffected
    ("minimising", "minimising_unaware"): [
        "The children were in their bedroom so wouldn't have heard the row.",
        "Baby Mia was asleep at the time and would not have been affected.",
        "Noah slept through the whole thing.",
        "Jayden wouldn't have noticed anything because he was watching TV upstairs.",
        "Dad says the girls were blissfully unaware of the fighting.",
        "She could not have understood what was going on as she was only a baby.",
    ],
    # the child's account or views set aside
    ("minimising", "minimising_discounting"): [
        "Despite what Amelia told her teacher, there is no evidence that anything took place.",
        "Even though Kai says Dad hit him, this cannot be proved.",
        "There is nothing to suggest it really happened.",
        "Ellie's allegations remain uncorroborated.",
        "It is Harvey's word against his stepfather's.",
        "Sophie is only seven, so her views cannot be given much weight.",
        "He is just a child and what he wants should not decide where he lives.",
        "Little weight can be attached to what Finn says about his mum.",
        "At eight, she is too young to know what is best for her.",
    ],
}

NEW_CONSTRUCT_NEUTRAL = [
    # conditional plan steps, where "needs to" describes what the person will do
    "If Dad needs to change a contact time, he will text the family support worker the day before.",
    "When Mum needs to go to the hospital, Gran will collect the children from school.",
    "If Ms Reid is unwell, contact will be rearranged for the following week.",
    # "must" inside an agreement the family made
    "The children must be in bed by 8pm, and Mum and Dad have agreed to take turns with bedtime.",
    "Mum and Dad agreed together that the house must have a working smoke alarm by Friday.",
    # a parent's own words about what is hard
    "Dad said it is difficult to get to the clinic, so the nurse will visit at home instead.",
    "Mum told us it is hard to manage mornings, so the school will open breakfast club at 8am.",
    # safety plans and ordinary words
    "If Dad comes to the house, Mum will ring 999 and go to Gran's with the children.",
    "Sophie said she wants to see Dad every weekend, and her views will be shared at the review.",
    "Sam's weight and height will be checked by the health visitor every month.",
    "The health visitor said Ava's speech is normal for her age.",
    "Mum was not aware the appointment had moved because the letter went to her old address.",
    "Noah sleeps upstairs in his own room from 7.30pm.",
    "The social worker will tell Mum the date of the review by text.",
    "We asked Dad to bring Leo's red book to the next visit.",
    "Ruby told her teacher she is worried about her mum, and the teacher will meet Ruby each Monday.",
    "The next phase of the plan starts when the family moves to the new flat.",
]


@pytest.mark.parametrize(
    ("construct", "rule_id", "sentence"),
    [(c, r, s) for (c, r), rows in NEW_CONSTRUCTS.items() for s in rows],
)
def test_new_construct_families_are_recognised(construct, rule_id, sentence):
    findings = check_text(sentence)
    assert findings, sentence
    assert construct in {f.construct for f in findings}, (sentence, findings)
    for finding in findings:
        assert sentence[finding.start : finding.end] == finding.phrase


@pytest.mark.parametrize(("construct", "rule_id"), list(NEW_CONSTRUCTS))
def test_each_new_rule_recognises_most_of_its_own_family(construct, rule_id):
    rules = tuple(r for r in load_rules() if r.id == rule_id)
    assert len(rules) == 1
    rows = NEW_CONSTRUCTS[(construct, rule_id)]
    caught = [s for s in rows if check_text(s, rules)]
    assert len(caught) >= len(rows) - 1, set(rows) - set(caught)


@pytest.mark.parametrize("sentence", NEW_CONSTRUCT_NEUTRAL)
def test_new_construct_neutral_counter_examples_raise_no_findings(sentence):
    assert phrases(sentence) == []


def test_a_must_outside_an_agreement_is_still_power_wording():
    assert "power" in {f.construct for f in check_text("Dad must be sober when he has the boys.")}
    assert "power" in {f.construct for f in check_text("Mum needs to change her attitude.")}


# More of each family, in other words and tenses (own sentences).
FAMILY_VARIANTS = [
    ('power', 'The children may only see Dad when we say so.'),
    ('power', 'Mum can have the children overnight once we are satisfied the house is safe.'),
    ('threat', 'We have informed Mum that should she allow Mr Green into the house, an emergency '
               'strategy meeting will be held.'),
    ('threat', 'Dad has been reminded that if he misses another drug test we will have to review his contact.'),
    ('threat', "If the house isn't cleaned by Friday, we will take that as a sign nothing will change."),
    ('threat', 'Missing this appointment will be seen as you choosing not to work with us.'),
    ('threat', 'You were told that contact would stop if you turned up drunk.'),
    ('threat', "If Shannon won't let us in, we'll have to assume the children aren't safe."),
    ('threat', 'The police will be informed if Mr Jones comes near the school.'),
    ('threat', 'Unless Mum attends, visits with Kayden will be suspended.'),
    ('power', 'Mrs Lee has been instructed to keep the children away from her brother.'),
    ('power', 'Dad is not to have unsupervised contact until further notice.'),
    ('power', 'The social worker has told Ms Price that she is to move to the refuge.'),
    ('power', 'Mum was directed to attend the drug service.'),
    ('power', 'We have insisted that Dad leaves the family home.'),
    ('power', 'Ms Hunt has been ordered to stop contact with Mr Bell.'),
    ('power', 'The parents are required by the local authority to attend all core groups.'),
    ('power', 'Mum is under instruction to keep the house clean.'),
    ('power', 'Dad has been given strict instructions not to drink before contact.'),
    ('minimising', "It's just her age, she'll be fine."),
    ('minimising', "Tyler's anger is only a teenage thing."),
    ('minimising', 'All teenagers are moody at fifteen.'),
    ('minimising', 'Young children bounce back quickly from this kind of thing.'),
    ('minimising', 'The children were at school at the time, so they did not know about it.'),
    ('minimising', "Because he was so little, Archie won't remember the violence."),
    ('minimising', "They were in bed, so it's unlikely they heard anything."),
    ('minimising', 'The toddler was too young to understand what she saw.'),
    ('minimising', 'Though Rosie says she was hit, Mum denies it and there is no mark.'),
    ('minimising', "Olivia's account has changed several times so it cannot be relied on."),
    ('minimising', 'Evie is seven and cannot really know what she wants.'),
    ('minimising', 'At his age his wishes carry little weight.'),
    ('minimising', 'Noah says he wants to go home but he is too young to understand the risks.'),
]

MORE_NEUTRAL = [
    "Contact will move to Dad's flat when the social worker says it is safe.",
    'If we are happy that the boiler works, the plan will close.',
    'If Mum needs help with the school run, she will call Gran.',
    'When Dad needs to work late, Aunt Sue will pick the boys up.',
    'If the children are poorly, contact will move to the following Saturday.',
    'The police will visit the school on Monday to talk about online safety.',
    'If Mum feels unsafe, she will call the police on 999.',
    'Dad told the social worker that he wants to do a parenting course.',
    'The social worker will tell the school about the new pick-up arrangement.',
    "Jake's teacher told him to bring his PE kit on Tuesdays.",
    'Mum and Dad have agreed that the children must wear seatbelts in the car.',
    'Phase two of the kitchen repairs starts on 3 March.',
    'Ruby said she felt scared when Dad shouted, and her words will be read out at conference.',
    'Mum said it is hard to get the bus with the pram, so the worker will drive her to the clinic.',
    'The children sleep upstairs and Mum sleeps downstairs on the sofa bed.',
    'Leo is nine and wants to live with Dad; the social worker will talk to him about this each visit.',
    "There is no evidence of damp in the children's bedroom since the landlord fixed the roof.",
    'Dad must be at the contact centre by 10am, as he and the worker agreed.',
    "The school nurse will check Ellie's weight every half term.",
    'Mum was warned about the ice on the path by the housing officer.',
    'The contact centre closes at 5pm, so visits will end at 4.30pm.',
    'Mum will let the social worker know if she needs to change the visit.',
    'If the police are called to the house, the duty social worker will visit the next morning.',
    'Dad is required to show photo ID at the contact centre, like every visitor.',
    'We assume the review will be at the school unless Mum asks for somewhere else.',
    "Mia's views will be given weight at every review, and she will choose who takes them.",
    'The baby was asleep when the health visitor called, so she will come back on Thursday.',
    'Ayesha is seven and says she would like to see Nan more often.',
    'It is normal for children to feel nervous before a new school, so the teacher will meet Sam first.',
    "Zoe's advocate will help her write down what she wants to say.",
    'Mum told Leo to ring her if the bus is late.',
    'The court will decide on 12 May whether the supervision order continues.',
    'Dad has been told the date of the next review.',
    "If contact goes well for four weeks, it will move to Saturdays at Dad's flat.",
    'Mum has agreed with the school that Ella must be collected by an adult.',
    'Eli was at school during the visit, so the social worker will see him on Friday after school.',
    'The next stage of the plan is for Dad to have the children overnight.',
    "Charlie will stay at Nan's at weekends while Mum is in hospital.",
    'Gran said she would call the police if she ever feels unsafe.',
    'Kian does not remember his dad, and would like to see photos of him.',
    'Harry wants to play football on Saturdays and Dad will take him.',

]


@pytest.mark.parametrize(("construct", "sentence"), FAMILY_VARIANTS)
def test_family_variants_are_recognised_as_their_construct(construct, sentence):
    # The rules' constructs: with the tone model, a few of these read as plainly neutral and
    # its veto sets the rule finding aside (counted in docs/benchmarks.md).
    assert construct in {f.construct for f in check_text(sentence, tone=None)}, sentence


@pytest.mark.parametrize("sentence", MORE_NEUTRAL)
def test_more_neutral_plan_sentences_with_the_families_words_raise_no_findings(sentence):
    assert phrases(sentence) == []


# Families added after held-out set 3 (own sentences, none from any held-out file): each rule
# id with variants in other words, tenses and orders, and neutral sentences using its words.
SET3_FAMILIES = {
    ("threat", "threat_passive_removal"): [
        "If Dad turns up late again, the Saturday visits will be stopped.",
        "Should Ms Khan miss any further appointments, her case will be referred back to court.",
        "One more missed drug test and contact will be moved to supervised.",
        "Any further incidents will be reviewed by the court.",
        "If the children are kept off school once more, the arrangement will be ended.",
        "Overnight stays will be withdrawn if Mum lets Mr Hall into the house again.",
        "If Shane keeps drinking before contact, his visits are going to be cut back.",
        "Next time Mum misses a core group, the matter will be escalated.",
        "The family time sessions will be cancelled for good if Dad shouts at staff again.",
    ],
    ("power", "power_grant_permission"): [
        "We have given Dad permission to take Lily to the seaside on Sunday.",
        "The social worker has agreed to let Mum have the children for tea on Wednesdays.",
        "Mum is now permitted to collect the boys from school.",
        "We are happy for Dad to have the girls overnight from next month.",
        "The conference granted Mrs Doyle permission to move back in with her partner.",
        "Dad has been given the go-ahead to start overnight stays.",
        "Mum and Dad are allowed to see Jack on Saturdays.",
        "We decided to allow the parents to take the baby to the family wedding.",
        "Mr Osei has our permission to attend the school play.",
    ],
    ("minimising", "minimising_all_children_say"): [
        "Maya says she is frightened of Dad, but lots of kids say that when they want their own way.",
        "All teenagers say that about their parents at some point.",
        "Children say things like that after a row.",
        "That is just what kids say when they don't want to go to bed.",
        "Harvey says that about every teacher he has had.",
        "Most children come out with that kind of thing.",
        "Kids will say anything to get out of school.",
        "Amira says the same thing to everyone.",
        "Kids always say they hate their stepdad.",
    ],
    ("minimising", "minimising_risk_pattern"): [
        "Jordan ran off last night but he usually turns up in the morning.",
        "She always comes home in the end, so we are not worried.",
        "Kyle stays out until 3am, but nothing bad has happened yet.",
        "So far nothing has gone wrong when Mum leaves them with her boyfriend.",
        "There is no serious risk as long as Nan is nearby.",
        "Tom is not really at risk when he goes missing because he goes to his friend's.",
        "He has always been fine before when Dad has been drinking.",
        "Mum says Freya is not actually in danger at the park at night.",
        "He goes missing a lot but nothing has ever happened to him.",
        "She comes back every time, so we don't need to worry.",
    ],
    ("minimising", "minimising_no_harm"): [
        "A few smacks never did me any harm.",
        "It did the children no harm to hear the arguments.",
        "Sleeping in the car for one night didn't do Jade any real harm.",
        "A bit of shouting won't hurt him.",
        "There was no lasting damage from the night he was left alone.",
        "Being kept home from school for a week did not do her much harm.",
        "A tap on the hand never hurt anyone.",
        "Ollie seems none the worse for being left at the park.",
    ],
}

SET3_NEUTRAL = [
    # a parent's own report of difficulty, and a reason for help: not minimising the child
    "Mum says it is hard to get Leo to sleep, so the health visitor will bring a sleep chart on Monday.",
    "Dad told us it is difficult to reach the contact centre by bus, so a taxi is booked each Saturday.",
    "Nan explained that it can be a struggle to cook on one ring, and the housing officer will fit a cooker.",
    "Gran finds it hard to get upstairs, so the children's beds will move downstairs this week.",
    # a must about a concrete care or safety step, with a record
    "Carers must give Amir his inhaler at 8am and 8pm and write each dose on the chart.",
    "Foster carers must store the sharps box on the top shelf of the kitchen cupboard.",
    "Dad must fit the stair gate before the baby stays overnight, and the worker will check it.",
    "Staff must log each dose of Poppy's insulin in the record sheet.",
    "Carers must record each night's sleep in the diary.",
    # cancellations and endings that are plans, not threats
    "If Mum is unwell, the session will be cancelled and rearranged for the same week.",
    "If the bus strike goes ahead again, the visit will be moved to the family centre.",
    "The support visits will be reduced to fortnightly if things keep going well, as agreed.",
    "The contact centre closes at 5pm, so the session will end at 4.30pm.",
    # parents or others granting permission; a child allowed by a parent
    "Mum has given permission for the school to share Ava's attendance with the social worker.",
    "Dad signed the consent form so the school trip can go ahead.",
    "The landlord has given permission for a stair gate to be fitted.",
    "Sam is allowed to play out until 7pm, as agreed with his mum.",
    "Mum has agreed to let Ellie go to the sleepover at her friend's.",
    # children's words recorded, not dismissed
    "The children say that they enjoy the Tuesday football club.",
    "All the children said they would like more time with Nan.",
    "Kids at the youth club say things are better since the new worker started.",
    "Ruby says the same about school: she wants to sit near her friend.",
    # risk and harm described, not minimised
    "Dad always turns up on time for contact and brings a snack for the boys.",
    "Dad always comes home at 6pm, so he can do bedtime.",
    "Zara always comes home by 9pm on school nights, as she and Mum agreed.",
    "Nothing has happened since the last review to change the safety plan.",
    "The fire in the kitchen caused no lasting damage to the flat.",
    "The social worker will complete a risk assessment before the overnight stays.",
    "There is no serious risk of damp in the new flat, the surveyor says.",
    "Mum says Dad did not hurt him, and the social worker will talk with Leo on his own.",
]


@pytest.mark.parametrize(
    ("construct", "rule_id", "sentence"),
    [(c, r, s) for (c, r), rows in SET3_FAMILIES.items() for s in rows],
)
def test_set3_families_are_recognised_as_their_construct(construct, rule_id, sentence):
    findings = check_text(sentence, tone=None)  # the rules' constructs (see above)
    assert construct in {f.construct for f in findings}, (sentence, findings)
    for finding in findings:
        assert sentence[finding.start : finding.end] == finding.phrase


@pytest.mark.parametrize(("construct", "rule_id"), list(SET3_FAMILIES))
def test_each_set3_rule_recognises_its_own_family(construct, rule_id):
    rules = tuple(r for r in load_rules() if r.id == rule_id)
    assert len(rules) == 1
    rows = SET3_FAMILIES[(construct, rule_id)]
    caught = [s for s in rows if check_text(s, rules)]
    assert len(caught) >= len(rows) - 1, set(rows) - set(caught)


@pytest.mark.parametrize("sentence", SET3_NEUTRAL)
def test_set3_neutral_counter_examples_raise_no_findings(sentence):
    assert phrases(sentence) == []


def test_must_about_engaging_or_accepting_is_still_power_even_beside_a_care_task():
    for sentence in ("Mum must engage with the drug service.",
                     "Dad must comply with the plan and keep the medication locked away.",
                     "Carers must accept the social worker's decision."):
        assert "power" in {f.construct for f in check_text(sentence)}, sentence


def test_set3_suggestions_are_invitations_in_the_consider_voice():
    ids = {rule_id for _, rule_id in SET3_FAMILIES}
    for rule in load_rules():
        if rule.id in ids:
            assert rule.suggestion.startswith("Consider "), rule.id
            assert "?" in rule.suggestion, rule.id
