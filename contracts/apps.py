from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_roles_after_migrate(sender, **kwargs) -> None:
    from contracts.roles import DOMAIN_APPS, roles_sync

    # post_migrate is sent once per app, after that app's permissions were created.
    if sender.label in DOMAIN_APPS:
        roles_sync()


class ContractsConfig(AppConfig):
    name = "contracts"
    verbose_name = _("Contracts")

    role_permissions = {
        "finance_clerk": [
            *(
                f"{action}_{model}"
                for model in (
                    "projectcontract",
                    "project",
                    "budget",
                    "customer",
                    "worker",
                    "item",
                    "category",
                    "categorygroup",
                    "lineproperty",
                )
                for action in ("add", "change")
            ),
            "delete_budget",
            "export_projectcontract",
            *(
                f"{action}_{model}"
                for model in ("billingrule", "billingrulecap", "milestone", "billingplantemplate")
                for action in ("add", "change", "delete")
            ),
            "complete_milestone",
            "record_progress",
            "collaboration.add_comment",
            "add_contractdocument",
            "delete_contractdocument",
            # Rates are entered and imported by finance; changing or deleting one is the
            # Admin's (Django admin, with history): postings froze what they used anyway.
            "add_exchangerate",
        ],
        "approver": ["collaboration.add_comment"],
        # DOMAIN.md section 1: they complete milestones and enter progress and units delivered
        # (through the progress form, never the rule's terms), and see what is billable.
        "project_manager": [
            "complete_milestone",
            "record_progress",
            "collaboration.add_comment",
        ],
    }

    def ready(self) -> None:
        from collaboration.registry import comment_target_register, notification_kind_register
        from contracts.comment_targets import COMMENT_TARGETS
        from contracts.notification_kinds import NOTIFICATION_KINDS
        from contracts.setup_checklist import contract_steps, setup_step_provider_register

        # Runs after every migrate (and test flush), so permissions of new models are granted.
        post_migrate.connect(_sync_roles_after_migrate, dispatch_uid="contracts_roles_sync")
        notification_kind_register(*NOTIFICATION_KINDS)
        comment_target_register(*COMMENT_TARGETS)
        setup_step_provider_register(contract_steps)
