"""What receivables tell finance; registered in InvoicingConfig.ready."""

from django.utils.translation import gettext_lazy as _

from collaboration.registry import NotificationKind

INVOICE_OVERDUE = "invoice_overdue"

NOTIFICATION_KINDS = (
    NotificationKind(
        key=INVOICE_OVERDUE,
        label=_("Invoice overdue"),
        title=_("Invoice %(invoice)s is overdue"),
        body=_("Invoice %(invoice)s to %(customer)s, %(amount)s open, was due on %(due_date)s."),
        icon="bi-exclamation-triangle text-danger",
    ),
)
