"""A stalled billing run and a stalled import, as a clerk sees them, and the buttons that start
them again (screenshots in English and Swedish when SCREENSHOTS_DIR is set)."""

import datetime
import os
from pathlib import Path

import pytest
from django.utils import timezone

from invoicing.proposals.models import BillingRun
from invoicing.transactions.models import ImportBatch, ImportStatus
from tests.factories import ImportBatchFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def screenshot(page, name: str) -> None:
    if folder := os.environ.get("SCREENSHOTS_DIR"):
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("locale", ["en-GB", "sv-SE"])
def test_stalled_jobs_are_shown_and_started_again(browser, live_server, locale, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    clerk = UserFactory(username="karin", role="finance_clerk", password="secret-password-1")
    long_ago = timezone.now() - datetime.timedelta(hours=1)
    run = BillingRun.objects.create(
        created_by=clerk,
        up_to_date=datetime.date(2026, 3, 31),
        total_contracts=40,
        processed_contracts=4,
        heartbeat_at=long_ago,
    )
    batch = ImportBatchFactory(created_by=clerk, status=ImportStatus.IMPORTING)
    ImportBatch.objects.filter(pk=batch.pk).update(heartbeat_at=long_ago)
    context = browser.new_context(viewport={"width": 1200, "height": 800}, locale=locale)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "karin")
    page.fill("#id_password", "secret-password-1")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/billing/billing-runs/{run.pk}/")
    assert page.locator("#job-stopped").is_visible()
    screenshot(page, f"billing-run-stalled-{locale}")
    page.click("#job-stopped button[type=submit]")
    page.wait_for_selector(".alert-success")
    run.refresh_from_db()
    assert (run.status, run.attempts) == ("done", 2)

    page.goto(f"{live_server.url}/billing/imports/{batch.pk}/")
    assert page.locator("#job-stopped").is_visible()
    screenshot(page, f"import-stalled-{locale}")
    page.click("#job-stopped button[type=submit]")
    page.wait_for_load_state()
    batch.refresh_from_db()
    assert batch.attempts == 2 and batch.status != ImportStatus.IMPORTING
    screenshot(page, f"import-checked-again-{locale}")
    context.close()
