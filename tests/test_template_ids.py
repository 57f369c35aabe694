"""Ids in pages are codes, not amounts: with USE_THOUSAND_SEPARATOR a template writes the
integer 1028 as "1,028" (en) or "1 028" (sv), and a form or link carrying it then names no row
(on PostgreSQL, whose sequences are shared by the whole suite, this hid the proposal list's
bulk checkboxes). Every id a template writes goes through ``stringformat``."""

import re
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

ROOT = Path(settings.BASE_DIR)
TEXT_IDS = {"entry_id"}  # the timesheet's own Entry ID: text, shown as it came
LOCALIZED_ID = re.compile(r"\{\{ ?[a-zA-Z_.]+\.(pk|[a-z_]+_id) ?(\|default:[^}|]*)?\}\}")


def test_no_template_writes_an_id_through_number_formatting():
    found = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path in ROOT.glob("**/templates/**/*.html")
        if ".venv" not in path.parts
        for match in LOCALIZED_ID.finditer(path.read_text(encoding="utf-8"))
        if match.group(1) not in TEXT_IDS
    ]
    assert not found, "\n".join(found)


def test_a_five_digit_id_stays_one_number_in_every_language():
    class Proposal:
        pk = 12345
        status = "draft"

    for language in ("en", "sv", "da"):
        with translation.override(language):
            html = render_to_string(
                "invoicing/proposals/_bulk_check.html",
                {"proposal": Proposal(), "perms": {"invoicing": {"change_invoiceproposal": True}}},
            )
        assert 'value="12345"' in html, (language, html)
