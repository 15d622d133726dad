"""Templates by audience: one staff base holds staff.css, breadcrumbs and the reports table;
GOV.UK partials are shared by staff and family pages."""

from __future__ import annotations

from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from markupsafe import Markup

from tracker import i18n
from tracker.settings import PROJECT_ROOT
from tracker.web import jinja_environment

TEMPLATES = PROJECT_ROOT / "templates"
STAFF_PAGES = sorted(p for p in (TEMPLATES / "staff").glob("*.html")
                     if p.name not in {"base.html", "auth_macros.html"})


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_every_staff_page_extends_the_staff_base():
    assert len(STAFF_PAGES) >= 21
    for page in STAFF_PAGES:
        assert _text(page).startswith('{% extends "staff/base.html" %}'), page.name


def test_staff_css_is_linked_once_in_the_staff_base():
    linking = [p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.html")
               if "staff.css" in _text(p)]
    assert linking == ["staff/base.html"]


def test_breadcrumbs_and_reports_tables_are_written_once():
    for marker in ('class="govuk-breadcrumbs"', "govuk-table__header\">Professional<"):
        holders = [p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.html")
                   if marker in _text(p)]
        assert holders == ["staff/base.html"], marker


def test_the_error_summary_is_written_once_for_staff_and_family_pages():
    holders = sorted(p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.html")
                     if 'class="govuk-error-summary"' in _text(p))
    # Its own kind of summary: the refused fields are not on that page, so nothing to link to.
    holders.remove("staff/bad_request.html")
    assert holders == ["govuk/components.html"]
    assert "govuk/components.html" in _text(TEMPLATES / "family" / "plan.html")


def _summary(errors: dict[str, str], *, translate: bool, lang: str = "en") -> str:
    env = jinja_environment()
    page = env.from_string('{% from "govuk/components.html" import error_summary with context %}'
                           "{{ error_summary(errors, translate=translate) }}")
    return page.render(errors=errors, translate=translate, lang=lang)


def test_a_summary_can_say_what_happened_without_fields_to_link_to():
    env = jinja_environment()
    page = env.from_string('{% from "govuk/components.html" import error_summary %}'
                           '{{ error_summary({}, description="Your organisation said no") }}')
    html = page.render()
    assert "Your organisation said no" in html and "govuk-error-summary__list" not in html
    assert env.from_string('{% from "govuk/components.html" import error_summary %}'
                           "{{ error_summary({}) }}").render().strip() == ""


def test_a_staff_message_quoting_what_was_typed_is_escaped_in_the_summary():
    html = _summary({"name": "Nothing like <script>x</script> here"}, translate=False)
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert '<a href="#name">' in html and "There is a problem" in html


def test_the_shared_summary_reads_family_messages_from_the_members_catalogue(tmp_path,
                                                                            monkeypatch):
    locale = tmp_path / "locale"
    po = locale / "cy" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n'
                  '"Language: cy\\n"\n\n'
                  'msgid "There is a problem"\nmsgstr "Mae problem"\n\n'
                  'msgid "Error"\nmsgstr "Gwall"\n\n'
                  'msgid "Choose one"\nmsgstr "Dewiswch un"\n', encoding="utf-8")
    CommandLineInterface().run(["pybabel", "-q", "compile", "-d", str(locale)])
    monkeypatch.setattr(i18n, "LOCALE_DIR", locale)
    i18n.translations.cache_clear()
    i18n.language_used.cache_clear()
    try:
        html = _summary({"choice-3": "Choose one"}, translate=True, lang="cy")
        assert "Mae problem" in html and '<a href="#choice-3">Dewiswch un</a>' in html
        page = jinja_environment().from_string(
            '{% from "govuk/components.html" import error_message with context %}'
            "{{ error_message(errors, 'choice-3', translate=True) }}")
        assert "Gwall:</span> Dewiswch un" in page.render(errors={"choice-3": "Choose one"},
                                                          lang="cy")
    finally:
        i18n.translations.cache_clear()
        i18n.language_used.cache_clear()


def test_the_shared_button_carries_govuk_markup():
    env = jinja_environment()
    page = env.from_string('{% from "govuk/components.html" import button %}'
                           '{{ button("Stop", warning=True, name="choice", value="stop") }}')
    html = Markup(page.render())
    assert html == ('<button type="submit" name="choice" value="stop" '
                    'class="govuk-button govuk-button--warning" data-module="govuk-button">'
                    "Stop</button>")
