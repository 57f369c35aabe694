"""On PostgreSQL the database itself keeps vouchers final (migration 0020_ledger): no UPDATE,
DELETE or TRUNCATE, no line added to a voucher written by an earlier transaction, and no
voucher whose lines do not add up to zero."""

import pytest
from django.db import DatabaseError, connection, transaction

from tests.invoicing.ledger.test_services import post_e1

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the triggers exist on PostgreSQL"
    ),
]


def _refused(statement, params=(), match="final"):
    with (
        pytest.raises(DatabaseError, match=match),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement, params)


def test_vouchers_and_their_lines_cannot_be_changed_or_deleted(people):
    voucher = post_e1(people).voucher
    for statement in (
        "UPDATE invoicing_voucher SET text = 'x' WHERE id = %s",
        "DELETE FROM invoicing_voucher WHERE id = %s",
        "UPDATE invoicing_voucherline SET amount = 1 WHERE voucher_id = %s",
        "DELETE FROM invoicing_voucherline WHERE voucher_id = %s",
    ):
        _refused(statement, (voucher.pk,))
    with connection.cursor() as cursor:  # the deferred balance checks run now, and pass
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    for table in ("invoicing_voucher", "invoicing_voucherline", "invoicing_ledgerexport"):
        _refused(f"TRUNCATE {table} CASCADE", match="cannot be truncated")
    assert voucher.lines.count() == 3


def test_no_line_can_be_added_to_a_voucher_written_before(people):
    voucher = post_e1(people).voucher
    # The test's transaction wrote the voucher: forget that, as a later transaction would.
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('invoicing.vouchers_being_written', '', true)")
    _refused(
        "INSERT INTO invoicing_voucherline (voucher_id, account, account_name, amount, "
        "vat_category, text) VALUES (%s, '1930', 'Bank', 1, '', '')",
        (voucher.pk,),
    )


def test_an_unbalanced_voucher_cannot_be_committed(people):
    voucher = post_e1(people).voucher
    with (
        pytest.raises(DatabaseError, match="does not balance"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO invoicing_voucher (legal_entity_id, series, number, kind, date, text, "
            "currency, created_at) VALUES (%s, 'A', 99, 'invoice', '2026-01-01', 'x', 'SEK', now()) "
            "RETURNING id",
            (voucher.legal_entity_id,),
        )
        [new_id] = cursor.fetchone()
        cursor.execute(
            "INSERT INTO invoicing_voucherline (voucher_id, account, account_name, amount, "
            "vat_category, text) VALUES (%s, '1510', '', 100, '', '')",
            (new_id,),
        )
        # The check is deferred to the commit; make it run now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
