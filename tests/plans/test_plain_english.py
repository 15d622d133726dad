"""Unit tests for the plain-English check of what a family member will read."""

from pathlib import Path

import pytest

from tracker.plans.plain_english import (
    DEFAULT_TERMS_PATH,
    check_wording,
    jargon_findings,
    load_terms,
    plain_english_findings,
    reading_age,
    syllables,
)


def kinds(text: str) -> list[tuple[str, str, str]]:
    return [(f["kind"], f["rule_id"], f["phrase"]) for f in check_wording(text, "family")["findings"]]


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("The ICPC is on Monday.", "ICPC"),
        ("The RCPC will be in March.", "RCPC"),
        ("Rosie is on a CIN plan.", "CIN"),
        ("Rosie has a CP plan.", "CP plan"),
        ("A s47 enquiry was started.", "s47"),
        ("Rosie is LAC.", "LAC"),
        ("The core group meets on Tuesday.", "core group"),
        ("Jess will engage with the family hub.", "engage"),
        ("Jess engaged well.", "engaged"),
        ("There may be disguised compliance.", "disguised compliance"),
        ("The PLO letter will be sent.", "PLO"),
        ("Sam will liaise with the school.", "liaise"),
    ],
)
def test_jargon_and_acronyms_are_found_with_a_plain_alternative(text, term):
    (finding,) = jargon_findings(text)
    assert finding.phrase == term
    assert finding.kind == "jargon"
    assert finding.suggestion.startswith("Consider plain words: ")


def test_acronyms_match_only_in_capitals():
    assert jargon_findings("Cinema trip on Friday; the lac of the dress.") == []


def test_syllables_follow_vowel_groups_with_silent_e():
    assert [syllables(w) for w in ["school", "take", "Rosie", "every", "little", "20", "appointment"]] == [
        1, 1, 2, 3, 2, 1, 3]


def test_reading_age_is_low_for_plain_words_and_high_for_professional_prose():
    assert reading_age("You will walk Rosie to school. Sam will ring you on Monday.") <= 9
    dense = ("Professionals will facilitate multi-agency collaboration to ascertain the "
             "effectiveness of therapeutic interventions regarding parental capacity.")
    assert reading_age(dense) >= 16
    assert reading_age("") is None


def test_a_hard_text_gets_a_reading_age_finding_on_its_hardest_sentence():
    text = ("Sam will visit on Monday. The allocated practitioner will undertake comprehensive "
            "assessments of the household's functioning utilising standardised methodologies.")
    findings = [f for f in plain_english_findings(text) if f.rule_id == "reading_age"]
    assert len(findings) == 1
    assert findings[0].phrase.startswith("The allocated practitioner")
    assert "Reading age about" in findings[0].why


def test_a_short_text_gets_no_reading_age_finding():
    assert [f for f in plain_english_findings("Attendance improves.") if f.rule_id == "reading_age"] == []


def test_long_sentences_are_found():
    long = " ".join(["Jess will take Rosie to school"] * 5) + "."
    (finding,) = [f for f in plain_english_findings(long) if f.rule_id == "long_sentence"]
    assert finding.phrase == long
    assert "30 words" in finding.why


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("Mum to engage with services.", "Mum"),
        ("How we will know: Mum engages", "Mum"),
        ("Dad will take Rosie to football.", "Dad"),
        ("Mum and Dad will come to the meeting.", "Mum and Dad"),
        ("Rosie will be on time. Parents to ring the school if she is ill.", "Parents"),
    ],
)
def test_the_reader_named_in_the_third_person_is_found(text, phrase):
    found = [f.phrase for f in plain_english_findings(text) if f.rule_id == "third_person"]
    assert found == [phrase]


@pytest.mark.parametrize("text", ["You will walk Rosie to school.", "Rosie will see her mum on Saturday.",
                                  "Mum's car will be fixed by Friday."])
def test_speaking_to_the_reader_is_fine(text):
    assert [f for f in plain_english_findings(text) if f.rule_id == "third_person"] == []


def test_check_wording_for_a_family_carries_every_kind_and_a_reading_age():
    result = check_wording("Mum to engage with the core group or we will escalate to court.", "family")
    assert isinstance(result["reading_age"], int)
    assert {f["kind"] for f in result["findings"]} == {"restorative", "jargon", "plain_english"}


def test_check_wording_for_professionals_is_the_restorative_check_only():
    result = check_wording("Mum to engage with the core group. Dad is unwilling.")
    assert set(result) == {"findings"}
    # The tone model reads "Mum to engage ..." as a demand on Mum (no rule names it).
    assert [(f["kind"], f["phrase"]) for f in result["findings"]] == [
        ("restorative", "Mum to engage with the core group."), ("restorative", "unwilling")]


def test_an_unknown_audience_is_refused():
    with pytest.raises(ValueError, match="audience"):
        check_wording("Hello", "chair")


def test_bundled_terms_load_with_unique_ids():
    terms = load_terms()
    assert len(terms) >= 25
    assert len({t.id for t in terms}) == len(terms)
    assert load_terms(DEFAULT_TERMS_PATH) == terms


def test_a_term_without_plain_words_is_refused(tmp_path: Path):
    path = tmp_path / "terms.toml"
    path.write_text('[[term]]\nid = "x"\npattern = "x"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="'x' is missing plain"):
        load_terms(path)


def test_a_term_with_an_unknown_key_or_bad_regex_is_refused(tmp_path: Path):
    path = tmp_path / "terms.toml"
    path.write_text('[[term]]\nid = "x"\npattern = "x"\nplain = "y"\nplian = "z"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="unknown keys: plian"):
        load_terms(path)
    path.write_text("[[term]]\nid = \"x\"\npattern = '(x'\nplain = \"y\"\n", encoding="utf-8")
    with pytest.raises(ValueError, match="'x': pattern is not a valid regex"):
        load_terms(path)


def test_a_local_authority_terms_file_replaces_the_bundled_list(tmp_path: Path):
    path = tmp_path / "terms.toml"
    path.write_text('[[term]]\nid = "tac"\npattern = "(?-i:TAC)"\nplain = "team around you"\n',
                    encoding="utf-8")
    terms = load_terms(path)
    assert [f.phrase for f in jargon_findings("The TAC and the core group", terms)] == ["TAC"]
