"""'Our plan' as a PDF (fpdf2, pure Python): the one-page copy a family member can keep.

The words are the family page's own (already scoped to the member and redacted). DejaVu Sans is
used when the machine has it, so any language's letters print; otherwise the PDF core font, with
letters it cannot show replaced.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from fpdf import FPDF

from tracker.i18n import format_day

FONT_PATHS = (Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),)
BOLD_PATHS = (Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),)


class _Page:
    """A PDF being written, with the few kinds of line the plan needs."""

    def __init__(self) -> None:
        self.pdf = FPDF(format="A4")
        self.pdf.set_margins(18, 18, 18)
        self.pdf.set_auto_page_break(True, margin=18)
        self.pdf.add_page()
        regular = next((p for p in FONT_PATHS if p.exists()), None)
        bold = next((p for p in BOLD_PATHS if p.exists()), None)
        if regular is not None and bold is not None:
            self.pdf.add_font("body", "", str(regular))
            self.pdf.add_font("body", "B", str(bold))
            self.font, self.unicode = "body", True
        else:
            self.font, self.unicode = "Helvetica", False

    def _text(self, text: str) -> str:
        if self.unicode:
            return text
        return text.encode("latin-1", "replace").decode("latin-1")

    def heading(self, text: str, size: int = 15) -> None:
        self.pdf.set_font(self.font, "B", size)
        self.pdf.multi_cell(0, size * 0.5, self._text(text), new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(1.5)

    def line(self, text: str, *, bold: bool = False) -> None:
        self.pdf.set_font(self.font, "B" if bold else "", 11)
        self.pdf.multi_cell(0, 5.5, self._text(text), new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(1)

    def gap(self) -> None:
        self.pdf.ln(3)


def _steps(page: _Page, data: dict[str, Any], lang: str) -> None:
    page.heading("Your steps", 13)
    for a in data["my_actions"]:
        page.line(a["description"], bold=True)
        if a.get("how_often"):
            page.line(f"How often: {a['how_often']}")
        if a.get("review_on"):
            page.line(f"We will look at how it is going by {format_day(a['review_on'], lang)}")
        elif a.get("due_on"):
            page.line(f"Do it by {format_day(a['due_on'], lang)}")
        if a.get("success_measure"):
            page.line(f"How we will know: {a['success_measure']}")
    if not data["my_actions"]:
        page.line("You have no steps on the plan right now.")
    page.gap()


def plan_pdf(data: dict[str, Any], *, authority_name: str, made_on: date, lang: str = "en") -> bytes:
    """The PDF's bytes for the words of "Our plan"."""
    page = _Page()
    page.heading("Our plan")
    page.line(f"A copy for {data['member_first_name']}, made on {format_day(made_on, lang)}. "
              f"From {authority_name}.")
    if data.get("plan_kind_title"):
        page.line(f"{data['plan_kind_title']} {data['plan_kind_meaning']}")
    page.gap()
    page.heading("What better looks like for your children", 13)
    for o in data["outcomes"]:
        if o["children"]:
            page.line("For " + ", ".join(o["children"]), bold=True)
        page.line(o["statement"])
        if o["measure"]:
            page.line(f"How we will know: {o['measure']}")
    page.gap()
    _steps(page, data, lang)
    page.heading("What the professionals will do", 13)
    for a in data["professional_actions"]:
        page.line(f"{a['owner_name']}: {a['description']}")
    page.gap()
    for title, key in (("What your children told us", "children_words"),
                       ("What you told us is going well", "family_strengths")):
        if data.get(key):
            page.heading(title, 13)
            page.line(data[key])
            page.gap()
    review = data["next_review"]
    page.heading("Your next meeting", 13)
    if review.get("on"):
        page.line(f"Your next review meeting is on or before {format_day(review['on'], lang)}.")
    else:
        page.line("The date of your next review meeting is not set yet. We will tell you.")
    lead = data.get("lead")
    if lead:
        page.heading("Who to contact", 13)
        page.line(f"{lead['name']}" + (f", {lead['phone']}" if lead.get("phone") else ""))
    page.line("If a child is in danger right now, call 999.")
    return bytes(page.pdf.output())
