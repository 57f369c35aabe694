"""Create (or update) the PostgreSQL role the application runs as: row access only."""

import os

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from config.database_roles import AppRoleRefused, app_role_create, owner_connection


class Command(BaseCommand):
    help = (
        "As the database's owner (MIGRATION_DATABASE_URL, else DATABASE_URL), create the "
        "application's role and grant it SELECT, INSERT, UPDATE, DELETE on every table, now "
        "and for tables created later, and nothing more. Run again after changing roles; "
        "idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("role", help="the application's role, e.g. billing_app")
        parser.add_argument(
            "--password-env",
            default="",
            help="name of an environment variable holding the new role's password",
        )

    def handle(self, *args, role, password_env, **options):
        if connection.vendor != "postgresql":
            raise CommandError("Database roles are for PostgreSQL.")
        password = os.environ.get(password_env) if password_env else None
        if password_env and not password:
            raise CommandError(f"{password_env} is not set.")
        with owner_connection(), transaction.atomic(), connection.cursor() as cursor:
            try:
                done = app_role_create(cursor, role=role, password=password)
            except AppRoleRefused as refused:
                raise CommandError(str(refused)) from refused
        for line in done:
            self.stdout.write(line)
