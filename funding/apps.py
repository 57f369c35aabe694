from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FundingConfig(AppConfig):
    name = "funding"
    verbose_name = _("Funding")
    role_permissions = {
        "finance_clerk": [
            f"{action}_{model}"
            for model in ("fundingsource", "fundinglimit", "fundingrule", "fundingruleline")
            for action in ("add", "change", "delete")
        ],
    }

    def ready(self) -> None:
        from contracts.setup_checklist import setup_step_provider_register
        from funding.selectors import contract_funding_steps

        setup_step_provider_register(contract_funding_steps)
