"""Notifications: who is told of what, once, in their language; e-mail only after commit."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.db import transaction
from django.utils import translation

from collaboration import notifications
from collaboration.models import Notification, NotificationSettings
from collaboration.notification_kinds import MENTIONED
from collaboration.registry import notification_kinds
from collaboration.texts import notification_text
from contracts import services as contract_services
from contracts.notification_kinds import MILESTONE_COMPLETED
from invoicing.invoices import posting
from invoicing.notification_kinds import (
    AUTOMATION_FAILED,
    PROPOSAL_CREATED,
    THRESHOLD_AUTOMATION_FAILED,
    THRESHOLD_PROPOSAL_CREATED,
)
from invoicing.proposals import generation, workflow
from invoicing.proposals.notification_kinds import (
    PROPOSAL_APPROVED,
    PROPOSAL_REJECTED,
    PROPOSAL_SUBMITTED,
)
from invoicing.receivables.notification_kinds import INVOICE_OVERDUE
from invoicing.receivables.reminders import overdue_invoices_notify
from tests.factories import BillingRuleFactory, MilestoneFactory, UserFactory, WorkerFactory
from tests.invoicing.builders import DAY, contract_with_customer, hours

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def people(db):
    return {
        "clerk": UserFactory(username="karin", role="finance_clerk"),
        "second_clerk": UserFactory(username="nils", role="finance_clerk"),
        "approver": UserFactory(username="lars", role="approver"),
        "second_approver": UserFactory(username="eva", role="approver"),
        "manager": UserFactory(username="sofie", role="project_manager"),
        "reader": UserFactory(username="olle", role="read_only"),
    }


def kinds_for(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


# ------------------------------------------------------------------------------------------
# Texts
# ------------------------------------------------------------------------------------------


def test_text_is_rendered_in_the_readers_language_with_local_number_format():
    params = {"invoice": "INV-7", "customer": "Nordvind AB", "amount": "27500.00",
              "currency": "SEK", "due_date": "2026-05-01"}  # fmt: skip
    english = notification_text(INVOICE_OVERDUE, params)
    assert english.title == "Invoice INV-7 is overdue"
    assert "27,500.00 SEK" in english.body and "Nordvind AB" in english.body
    with translation.override("sv"):
        swedish = notification_text(INVOICE_OVERDUE, params)
    assert swedish.title == "Faktura INV-7 är förfallen"
    assert "27\xa0500,00 SEK" in swedish.body
    with translation.override("da"):
        danish = notification_text(INVOICE_OVERDUE, params)
    assert "27.500,00 SEK" in danish.body


def test_a_missing_parameter_shows_an_ellipsis_instead_of_failing():
    text = notification_text(PROPOSAL_APPROVED, {})
    assert text.title == "Approved: …"


def test_every_kind_has_a_text():
    every_kind = {MILESTONE_COMPLETED, PROPOSAL_CREATED, AUTOMATION_FAILED, PROPOSAL_SUBMITTED,
                  PROPOSAL_REJECTED, PROPOSAL_APPROVED, INVOICE_OVERDUE, MENTIONED,
                  THRESHOLD_PROPOSAL_CREATED, THRESHOLD_AUTOMATION_FAILED}  # fmt: skip
    assert {kind.key for kind in notification_kinds} == every_kind
    for key in every_kind:
        text = notification_text(key, {})
        assert text.title and text.body


# ------------------------------------------------------------------------------------------
# Sending
# ------------------------------------------------------------------------------------------


def test_the_actor_is_never_told_of_their_own_action(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        created = notifications.notifications_send(
            recipients=[people["clerk"], people["approver"]],
            kind=PROPOSAL_APPROVED,
            params={"proposal": "K-1 #1", "actor": "karin"},
            url="/billing/proposals/1/",
            actor=people["clerk"],
        )
    assert [item.recipient for item in created] == [people["approver"]]
    assert [message.to for message in mail.outbox] == [["lars@example.com"]]
    assert mail.outbox[0].subject == "Approved: K-1 #1"
    assert "http://127.0.0.1:8000/billing/proposals/1/" in mail.outbox[0].body


def test_email_goes_in_the_recipients_language_and_only_if_they_want_it(
    people, django_capture_on_commit_callbacks
):
    NotificationSettings.objects.create(user=people["approver"], language="sv")
    NotificationSettings.objects.create(user=people["second_approver"], email_enabled=False)
    with django_capture_on_commit_callbacks(execute=True):
        notifications.notifications_send(
            recipients=[people["approver"], people["second_approver"]],
            kind=PROPOSAL_APPROVED,
            params={"proposal": "K-1 #1", "actor": "karin"},
        )
    assert [message.subject for message in mail.outbox] == ["Godkänt: K-1 #1"]
    assert Notification.objects.filter(emailed_at__isnull=False).count() == 1
    assert Notification.objects.count() == 2  # both see it in the app


def test_nothing_is_emailed_when_the_action_is_rolled_back(
    people, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        notifications.notifications_send(
            recipients=[people["approver"]], kind=PROPOSAL_APPROVED, params={}
        )
        raise RuntimeError("the action failed")
    assert mail.outbox == []
    assert not Notification.objects.exists()


def test_an_event_notifies_each_person_once(people):
    for _run in range(2):
        notifications.notifications_send(
            recipients=[people["clerk"]],
            kind=INVOICE_OVERDUE,
            params={},
            event_key="invoice-overdue:1",
        )
    assert Notification.objects.filter(recipient=people["clerk"]).count() == 1


# ------------------------------------------------------------------------------------------
# The events
# ------------------------------------------------------------------------------------------


def test_completing_a_milestone_tells_finance(people):
    contract, _project, _source = contract_with_customer(code="M-1")
    milestone = MilestoneFactory(contract=contract, amount=D("1000.00"), description="Design")
    contract_services.milestone_complete(milestone=milestone, actor=people["manager"])
    assert kinds_for(people["clerk"]) == [MILESTONE_COMPLETED]
    assert kinds_for(people["second_clerk"]) == [MILESTONE_COMPLETED]
    assert kinds_for(people["approver"]) == kinds_for(people["manager"]) == []
    notice = Notification.objects.filter(recipient=people["clerk"]).get()
    assert notice.url == f"/contracts/{contract.pk}/billing/"
    text = notification_text(notice.kind, notice.params)
    assert text.body == "sofie completed milestone “Design” on contract M-1."


def submitted_proposal(people):
    contract, project, _source = contract_with_customer(code="E1")
    BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
    hours(project, WorkerFactory(sales_rate=D("100")), "10")
    [proposal] = generation.proposals_generate(
        contract=contract, up_to_date=DAY, actor=people["clerk"]
    )
    return workflow.proposal_submit(proposal=proposal, actor=people["clerk"])


def test_submitting_tells_the_approvers_with_the_gross_amount(people):
    proposal = submitted_proposal(people)
    for approver in (people["approver"], people["second_approver"]):
        assert kinds_for(approver) == [PROPOSAL_SUBMITTED]
    assert kinds_for(people["clerk"]) == kinds_for(people["reader"]) == []
    notice = Notification.objects.filter(recipient=people["approver"]).get()
    assert notice.url == proposal.get_absolute_url()
    assert notice.params["amount"] == "1250.00"  # 1,000.00 net + 25 % VAT


def test_rejecting_tells_the_submitter_why(people):
    proposal = submitted_proposal(people)
    workflow.proposal_reject(proposal=proposal, actor=people["approver"], reason="Wrong rate")
    [notice] = Notification.objects.filter(recipient=people["clerk"])
    assert notice.kind == PROPOSAL_REJECTED
    text = notification_text(notice.kind, notice.params)
    assert text.body == f"lars rejected proposal E1 · Customer · #{proposal.pk}: Wrong rate"


def test_approving_tells_the_submitter(people):
    proposal = submitted_proposal(people)
    workflow.proposal_approve(proposal=proposal, actor=people["approver"])
    assert kinds_for(people["clerk"]) == [PROPOSAL_APPROVED]


def test_an_overdue_invoice_is_reported_to_finance_once(people, django_capture_on_commit_callbacks):
    proposal = submitted_proposal(people)
    workflow.proposal_approve(proposal=proposal, actor=people["approver"])
    entity = proposal.contract.legal_entity
    entity.invoice_number_prefix = "INV-"
    entity.save()
    invoice = posting.invoice_post(
        proposal=proposal, actor=people["clerk"], invoice_date=datetime.date(2026, 4, 1)
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert overdue_invoices_notify(today=invoice.due_date) == 0
        assert overdue_invoices_notify(today=invoice.due_date + datetime.timedelta(days=1)) == 1
        assert overdue_invoices_notify(today=invoice.due_date + datetime.timedelta(days=2)) == 0
    overdue = Notification.objects.filter(kind=INVOICE_OVERDUE)
    assert sorted(overdue.values_list("recipient__username", flat=True)) == ["karin", "nils"]
    assert sorted(message.to[0] for message in mail.outbox) == [
        "karin@example.com",
        "nils@example.com",
    ]
    assert {message.subject for message in mail.outbox} == {"Invoice INV-1 is overdue"}


# ------------------------------------------------------------------------------------------
# Pages
# ------------------------------------------------------------------------------------------


def notify(user, kind=PROPOSAL_APPROVED, url="/billing/proposals/1/"):
    return notifications.notifications_send(
        recipients=[user], kind=kind, params={"proposal": "K-1 #1", "actor": "lars"}, url=url
    )[0]


def test_the_bell_counts_unread_and_the_list_shows_them(client, people):
    notify(people["clerk"])
    notify(people["clerk"])
    client.force_login(people["clerk"])
    page = client.get("/notifications/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="unread-count">2<' in html
    assert html.count("Approved: K-1 #1") == 2


def test_opening_a_notification_marks_it_read_and_goes_to_its_page(client, people):
    notice = notify(people["clerk"])
    client.force_login(people["clerk"])
    response = client.get(f"/notifications/{notice.pk}/")
    assert response.status_code == 302 and response.url == "/billing/proposals/1/"
    notice.refresh_from_db()
    assert notice.read_at is not None


def test_an_outside_link_is_not_followed(client, people):
    notice = notify(people["clerk"], url="https://evil.example.com/")
    client.force_login(people["clerk"])
    assert client.get(f"/notifications/{notice.pk}/").url == "/notifications/"


def test_nobody_opens_someone_elses_notification(client, people):
    notice = notify(people["clerk"])
    client.force_login(people["approver"])
    assert client.get(f"/notifications/{notice.pk}/").status_code == 404
    notice.refresh_from_db()
    assert notice.read_at is None


def test_mark_all_read_and_only_unread_filter(client, people):
    notify(people["clerk"])
    client.force_login(people["clerk"])
    client.post("/notifications/read-all/")
    assert not Notification.objects.filter(read_at__isnull=True).exists()
    assert "Nothing unread." in client.get("/notifications/?show=unread").content.decode()


def test_settings_are_saved(client, people):
    client.force_login(people["clerk"])
    client.post("/notifications/settings/", {"language": "da"})
    chosen = NotificationSettings.objects.get(user=people["clerk"])
    assert (chosen.email_enabled, chosen.language) == (False, "da")
    client.post("/notifications/settings/", {"language": "xx", "email_enabled": "on"})
    chosen.refresh_from_db()
    assert (chosen.email_enabled, chosen.language) == (False, "da")


def test_the_list_runs_the_same_queries_for_3_or_30_notifications(
    client, people, django_assert_max_num_queries
):
    client.force_login(people["clerk"])
    for _ in range(3):
        notify(people["clerk"])
    with django_assert_max_num_queries(10) as small:
        response = client.get("/notifications/")
    assert response.status_code == 200
    assert response.content.decode().count("Approved: K-1 #1") == 3
    for _ in range(27):
        notify(people["clerk"])
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get("/notifications/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="unread-count">30<' in html
    assert html.count("Approved: K-1 #1") == 25  # one page of 25
