"""Bulk actions of the proposal and invoice lists: each row through its own service and
transaction, and a result per row in the clerk's words."""

from __future__ import annotations

import pytest
from django.urls import resolve, reverse

from invoicing import bulk
from invoicing.invoices.models import Invoice, InvoiceStatus, PdfBatch
from invoicing.proposals import workflow
from invoicing.proposals.models import InvoiceProposal, ProposalStatus
from tests.factories import UserFactory
from tests.invoicing.builders import generated_e1
from tests.invoicing.invoices.test_posting import approved_e1
from tests.invoicing.receivables.test_sending import post

pytestmark = pytest.mark.django_db


def result_rows(response):
    return [(row.label.split(" ")[0], row.is_done, row.message) for row in response.context["rows"]]


def test_submit_many_says_which_were_submitted_and_why_one_was_refused(client, people):
    # Given two drafts and one already submitted
    first, _record = generated_e1(people)
    second, _record = generated_e1(people)
    submitted, _record = generated_e1(people)
    workflow.proposal_submit(proposal=submitted, actor=people["clerk"])
    client.force_login(people["clerk"])

    # When the clerk submits all three from the list
    response = client.post(
        reverse("invoicing:proposals_bulk"),
        {"action": "submit", "proposal": [first.pk, second.pk, submitted.pk]},
        follow=True,
    )

    # Then two are submitted and the third is refused with the workflow's reason
    assert response.status_code == 200
    rows = result_rows(response)
    assert rows[:2] == [
        (f"#{first.pk}", True, "Submitted for approval."),
        (f"#{second.pk}", True, "Submitted for approval."),
    ]
    assert rows[2][:2] == (f"#{submitted.pk}", False)
    assert "submitted" in rows[2][2].lower()
    statuses = dict(InvoiceProposal.objects.values_list("pk", "status"))
    assert statuses[first.pk] == statuses[second.pk] == ProposalStatus.SUBMITTED
    assert "1 refused" in response.content.decode()


def test_an_approver_never_approves_what_they_submitted_even_in_bulk(client, people):
    mine, _record = generated_e1(people)
    theirs, _record = generated_e1(people)
    admin = UserFactory(role="admin")  # may submit and approve, never both on one proposal
    workflow.proposal_submit(proposal=mine, actor=admin)
    workflow.proposal_submit(proposal=theirs, actor=people["clerk"])
    client.force_login(admin)

    response = client.post(
        reverse("invoicing:proposals_bulk"),
        {"action": "approve", "proposal": [mine.pk, theirs.pk]},
        follow=True,
    )

    rows = result_rows(response)
    assert [row[1] for row in rows] == [False, True]
    assert InvoiceProposal.objects.get(pk=mine.pk).status == ProposalStatus.SUBMITTED
    assert InvoiceProposal.objects.get(pk=theirs.pk).status == ProposalStatus.APPROVED


def test_post_many_numbers_each_invoice_and_leaves_the_refused_one_as_it_was(client, people):
    ready = approved_e1(people)
    draft, _record = generated_e1(people)
    client.force_login(people["clerk"])

    response = client.post(
        reverse("invoicing:proposals_bulk"),
        {"action": "post", "proposal": [ready.pk, draft.pk]},
        follow=True,
    )

    invoice = Invoice.objects.get(proposal=ready)
    rows = result_rows(response)
    assert rows[0] == (f"#{ready.pk}", True, f"Posted as {invoice.number}.")
    assert rows[1][1] is False
    assert InvoiceProposal.objects.get(pk=draft.pk).status == ProposalStatus.DRAFT
    assert not Invoice.objects.filter(proposal=draft).exists()


def test_refreshing_the_result_page_shows_the_same_rows_and_runs_nothing(
    client, people, django_assert_max_num_queries
):
    # Given a clerk who submitted two drafts from the list
    first, _record = generated_e1(people)
    second, _record = generated_e1(people)
    client.force_login(people["clerk"])
    response = client.post(
        reverse("invoicing:proposals_bulk"),
        {"action": "submit", "proposal": [first.pk, second.pk]},
    )

    # Then the action answers with a redirect to its result page
    assert response.status_code == 302
    assert resolve(response.url).url_name == "bulk_result"
    shown = client.get(response.url)
    submitted_at = dict(InvoiceProposal.objects.values_list("pk", "submitted_at"))

    # When the clerk refreshes that page
    with django_assert_max_num_queries(12) as refresh:
        again = client.get(response.url)

    # Then it shows the same rows, as done, and nothing ran again
    assert (
        result_rows(again)
        == result_rows(shown)
        == [
            (f"#{first.pk}", True, "Submitted for approval."),
            (f"#{second.pk}", True, "Submitted for approval."),
        ]
    )
    assert "2 done" in again.content.decode() and "0 refused" in again.content.decode()
    assert dict(InvoiceProposal.objects.values_list("pk", "submitted_at")) == submitted_at
    writes = [q["sql"] for q in refresh.captured_queries if not q["sql"].startswith("SELECT")]
    assert writes == []


def test_a_result_is_the_users_own_and_the_session_keeps_only_the_newest(client, people):
    proposal, _record = generated_e1(people)
    client.force_login(people["clerk"])
    urls = [
        client.post(
            reverse("invoicing:proposals_bulk"), {"action": "submit", "proposal": [proposal.pk]}
        ).url
        for _ in range(bulk.RESULTS_KEPT + 1)
    ]

    oldest = client.get(urls[0], follow=True)
    newest = client.get(urls[-1])
    assert "no longer kept" in oldest.content.decode()
    assert oldest.redirect_chain == [(reverse("home"), 302)]
    assert newest.status_code == 200
    assert len(client.session[bulk.RESULTS_SESSION_KEY]) == bulk.RESULTS_KEPT

    client.force_login(people["approver"])  # another user, another session
    assert client.get(urls[-1]).url == reverse("home")


def test_a_clerk_cannot_approve_in_bulk(client, people):
    proposal, _record = generated_e1(people)
    client.force_login(people["clerk"])
    response = client.post(
        reverse("invoicing:proposals_bulk"), {"action": "approve", "proposal": [proposal.pk]}
    )
    assert response.status_code == 403


def test_nothing_ticked_is_said_plainly(client, people):
    client.force_login(people["clerk"])
    response = client.post(reverse("invoicing:proposals_bulk"), {"action": "submit"}, follow=True)
    assert "Select the rows first" in response.content.decode()


def test_mark_sent_many_and_the_already_sent_one_is_refused(client, people):
    posted = post(people)
    sent = post(people)
    Invoice.objects.filter(pk=sent.pk).update(status=InvoiceStatus.SENT)
    client.force_login(people["clerk"])

    response = client.post(
        reverse("invoicing:invoices_bulk"),
        {"action": "mark_sent", "invoice": [posted.pk, sent.pk]},
        follow=True,
    )

    rows = result_rows(response)
    assert rows[0] == (posted.number, True, "Marked as sent.")
    assert rows[1][:2] == (sent.number, False)
    assert Invoice.objects.get(pk=posted.pk).status == InvoiceStatus.SENT


def test_send_many_queues_each_e_mail_and_refuses_a_customer_without_address(
    client, people, django_capture_on_commit_callbacks
):
    ready = post(people)
    without_address = post(people, email="")
    client.force_login(people["clerk"])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("invoicing:invoices_bulk"),
            {"action": "send", "invoice": [ready.pk, without_address.pk]},
            follow=True,
        )

    rows = result_rows(response)
    assert rows[0][:2] == (ready.number, True)
    assert rows[1][:2] == (without_address.number, False)
    assert "has no invoice e-mail address" in rows[1][2]


def test_pdfs_of_the_selection_start_one_batch(client, people, django_capture_on_commit_callbacks):
    invoice = post(people)
    client.force_login(people["clerk"])
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(
            reverse("invoicing:invoices_bulk"), {"action": "pdf", "invoice": [invoice.pk]}
        )
    batch = PdfBatch.objects.get()
    assert batch.invoice_ids == [invoice.pk]
    assert response.url == reverse("invoicing:pdf_batch", kwargs={"pk": batch.pk})


def test_the_lists_offer_the_bulk_actions(client, people):
    proposal, _record = generated_e1(people)
    client.force_login(people["clerk"])
    listing = client.get(reverse("invoicing:proposal_list")).content.decode()
    assert 'id="bulk-proposals"' in listing
    assert f'value="{proposal.pk}" form="bulk-proposals"' in listing
    assert 'value="approve"' not in listing  # a clerk does not approve


def test_the_clerks_dashboard_lists_what_is_ready_to_post(client, people):
    ready = approved_e1(people)
    generated_e1(people)  # a draft is not ready
    client.force_login(people["clerk"])

    page = client.get(reverse("home"))

    assert [p.pk for p in page.context["ready_to_post"]["proposals"]] == [ready.pk]
    text = page.content.decode()
    assert 'data-testid="ready-to-post"' in text and ready.get_absolute_url() in text
    client.force_login(people["approver"])
    assert 'data-testid="ready-to-post"' not in client.get(reverse("home")).content.decode()
