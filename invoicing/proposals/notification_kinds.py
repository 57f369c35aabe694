"""What the approval workflow tells people; registered in InvoicingConfig.ready."""

from django.utils.translation import gettext_lazy as _

from collaboration.registry import NotificationKind

PROPOSAL_SUBMITTED = "proposal_submitted"
PROPOSAL_REJECTED = "proposal_rejected"
PROPOSAL_APPROVED = "proposal_approved"

NOTIFICATION_KINDS = (
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
)
