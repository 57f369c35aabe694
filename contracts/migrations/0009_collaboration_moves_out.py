"""Notification, NotificationSettings and Comment now belong to the collaboration app.

Their tables stay where they are (collaboration/migrations/0001 claims them under their old
names), so contracts only forgets the models: state operations, no SQL. Their content types
move from app label "contracts" to "collaboration", which keeps every permission (and every
group and user that holds it), admin log entry and generic relation pointing at them.
"""

from django.db import migrations

MOVED_MODELS = ("comment", "notification", "notificationsettings")


def _relabel_content_types(apps, schema_editor, *, old_label, new_label):
    ContentType = apps.get_model("contenttypes", "ContentType")
    content_types = ContentType.objects.using(schema_editor.connection.alias)
    for model in MOVED_MODELS:
        moving = content_types.filter(app_label=old_label, model=model).first()
        if moving is None:
            continue  # a fresh database: post_migrate creates it under its new label
        # A row under the new label exists only when a partial migrate stopped between
        # collaboration 0001 and this migration and post_migrate created it: it is younger and
        # holds nothing but its own fresh permissions, which roles_sync grants again.
        content_types.filter(app_label=new_label, model=model).delete()
        moving.app_label = new_label
        moving.save(update_fields=["app_label"])
    ContentType.objects.clear_cache()


def to_collaboration(apps, schema_editor):
    _relabel_content_types(apps, schema_editor, old_label="contracts", new_label="collaboration")


def back_to_contracts(apps, schema_editor):
    _relabel_content_types(apps, schema_editor, old_label="collaboration", new_label="contracts")


class Migration(migrations.Migration):

    dependencies = [
        ('collaboration', '0001_initial'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('contracts', '0008_collaboration'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.RemoveField(
                    model_name='notification',
                    name='recipient',
                ),
                migrations.RemoveField(
                    model_name='notificationsettings',
                    name='user',
                ),
                migrations.DeleteModel(
                    name='Comment',
                ),
                migrations.DeleteModel(
                    name='Notification',
                ),
                migrations.DeleteModel(
                    name='NotificationSettings',
                ),
            ],
        ),
        migrations.RunPython(to_collaboration, back_to_contracts),
    ]
