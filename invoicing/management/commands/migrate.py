"""Django's migrate, connected as the database's owner when MIGRATION_DATABASE_URL is set (the
application's own role owns nothing and cannot change the schema: config/database_roles.py)."""

from django.core.management.commands.migrate import Command as DjangoMigrate

from config.database_roles import owner_connection


class Command(DjangoMigrate):
    help = DjangoMigrate.help + " As the owner of MIGRATION_DATABASE_URL when it is set."

    def handle(self, *args, **options):
        with owner_connection(options["database"]):
            return super().handle(*args, **options)
