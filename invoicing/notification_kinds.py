"""The notification kinds invoicing sends; registered in InvoicingConfig.ready."""

from django.utils.translation import gettext_lazy as _

from collaboration.registry import NotificationKind

PROPOSAL_CREATED = "proposal_created"
AUTOMATION_FAILED = "automation_failed"
PROPOSAL_SUBMITTED = "proposal_submitted"
PROPOSAL_REJECTED = "proposal_rejected"
PROPOSAL_APPROVED = "proposal_approved"
INVOICE_OVERDUE = "invoice_overdue"

NOTIFICATION_KINDS = (
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
        key=PROPOSAL_SUBMITTED,
        label=_("Proposal waiting for approval"),
        title=_("Waiting for your approval: %(proposal)s"),
        body=_("%(actor)s submitted proposal %(proposal)s of %(amount)s for approval."),
        icon="bi-hourglass-split text-warning",
    ),
    NotificationKind(
        key=PROPOSAL_REJECTED,
        label=_("Proposal rejected"),
        title=_("Rejected: %(proposal)s"),
        body=_("%(actor)s rejected proposal %(proposal)s: %(reason)s"),
        icon="bi-x-octagon text-danger",
    ),
    NotificationKind(
        key=PROPOSAL_APPROVED,
        label=_("Proposal approved"),
        title=_("Approved: %(proposal)s"),
        body=_("%(actor)s approved proposal %(proposal)s. It can be posted now."),
        icon="bi-check-circle text-success",
    ),
    NotificationKind(
        key=INVOICE_OVERDUE,
        label=_("Invoice overdue"),
        title=_("Invoice %(invoice)s is overdue"),
        body=_("Invoice %(invoice)s to %(customer)s, %(amount)s open, was due on %(due_date)s."),
        icon="bi-exclamation-triangle text-danger",
    ),
)
