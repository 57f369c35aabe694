"""Read a bank file of either format, told from its content. Pure."""

from __future__ import annotations

from invoicing.receivables.bank_files.bgmax import bgmax_parse
from invoicing.receivables.bank_files.camt054 import camt054_parse
from invoicing.receivables.bank_files.statement import (
    KIND_BGMAX,
    ParsedBankFile,
    bank_file_kind,
)


def bank_file_read(content: bytes) -> ParsedBankFile:
    """The payments of a Bankgirot BgMax file or a camt.054 notification; raises
    ``statement.BankFileError`` (with the line) for anything else or anything malformed."""
    if bank_file_kind(content) == KIND_BGMAX:
        return bgmax_parse(content)
    return camt054_parse(content)
