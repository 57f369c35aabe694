"""The registries: apps register their notification kinds and comment targets, once each."""

import pytest
from django.core.exceptions import ValidationError

from collaboration import notifications
from collaboration.models import Notification
from collaboration.notification_kinds import MENTIONED
from collaboration.registry import (
    AlreadyRegistered,
    CommentTarget,
    CommentTargetRegistry,
    NotificationKind,
    NotificationKindRegistry,
    UnknownNotificationKind,
    comment_target,
    comment_target_of,
    comment_target_register,
    notification_kind,
    notification_kind_register,
)
from collaboration.texts import notification_text
from contracts.models import Customer, PaymentTerms, ProjectContract
from tests.factories import UserFactory


def a_kind(key="pizza_arrived", **changes):
    return NotificationKind(
        **{"key": key, "label": "Pizza", "title": "Pizza for %(who)s", "body": "Hot.", **changes}
    )


def a_target(key="customer", model=Customer):
    return CommentTarget(
        key=key, model=model, permission="contracts.view_customer", url=str, name=str,
        label="customer %(name)s", page=str,
    )  # fmt: skip


def test_a_registered_kind_is_found_and_offered_as_a_choice():
    kinds = NotificationKindRegistry()
    kinds.register(a_kind("first"), a_kind("second"))
    assert kinds.get("second").key == "second"
    assert [kind.key for kind in kinds] == ["first", "second"]
    assert "first" in kinds and "third" not in kinds


def test_a_second_registration_of_the_same_key_is_refused():
    kinds = NotificationKindRegistry()
    kinds.register(a_kind(label="Pizza"))
    with pytest.raises(AlreadyRegistered, match="pizza_arrived"):
        kinds.register(a_kind(label="Another pizza"))
    assert kinds.get("pizza_arrived").label == "Pizza"


def test_one_refused_kind_registers_none_of_its_batch():
    kinds = NotificationKindRegistry()
    with pytest.raises(AlreadyRegistered):
        kinds.register(a_kind("first"), a_kind("second"), a_kind("first"))
    assert list(kinds) == []


def test_the_project_registry_refuses_a_key_an_app_registered():
    with pytest.raises(AlreadyRegistered):
        notification_kind_register(a_kind(MENTIONED, label="Someone else's kind"))
    assert str(notification_kind(MENTIONED).label) == "Mentioned in a comment"


def test_a_key_the_kind_field_cannot_hold_is_refused():
    with pytest.raises(ValueError, match="1 to 30 characters"):
        NotificationKindRegistry().register(a_kind("k" * 31))


def test_an_unknown_kind_is_refused():
    with pytest.raises(UnknownNotificationKind, match="no_such_kind"):
        notification_kind("no_such_kind")
    with pytest.raises(UnknownNotificationKind):
        notification_text("no_such_kind", {})


@pytest.mark.django_db
def test_sending_an_unknown_kind_is_refused_and_nobody_is_notified():
    with pytest.raises(UnknownNotificationKind):
        notifications.notifications_send(recipients=[UserFactory()], kind="no_such_kind", params={})
    assert not Notification.objects.exists()


def test_the_kind_field_offers_every_registered_kind():
    offered = dict(Notification._meta.get_field("kind").choices)
    assert {"mentioned", "milestone_completed", "proposal_submitted", "invoice_overdue"} <= set(
        offered
    )
    assert str(offered["invoice_overdue"]) == "Invoice overdue"


def test_a_second_target_with_the_same_key_or_model_is_refused():
    targets = CommentTargetRegistry()
    targets.register(a_target())
    with pytest.raises(AlreadyRegistered):
        targets.register(a_target(key="customer", model=ProjectContract))
    with pytest.raises(AlreadyRegistered):
        targets.register(a_target(key="client", model=Customer))
    assert targets.get("client") is None


def test_the_project_registry_refuses_a_target_an_app_registered():
    with pytest.raises(AlreadyRegistered):
        comment_target_register(a_target(key="contract", model=Customer))
    assert comment_target("contract").model is ProjectContract


def test_what_is_not_a_target_cannot_be_commented():
    with pytest.raises(ValidationError, match="Comments cannot be written here"):
        comment_target_of(PaymentTerms(code="NET30", name="30 days net", net_days=30))
    assert comment_target("paymentterms") is None
