"""Moving the models from contracts to collaboration keeps every row, content type and grant."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from collaboration.models import Comment, Notification, NotificationSettings
from contracts.roles import ROLE_GROUP_NAMES
from tests.markers import landed_migration_round_trip

BEFORE_THE_MOVE = ("contracts", "0008_collaboration")


def migrate(targets) -> None:
    MigrationExecutor(connection).migrate(targets)
    ContentType.objects.clear_cache()


@landed_migration_round_trip
@pytest.mark.django_db(transaction=True)
def test_rows_written_before_the_move_are_read_through_the_new_models():
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    # given a database as it was before the move, with a comment, its mention, notifications
    # and settings written through the contracts models
    migrate([("collaboration", None)])  # unapplies contracts 0009 and collaboration 0001
    old = MigrationExecutor(connection).loader.project_state(BEFORE_THE_MOVE).apps
    old_content_types = old.get_model("contenttypes", "ContentType").objects
    comment_type = old_content_types.get(app_label="contracts", model="comment")
    user_model = old.get_model("auth", "User")
    karin = user_model.objects.create(username="karin")
    lars = user_model.objects.create(username="lars")
    comment = old.get_model("contracts", "Comment").objects.create(
        content_type=old_content_types.get(app_label="auth", model="user"),
        object_id=karin.pk,
        author=karin,
        body="@lars the rates?",
    )
    comment.mentions.add(lars)
    old.get_model("contracts", "Notification").objects.create(
        recipient=lars, kind="mentioned", params={"actor": "karin"}, event_key="once"
    )
    old.get_model("contracts", "NotificationSettings").objects.create(user=lars, language="sv")

    # when the migrations run forward
    migrate(leaves)

    # then the same rows are read through the collaboration models
    moved = Comment.objects.get()
    assert (moved.pk, moved.body, moved.author.username) == (
        comment.pk,
        "@lars the rates?",
        "karin",
    )
    assert [user.username for user in moved.mentions.all()] == ["lars"]
    assert moved.target.username == "karin"
    notice = Notification.objects.get()
    assert (notice.kind, notice.params, notice.event_key) == (
        "mentioned",
        {"actor": "karin"},
        "once",
    )
    assert NotificationSettings.objects.get().language == "sv"
    # and the content type moved with its primary key, so its permissions and grants stayed
    assert ContentType.objects.get_for_model(Comment).pk == comment_type.pk
    assert not ContentType.objects.filter(app_label="contracts", model="comment").exists()
    add_comment = Permission.objects.get(content_type_id=comment_type.pk, codename="add_comment")
    assert Group.objects.get(name=ROLE_GROUP_NAMES["approver"]).permissions.contains(add_comment)
