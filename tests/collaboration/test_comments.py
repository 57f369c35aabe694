"""Comments with @mentions on contracts, milestones and proposals."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from collaboration.comments import comment_add, comments_for, mentioned_usernames
from collaboration.models import Comment, Notification
from collaboration.notification_kinds import MENTIONED
from collaboration.texts import notification_text
from tests.factories import MilestoneFactory, ProjectContractFactory, UserFactory
from tests.invoicing.builders import contract_with_customer

pytestmark = pytest.mark.django_db


def test_mentions_are_found_once_each_in_order():
    text = "Thanks @karin! Can @lars.berg check this, and @Karin the dates? @eva."
    assert mentioned_usernames(text) == ["karin", "lars.berg", "eva"]


def test_an_email_address_is_not_a_mention():
    assert mentioned_usernames("Send it to billing@example.com or ask (@nils)") == ["nils"]


@given(st.text(alphabet=st.characters(blacklist_characters="@")))
def test_text_without_an_at_sign_mentions_nobody(text):
    assert mentioned_usernames(text) == []


@pytest.fixture
def people(db):
    return {
        "clerk": UserFactory(username="karin", role="finance_clerk"),
        "approver": UserFactory(username="lars", role="approver"),
        "manager": UserFactory(username="sofie", role="project_manager"),
        "reader": UserFactory(username="olle", role="read_only"),
    }


def test_a_mention_notifies_the_person_but_not_the_author(people):
    contract = ProjectContractFactory(code="C-9")
    comment = comment_add(
        target=contract, author=people["clerk"], body="@Lars please look at the rates. @karin"
    )
    assert set(comment.mentions.all()) == {people["approver"], people["clerk"]}
    [notice] = Notification.objects.all()
    assert (notice.recipient, notice.kind) == (people["approver"], MENTIONED)
    assert (notice.params["target_kind"], notice.params["target_name"]) == ("contract", "C-9")
    text = notification_text(notice.kind, notice.params)
    assert text.body == "On contract C-9: @Lars please look at the rates. @karin"
    with translation.override("sv"):
        assert notification_text(notice.kind, notice.params).body.startswith("På avtal C-9: ")
    assert notice.url == f"/contracts/{contract.pk}/#comments"


def test_an_unknown_mention_is_refused_and_nothing_is_saved(people):
    contract = ProjectContractFactory()
    with pytest.raises(ValidationError) as refused:
        comment_add(target=contract, author=people["clerk"], body="@lars and @nobody, see this")
    assert refused.value.message_dict["body"] == [
        "Nobody with the user name @nobody can be mentioned. Check the spelling."
    ]
    assert not Comment.objects.exists() and not Notification.objects.exists()


def test_an_empty_comment_is_refused(people):
    with pytest.raises(ValidationError, match="Write a comment first"):
        comment_add(target=ProjectContractFactory(), author=people["clerk"], body="   ")


def test_a_thread_is_read_oldest_first_in_one_query(people, django_assert_num_queries):
    contract = ProjectContractFactory()
    for text in ("first", "second", "third"):
        comment_add(target=contract, author=people["clerk"], body=text)
    with django_assert_num_queries(1):  # comments with their authors (content types are cached)
        bodies = [(comment.body, comment.author.username) for comment in comments_for(contract)]
    assert bodies == [("first", "karin"), ("second", "karin"), ("third", "karin")]


# ------------------------------------------------------------------------------------------
# Pages
# ------------------------------------------------------------------------------------------


def test_contract_page_shows_the_thread_and_adds_with_htmx(client, people):
    contract = ProjectContractFactory()
    client.force_login(people["manager"])
    page = client.get(contract.get_absolute_url())
    assert 'id="comments"' in page.content.decode()
    response = client.post(
        f"/comments/contract/{contract.pk}/",
        {"body": "Signed copy is in the documents. @lars"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert '<span class="mention">@lars</span>' in html
    assert "<html" not in html  # only the thread is swapped in


def test_a_refused_comment_shows_why_in_the_thread(client, people):
    contract = ProjectContractFactory()
    client.force_login(people["clerk"])
    response = client.post(
        f"/comments/contract/{contract.pk}/", {"body": "@ghost hello"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "Nobody with the user name @ghost" in response.content.decode()
    assert not Comment.objects.exists()


def test_comment_text_is_escaped(client, people):
    contract = ProjectContractFactory()
    comment_add(target=contract, author=people["clerk"], body="<script>alert(1)</script>")
    client.force_login(people["clerk"])
    html = client.get(f"/comments/contract/{contract.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_read_only_users_read_but_cannot_comment(client, people):
    contract = ProjectContractFactory()
    client.force_login(people["reader"])
    assert client.get(f"/comments/contract/{contract.pk}/").status_code == 200
    assert client.post(f"/comments/contract/{contract.pk}/", {"body": "hi"}).status_code == 403
    assert not Comment.objects.exists()


def test_milestone_thread_page_links_back_to_the_billing_page(client, people):
    contract, _project, _source = contract_with_customer()
    milestone = MilestoneFactory(contract=contract)
    client.force_login(people["clerk"])
    response = client.post(f"/comments/milestone/{milestone.pk}/", {"body": "Customer agreed"})
    assert response.status_code == 302
    html = client.get(f"/comments/milestone/{milestone.pk}/").content.decode()
    assert "Customer agreed" in html and f"/contracts/{contract.pk}/billing/" in html
    billing = client.get(f"/contracts/{contract.pk}/billing/").content.decode()
    assert f"/comments/milestone/{milestone.pk}/" in billing


def test_unknown_target_kind_is_404(client, people):
    client.force_login(people["clerk"])
    assert client.get("/comments/invoice/1/").status_code == 404
    assert client.get("/comments/contract/999999/").status_code == 404


def test_one_comment_mentions_at_most_the_configured_number_of_people(people, settings):
    """Issue 13: one comment could notify 714 users."""
    settings.COMMENT_MENTIONS_MAX = 2
    contract = ProjectContractFactory()
    with pytest.raises(ValidationError) as refused:
        comment_add(target=contract, author=people["clerk"], body="@lars @sofie @olle look")
    assert refused.value.message_dict["body"] == [
        "A comment can mention at most 2 people; this one mentions 3. Mention fewer people, "
        "or write to a team another way."
    ]
    assert not Comment.objects.exists() and not Notification.objects.exists()
    comment_add(target=contract, author=people["clerk"], body="@lars @sofie @Lars look")
    assert Notification.objects.count() == 2


def test_the_default_limit_is_twenty(settings):
    from config.settings import base

    assert base.COMMENT_MENTIONS_MAX == 20


def test_the_comment_service_refuses_read_only_users(people):
    with pytest.raises(PermissionDenied):
        comment_add(target=ProjectContractFactory(), author=people["reader"], body="Looks fine")
    assert not Comment.objects.exists()


def test_the_help_suggests_a_real_colleague_not_a_made_up_name(client, people):
    """Issue 16: the help said "for example @karin", and the form refused @karin where no
    karin existed. It now names the latest other writer of the thread, or nobody."""
    contract = ProjectContractFactory()
    client.force_login(people["clerk"])
    html = client.get(contract.get_absolute_url()).content.decode()
    assert "Write @ and a user name to notify someone." in html and "for example @" not in html
    client.force_login(people["approver"])
    client.post(f"/comments/contract/{contract.pk}/", {"body": "Rates checked."})
    client.force_login(people["clerk"])
    html = client.get(contract.get_absolute_url()).content.decode()
    assert "for example @lars." in html
    response = client.post(f"/comments/contract/{contract.pk}/", {"body": "Thanks @lars"})
    assert response.status_code == 302  # the suggested name is accepted
    thread = client.get(f"/comments/contract/{contract.pk}/").content.decode()
    assert "for example @lars." in thread  # not the reader's own name
