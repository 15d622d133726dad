"""The tone model beside the language rules: its data file is validated, it reads sentences no
rule explains, it sets aside a rule finding in a plainly neutral sentence, and it trains."""

import json

import pytest

from tracker.plans.common import PlanPolicy
from tracker.plans.language import TONE_RULE_ID, check_text, load_rules
from tracker.plans.language_tone import (
    TONE_SUGGESTION,
    ToneModel,
    default_model,
    features,
    load_model,
    model_from_json,
    tokens,
)
from tracker.plans.language_train import Example, Training, choose_threshold, choose_veto, train
from tracker.settings import Settings

# Blaming sentences no rule explains (each is checked to have no rule finding), that the
# bundled model reads as blame or deficit.
TONE_ONLY = [
    "The home smelt awful and there was rubbish everywhere.",
    "Dad is full of promises that come to nothing.",
    "Mum acts like the plan is a joke.",
    "Mum made it obvious she did not want us there.",
]
# Neutral plan sentences the model must leave alone.
NEUTRAL = [
    "Nan will pick Rosie up from after-school club on Wednesdays at 5pm.",
    "The school nurse will see Alfie on 12 March to check his hearing.",
    "Rosie said she would like her nan to come to the next meeting.",
    "What would help you to get Rosie to school on time each morning?",
    "Dad will ring the housing officer by Friday about the broken boiler.",
]


def _valid() -> dict:
    return {"format": "tracker-language-tone", "version": 1, "threshold": 0.8, "veto": 0.02,
            "bias": -1.0, "lexicons": {"person": ["mum"]}, "weights": {"u:shrug": 2.5}}


# ---------------------------------------------------------------- the data file


def test_the_bundled_model_loads_with_a_threshold_and_a_veto_in_range():
    model = load_model()
    assert 0.5 <= model.threshold < 1
    assert 0 <= model.veto <= 0.05
    assert len(model.weights) > 100
    assert model.lexicons["attitude_word"]


def test_a_valid_file_round_trips(tmp_path):
    path = tmp_path / "tone.json"
    path.write_text(json.dumps(_valid()), encoding="utf-8")
    model = load_model(path)
    assert model.threshold == 0.8 and model.veto == 0.02 and model.weights == {"u:shrug": 2.5}
    assert model_from_json(model.to_json()) == model


@pytest.mark.parametrize(("change", "message"), [
    ({"format": "something-else"}, "not a tone model"),
    ({"version": 2}, "version must be 1"),
    ({"weights": {}}, "weights must be a non-empty object"),
    ({"weights": {"u:shrug": "high"}}, "weights['u:shrug'] must be a number"),
    ({"weights": {"shrug": 1.0}}, "unknown feature 'shrug'"),
    ({"weights": {"u:shrug": float("nan")}}, "must be a number"),
    ({"threshold": 1.5}, "threshold must be a number from 0.0 to 1.0"),
    ({"threshold": None}, "threshold must be a number"),
    ({"bias": True}, "bias must be a number"),
    ({"veto": -0.1}, "veto must be a number"),
    ({"lexicons": {"person": "mum"}}, "lexicons.person must be a list"),
])
def test_a_bad_file_is_refused_with_a_clear_error(tmp_path, change, message):
    path = tmp_path / "tone.json"
    path.write_text(json.dumps(_valid() | change), encoding="utf-8")
    with pytest.raises(ValueError, match="tone.json") as caught:
        load_model(path)
    assert message in str(caught.value)


def test_a_file_that_is_not_json_or_missing_is_refused(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_model(broken)
    with pytest.raises(ValueError, match="cannot be read"):
        load_model(tmp_path / "missing.json")


def test_the_policy_reads_the_tone_path_and_off_means_rules_only(tmp_path):
    path = tmp_path / "tone.json"
    path.write_text(json.dumps(_valid()), encoding="utf-8")
    assert PlanPolicy.from_settings(Settings(language_tone_path=str(path))).tone == load_model(path)
    assert PlanPolicy.from_settings(Settings(language_tone_path="off")).tone is None
    assert PlanPolicy.from_settings(Settings()).tone == default_model()
    with pytest.raises(ValueError, match="not a tone model"):
        bad = tmp_path / "bad.json"
        bad.write_text("{}", encoding="utf-8")
        PlanPolicy.from_settings(Settings(language_tone_path=str(bad)))


# ---------------------------------------------------------------- features


def test_features_use_lemmas_hide_names_and_mark_constructs():
    lexicons = {"person": frozenset({"mum"}), "consequence": frozenset({"court"})}
    assert tokens("Mum didn't bother and Kayla refused.") == [
        "mum", "do", "not", "bother", "and", "<name>", "refuse"]
    found = features("If Mum doesn't go, we will go to court on 3 May?", lexicons)
    assert {"u:mum", "b:do_not", "lex:consequence", "c:person_not", "c:if_consequence",
            "c:when", "c:question"} <= found


# ---------------------------------------------------------------- in the check


@pytest.mark.parametrize("sentence", TONE_ONLY)
def test_blaming_sentences_no_rule_explains_flag_through_the_model(sentence):
    assert check_text(sentence, tone=None) == []
    findings = check_text(sentence)
    assert [(f.rule_id, f.construct, f.phrase) for f in findings] == [
        (TONE_RULE_ID, "tone", sentence)]
    assert findings[0].suggestion == TONE_SUGGESTION
    assert findings[0].suggestion.startswith("Consider")
    assert "what weighs most" in findings[0].why


@pytest.mark.parametrize("sentence", NEUTRAL)
def test_neutral_plan_sentences_do_not_flag(sentence):
    assert check_text(sentence) == []


def test_the_model_reads_each_sentence_and_keeps_rule_findings_where_the_rules_explain():
    text = f"{NEUTRAL[0]} {TONE_ONLY[0]}\nDad is unwilling to change."
    findings = check_text(text)
    assert [f.construct for f in findings] == ["tone", "attitude"]
    assert findings[0].phrase == TONE_ONLY[0]
    assert all(text[f.start:f.end] == f.phrase for f in findings)


def test_a_rule_finding_in_a_sentence_the_model_reads_as_plainly_neutral_is_set_aside():
    rules = load_rules()
    sentence = "Dad is unwilling to change."
    neutral = ToneModel(bias=-20.0, threshold=0.9, weights={"u:zzz": 1.0}, veto=0.05)
    blaming = ToneModel(bias=20.0, threshold=0.9, weights={"u:zzz": 1.0}, veto=0.05)
    assert check_text(sentence, rules, tone=neutral) == []
    assert [f.rule_id for f in check_text(sentence, rules, tone=blaming)] == [
        f.rule_id for f in check_text(sentence, rules, tone=None)]
    no_veto = ToneModel(bias=-20.0, threshold=0.9, weights={"u:zzz": 1.0}, veto=0.0)
    assert check_text(sentence, rules, tone=no_veto) == check_text(sentence, rules, tone=None)
    # A model that reads everything as blame flags what no rule explains, once per sentence.
    found = check_text("Nan will call on Monday. Rosie likes football.", rules, tone=blaming)
    assert [f.phrase for f in found] == ["Nan will call on Monday.", "Rosie likes football."]


# ---------------------------------------------------------------- training


def test_training_learns_the_words_of_each_side_and_chooses_its_cut_offs():
    blaming = ["Mum is lazy and selfish.", "Dad is lazy again.", "She is selfish and lazy.",
               "He was lazy at the visit."]
    neutral = ["Mum will ring school on Monday.", "Dad will ring the GP on Friday.",
               "Nan will ring on Tuesday.", "The school will ring Mum each week."]
    examples = [Example(s, 1, "a") for s in blaming] + [Example(s, 0, "b") for s in neutral]
    model = train(examples, {}, Training(epochs=30))
    assert model.weights["u:lazy"] > 0 > model.weights["u:ring"]
    assert model.score("Grandad is lazy.") > 0.5 > model.score("Grandad will ring on Monday.")
    scores = [model.score(e.sentence) for e in examples]
    assert choose_threshold(examples, scores, lambda s: False, 0.0) > max(scores[4:])
    assert choose_veto(examples, scores, lambda s: "lazy" in s) == pytest.approx(
        min(0.05, min(scores[:4])))
    assert choose_veto(examples, scores, lambda s: False) == 0.0
