"""What a bank file says, whatever its format: the payments received, each with its amount,
currency, date, payer and references. Pure: no ORM, ``Decimal`` amounts.

``BankFileError`` carries the line (BgMax) or the element (camt.054) a clerk should look at.
``bank_file_kind`` tells the format from the content (``reading.bank_file_read`` reads it).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

KIND_BGMAX = "bgmax"
KIND_CAMT054 = "camt054"

UNKNOWN_FORMAT = _(
    "This is neither a Bankgirot BgMax file (its first line starts with 01BGMAX) nor an "
    "ISO 20022 camt.054 notification (XML): it cannot be read."
)


class BankFileError(ValueError):
    """The file cannot be read: ``message`` says why, ``line`` where (0: the whole file)."""

    def __init__(self, message, *, line: int = 0):
        self.message = message
        self.line = line
        super().__init__(str(message))

    def __str__(self) -> str:
        if self.line:
            return str(
                _("Line %(line)s: %(message)s") % {"line": self.line, "message": self.message}
            )
        return str(self.message)


@dataclass(frozen=True)
class BankPayment:
    """One payment into the account (or, ``is_deduction``, a deduction the payer made).

    ``bank_reference`` identifies the payment at the bank; the same payment in a second file
    has the same one. ``references`` are the structured references the payer gave (OCR, FIK,
    RF), ``texts`` the free text (messages, information records); ``line`` where it starts."""

    bank_reference: str
    amount: Decimal
    currency: str
    booked_on: datetime.date
    payer_name: str = ""
    payer_account: str = ""
    payer_address: str = ""
    payer_organization_number: str = ""
    references: tuple[str, ...] = ()
    texts: tuple[str, ...] = ()
    payee_account: str = ""
    is_deduction: bool = False
    line: int = 0


@dataclass(frozen=True)
class ParsedBankFile:
    """A whole file: its kind, what the bank calls it, when it was made, its payments, and what
    was left out (debits in a camt.054 notification) in ``notes``."""

    kind: str
    identifier: str
    created_at: datetime.datetime | None
    payments: tuple[BankPayment, ...]
    notes: tuple[str, ...] = field(default=())
    is_test: bool = False

    def total(self, currency: str) -> Decimal:
        """The credits of ``currency`` in the file (deductions subtracted)."""
        return sum(
            (
                -p.amount if p.is_deduction else p.amount
                for p in self.payments
                if p.currency == currency
            ),
            Decimal("0"),
        )

    @property
    def currencies(self) -> list[str]:
        return sorted({payment.currency for payment in self.payments})


def bank_file_kind(content: bytes) -> str:
    """``bgmax`` or ``camt054`` from the first bytes; raises ``BankFileError`` for anything else."""
    head = content.lstrip(b"\xef\xbb\xbf \t\r\n")[:200]
    if head.startswith(b"01BGMAX"):
        return KIND_BGMAX
    if head.startswith(b"<"):
        return KIND_CAMT054
    raise BankFileError(UNKNOWN_FORMAT)
