"""The notification kinds invoicing sends, its automations' own and every stage's, registered in
InvoicingConfig.ready."""

from django.utils.translation import gettext_lazy as _

from collaboration.registry import NotificationKind
from invoicing.proposals import notification_kinds as proposal_kinds
from invoicing.receivables import notification_kinds as receivable_kinds

PROPOSAL_CREATED = "proposal_created"
AUTOMATION_FAILED = "automation_failed"
THRESHOLD_PROPOSAL_CREATED = "threshold_proposal_created"
THRESHOLD_AUTOMATION_FAILED = "threshold_automation_failed"

NOTIFICATION_KINDS = (
    *proposal_kinds.NOTIFICATION_KINDS,
    *receivable_kinds.NOTIFICATION_KINDS,
    NotificationKind(
        key=PROPOSAL_CREATED,
        label=_("Proposal created automatically"),
        title=_("Proposal created for %(contract)s"),
        body=_(
            "Milestone “%(milestone)s” was completed, so proposal %(proposal)s of %(amount)s was created."
        ),
    ),
    NotificationKind(
        key=AUTOMATION_FAILED,
        label=_("Automation could not run"),
        title=_("No proposal was created for %(contract)s"),
        body=_(
            "Milestone “%(milestone)s” was completed, but its proposal could not be created: "
            "%(reason)s"
        ),
        icon="bi-x-octagon text-danger",
    ),
    NotificationKind(
        key=THRESHOLD_PROPOSAL_CREATED,
        label=_("Proposal created at a progress threshold"),
        title=_("Proposal created for %(contract)s"),
        body=_(
            "Billing rule “%(rule)s” reached %(percent)s %% complete, so proposal %(proposal)s "
            "of %(amount)s was created."
        ),
    ),
    NotificationKind(
        key=THRESHOLD_AUTOMATION_FAILED,
        label=_("Threshold automation could not run"),
        title=_("No proposal was created for %(contract)s"),
        body=_(
            "Billing rule “%(rule)s” reached %(percent)s %% complete, but its proposal could "
            "not be created: %(reason)s"
        ),
        icon="bi-x-octagon text-danger",
    ),
)
