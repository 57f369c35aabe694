"""Checking a chart-of-accounts mapping before it is saved. Pure: no ORM.

A mapping is usable when every account number is digits, every account has a name and
appears once, every single purpose (receivables, bank, retention...) has exactly one
account, there is a revenue rule and an output-VAT rule that match anything (so every line
finds an account), and every rule names an account of the list. Each problem is one sentence
a clerk understands, naming the row."""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.utils.translation import gettext as _

from invoicing.ledger.vouchers import Purpose

DIGITS = re.compile(r"^[0-9]{1,10}$")


def mapping_problems(*, accounts: Sequence[tuple[str, str]], rules: Sequence[dict]) -> list[str]:
    problems: list[str] = []
    numbers: set[str] = set()
    for row, (number, name) in enumerate(accounts, start=1):
        if not DIGITS.match(number or ""):
            problems.append(
                _("Account row %(row)s: “%(number)s” is not an account number (1 to 10 digits).")
                % {"row": row, "number": number}
            )
        elif number in numbers:
            problems.append(
                _("Account row %(row)s: account %(number)s is listed twice.")
                % {"row": row, "number": number}
            )
        if not (name or "").strip():
            problems.append(_("Account row %(row)s: give the account a name.") % {"row": row})
        numbers.add(number)
    seen_single: set[str] = set()
    has_catch_all = {Purpose.REVENUE: False, Purpose.OUTPUT_VAT: False}
    for row, rule in enumerate(rules, start=1):
        purpose = rule.get("purpose")
        account = rule.get("account") or ""
        if account not in numbers:
            problems.append(
                _("Rule row %(row)s: account “%(account)s” is not in the list of accounts.")
                % {"row": row, "account": account}
            )
        if purpose in Purpose.SINGLE:
            if purpose in seen_single:
                problems.append(
                    _("Rule row %(row)s: %(purpose)s has an account already; keep one.")
                    % {"row": row, "purpose": rule.get("purpose_label", purpose)}
                )
            if any(
                rule.get(key) not in (None, "")
                for key in ("kind", "category", "vat_category", "vat_rate")
            ):
                problems.append(
                    _("Rule row %(row)s: %(purpose)s takes no criteria; leave them blank.")
                    % {"row": row, "purpose": rule.get("purpose_label", purpose)}
                )
            seen_single.add(purpose)
        elif purpose in has_catch_all:
            criteria = ("kind", "category", "vat_category", "vat_rate")
            if purpose == Purpose.OUTPUT_VAT and (rule.get("kind") or rule.get("category")):
                problems.append(
                    _("Rule row %(row)s: output VAT is chosen by VAT category and rate only.")
                    % {"row": row}
                )
            if all(rule.get(key) in (None, "") for key in criteria):
                has_catch_all[purpose] = True
        else:
            problems.append(
                _("Rule row %(row)s: choose what the account is used for.") % {"row": row}
            )
    labels = {rule.get("purpose"): rule.get("purpose_label") for rule in rules}
    for purpose in Purpose.SINGLE:
        if purpose not in seen_single:
            problems.append(
                _("No account is given for %(purpose)s.")
                % {"purpose": labels.get(purpose) or PURPOSE_NAMES.get(purpose, purpose)}
            )
    if not has_catch_all[Purpose.REVENUE]:
        problems.append(_("Add a revenue rule without criteria: the account for any other line."))
    if not has_catch_all[Purpose.OUTPUT_VAT]:
        problems.append(
            _("Add an output VAT rule without criteria: the account for any other VAT.")
        )
    return problems


#: Names for messages when the form did not pass its own labels.
PURPOSE_NAMES = {
    Purpose.RECEIVABLES: "receivables",
    Purpose.BANK: "bank",
    Purpose.RETENTION: "retention receivable",
    Purpose.PREPAYMENT: "prepayments invoiced",
    Purpose.CUSTOMER_CREDIT: "customer credit",
    Purpose.ROUNDING: "rounding",
    Purpose.EXCHANGE_GAIN: "exchange gains",
    Purpose.EXCHANGE_LOSS: "exchange losses",
    Purpose.INTERNAL_DEBIT: "internal charges, debit",
    Purpose.INTERNAL_CREDIT: "internal charges, credit",
}
