"""Collaboration takes over Notification, NotificationSettings and Comment from contracts.

The tables were created by contracts/migrations/0008_collaboration.py and keep their names
(``db_table``), so this migration changes only Django's picture of the models, not the
database: no row moves. contracts/migrations/0009 removes them from contracts' picture and
moves their content types (and with them their permissions) to this app.

The dependency on contracts 0008 is the one place where collaboration looks up at contracts:
the tables must exist before collaboration can claim them. Collaboration's code never imports
contracts.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import collaboration.registry


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('contracts', '0008_collaboration'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='NotificationSettings',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('email_enabled', models.BooleanField(default=True, verbose_name='also send notifications by e-mail')),
                        ('language', models.CharField(choices=[('en', 'English'), ('sv', 'Swedish'), ('da', 'Danish')], default='en', max_length=2, verbose_name='e-mail language')),
                        ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='notification_settings', to=settings.AUTH_USER_MODEL, verbose_name='user')),
                    ],
                    options={
                        'verbose_name': 'notification settings',
                        'verbose_name_plural': 'notification settings',
                        'db_table': 'contracts_notificationsettings',
                    },
                ),
                migrations.CreateModel(
                    name='Comment',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('object_id', models.PositiveBigIntegerField()),
                        ('body', models.TextField(max_length=5000, verbose_name='comment')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='written')),
                        ('author', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='author')),
                        ('content_type', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='contenttypes.contenttype')),
                        ('mentions', models.ManyToManyField(blank=True, db_table='contracts_comment_mentions', related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='mentions')),
                    ],
                    options={
                        'verbose_name': 'comment',
                        'verbose_name_plural': 'comments',
                        'db_table': 'contracts_comment',
                        'ordering': ['created_at', 'pk'],
                        'indexes': [models.Index(fields=['content_type', 'object_id'], name='comment_target')],
                        'constraints': [models.CheckConstraint(condition=models.Q(('body', ''), _negated=True), name='comment_has_text', violation_error_message='Write a comment first.')],
                    },
                ),
                migrations.CreateModel(
                    name='Notification',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=collaboration.registry.notification_kind_choices, max_length=30, verbose_name='kind')),
                        ('params', models.JSONField(blank=True, default=dict, verbose_name='details')),
                        ('url', models.CharField(blank=True, max_length=500, verbose_name='link')),
                        ('event_key', models.CharField(blank=True, max_length=100, verbose_name='event')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='created')),
                        ('read_at', models.DateTimeField(blank=True, null=True, verbose_name='read')),
                        ('emailed_at', models.DateTimeField(blank=True, null=True, verbose_name='e-mailed')),
                        ('recipient', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to=settings.AUTH_USER_MODEL, verbose_name='recipient')),
                    ],
                    options={
                        'verbose_name': 'notification',
                        'verbose_name_plural': 'notifications',
                        'db_table': 'contracts_notification',
                        'ordering': ['-created_at', '-pk'],
                        'indexes': [models.Index(fields=['recipient', 'read_at'], name='notification_unread')],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('event_key', ''), _negated=True), fields=('recipient', 'event_key'), name='notification_once_per_event')],
                    },
                ),
            ],
        ),
    ]
