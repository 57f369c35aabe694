"""The books' pages (stub filled below)."""


def invoice_page_voucher(*, invoice, request) -> dict:
    """The voucher that booked the invoice, for its page (registered with ``invoices.hooks``)."""
    from invoicing.ledger.models import Voucher

    return {
        "voucher": Voucher.objects.filter(invoice=invoice).only("pk", "series", "number").first()
    }
