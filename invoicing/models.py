"""Django looks for an app's models in its ``models`` module; invoicing's live in its stages.
Import them from their stage (``invoicing.proposals.models``), not from here."""

from invoicing.invoices.models import InternalCharge, Invoice, InvoiceLine, InvoiceTax, PdfBatch
from invoicing.ledger.models import (
    AccountRule,
    LedgerAccount,
    LedgerExport,
    Voucher,
    VoucherLine,
)
from invoicing.proposals.models import BillableFigure, BillingRun, InvoiceProposal, ProposalLine
from invoicing.receivables.bank_files.models import BankFile, BankFilePayment
from invoicing.receivables.dispatch_models import InvoiceDispatch
from invoicing.receivables.models import (
    CreditApplication,
    CustomerRefund,
    Payment,
    PaymentAllocation,
)
from invoicing.saved_filters import SavedFilter
from invoicing.transactions.models import (
    ImportBatch,
    JobChunk,
    ProjectTransaction,
    TransactionAllocation,
)

__all__ = [
    "AccountRule",
    "BankFile",
    "BankFilePayment",
    "LedgerAccount",
    "LedgerExport",
    "Voucher",
    "VoucherLine",
    "BillableFigure",
    "BillingRun",
    "CreditApplication",
    "CustomerRefund",
    "ImportBatch",
    "InternalCharge",
    "Invoice",
    "InvoiceDispatch",
    "InvoiceLine",
    "InvoiceProposal",
    "InvoiceTax",
    "JobChunk",
    "Payment",
    "PaymentAllocation",
    "PdfBatch",
    "ProjectTransaction",
    "ProposalLine",
    "SavedFilter",
    "TransactionAllocation",
]
