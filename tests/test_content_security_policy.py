"""A Content-Security-Policy on every page that lets scripts run only from our own static files:
no inline <script> block, no inline event handler (onclick=, onsubmit=...), no eval."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from invoicing.invoices import posting
from tests.factories import UserFactory
from tests.invoicing.invoices.test_posting import approved_e1

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
JSON_DATA = re.compile(r"""type=["']application/(ld\+)?json["']""")
EVENT_HANDLER = re.compile(r"""\son[a-z]+\s*=\s*["']""", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"""=\s*["']\s*javascript:""", re.IGNORECASE)


def script_sources(response) -> list[str]:
    header = response.headers["Content-Security-Policy"]
    directives = dict(
        (part.strip().split(" ", 1) + [""])[:2] for part in header.split(";") if part.strip()
    )
    return directives.get("script-src", directives.get("default-src", "")).split()


def test_no_template_has_an_inline_script_or_event_handler():
    found = []
    for template in sorted(TEMPLATES.rglob("*.html")):
        text = template.read_text()
        name = template.relative_to(TEMPLATES)
        found += [
            f"{name}: {match.group(0)}"
            for match in INLINE_SCRIPT.finditer(text)
            if not JSON_DATA.search(match.group(0))
        ]
        found += [f"{name}: {m.group(0).strip()}" for m in EVENT_HANDLER.finditer(text)]
        found += [f"{name}: {m.group(0).strip()}" for m in JAVASCRIPT_URL.finditer(text)]
    assert found == []


@pytest.fixture
def people(db):
    return {
        "clerk": UserFactory(username="karin", role="finance_clerk"),
        "approver": UserFactory(username="lars", role="approver"),
        "admin": UserFactory(username="root", role="admin"),
    }


def test_every_page_has_the_policy_without_unsafe_inline_scripts(client, people):
    proposal = approved_e1(people)
    invoice = posting.invoice_post(proposal=proposal, actor=people["clerk"])
    pages = [reverse("login"), "/admin/login/", "/api/v1/schema/"]
    anonymous = [client.get(url) for url in pages]
    client.force_login(people["admin"])
    pages = [
        reverse("home"),
        reverse("contracts:contract_list"),
        proposal.contract.get_absolute_url(),
        reverse("invoicing:proposal_detail", args=[proposal.pk]),
        invoice.get_absolute_url(),
        reverse("invoicing:transaction_list"),
        reverse("invoicing:import_upload"),
        reverse("funding:contract_funding", args=[proposal.contract.pk]),
        "/billing/no-such-page/",
    ]
    responses = anonymous + [client.get(url) for url in pages]
    for response in responses:
        assert response.status_code in (200, 404), response
        sources = script_sources(response)
        assert sources == ["'self'"], (response.request["PATH_INFO"], sources)
    header = responses[2].headers["Content-Security-Policy"]
    assert "object-src 'none'" in header and "frame-ancestors 'none'" in header
    assert "unsafe-eval" not in header


def test_the_locked_out_page_has_the_policy_too(client, settings, db):
    settings.AXES_FAILURE_LIMIT = 1
    response = client.post(reverse("login"), {"username": "nobody", "password": "wrong"})
    assert response.status_code == 429
    assert script_sources(response) == ["'self'"]
