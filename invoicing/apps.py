from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _project_has_transactions(project) -> bool:
    from invoicing.models import ProjectTransaction

    return ProjectTransaction.objects.filter(project=project).exists()


class InvoicingConfig(AppConfig):
    name = "invoicing"
    verbose_name = _("Invoicing")
    role_permissions = {
        "finance_clerk": [
            "add_projecttransaction",
            "change_projecttransaction",
            "delete_projecttransaction",
            "import_projecttransaction",
            "export_projecttransaction",
            "add_importbatch",
            "add_invoiceproposal",
            "change_invoiceproposal",
            "add_proposalline",
            "change_proposalline",
            "delete_proposalline",
        ],
        "approver": ["approve_invoiceproposal"],
        "project_manager": ["add_projecttransaction", "change_projecttransaction"],
    }

    def ready(self) -> None:
        from contracts.services import project_usage_check_register

        # A project's type is locked once it has transactions (contracts cannot import us).
        project_usage_check_register(_project_has_transactions)
