"""Family page text is ready for translation: the English catalogue is complete and compiled,
and a member's language picks its catalogue, falling back to English."""

from __future__ import annotations

import shutil
from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tracker import i18n
from tracker.settings import PROJECT_ROOT
from tracker.web import jinja_environment

EN_PO = PROJECT_ROOT / "locale" / "en" / "LC_MESSAGES" / "messages.po"
EN_MO = EN_PO.with_suffix(".mo")


def extracted(tmp_path: Path) -> set[str]:
    pot = tmp_path / "now.pot"
    CommandLineInterface().run(["pybabel", "-q", "extract", "-F", str(PROJECT_ROOT / "babel.cfg"), "-k", "N_",
                                "--no-location", "-o", str(pot), str(PROJECT_ROOT)])
    with pot.open("rb") as fh:
        return {m.id for m in read_po(fh) if m.id}


def test_every_family_text_is_in_the_english_catalogue_and_compiled(tmp_path):
    wanted = extracted(tmp_path)
    assert len(wanted) > 60
    with EN_PO.open("rb") as fh:
        po = {m.id: m.string for m in read_po(fh) if m.id}
    with EN_MO.open("rb") as fh:
        mo = {m.id for m in read_mo(fh) if m.id}
    missing = wanted - set(po)
    assert not missing, f"run `make translations`: {sorted(missing)[:5]}"
    assert all(po[m] for m in wanted), "English msgstrs are filled in"
    assert wanted <= mo, "run `make translations` to compile the catalogue"


def test_a_language_without_a_catalogue_falls_back_to_english():
    env = jinja_environment()
    assert i18n.language_used("cy") == "en"
    assert env.from_string("{{ _('Your steps') }}").render(lang="cy") == "Your steps"


def test_a_members_language_with_a_catalogue_is_used(tmp_path, monkeypatch):
    locale = tmp_path / "locale"
    shutil.copytree(PROJECT_ROOT / "locale", locale)
    po = locale / "cy" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n"Language: cy\\n"\n\n'
                  'msgid "Your steps"\nmsgstr "Eich camau"\n\n'
                  'msgid "Hello %(name)s"\nmsgstr "Helo %(name)s"\n', encoding="utf-8")
    CommandLineInterface().run(["pybabel", "-q", "compile", "-d", str(locale)])
    monkeypatch.setattr(i18n, "LOCALE_DIR", locale)
    i18n.translations.cache_clear()
    i18n.language_used.cache_clear()
    try:
        env = jinja_environment()
        page = env.from_string(
            "{{ _('Your steps') }} / {{ _('Hello %(name)s', name='<Jess>') }} / {{ _('Who to contact') }}")
        assert page.render(lang="cy") == "Eich camau / Helo &lt;Jess&gt; / Who to contact"
        assert i18n.language_used("cy") == "cy"
    finally:
        i18n.translations.cache_clear()
        i18n.language_used.cache_clear()


def test_several_childrens_names_read_as_a_sentence_never_a_comma_list():
    env = jinja_environment()
    page = env.from_string("{{ _('For %(names)s', names=children | names_in_language) }}")
    assert page.render(lang="en", children=["Rosie", "Alfie"]) == "For Rosie and Alfie"
    assert page.render(lang="en", children=["Rosie", "Alfie", "Baby"]) == "For Rosie, Alfie and Baby"
    assert page.render(lang="en", children=["Rosie"]) == "For Rosie"
