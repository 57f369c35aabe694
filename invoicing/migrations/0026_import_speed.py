"""Faster bulk imports (issue 17): the display-only keys of a funding allocation (its rule and
binding limit) lose their database foreign-key constraint (Django still empties them when the
rule or limit is deleted), and a transaction's billing rule and milestone, empty on every
imported row, are indexed only where they are set."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0016_customer_facturx"),
        ("funding", "0004_refusals_keep_their_percent_sign"),
        ("invoicing", "0025_transaction_summary"),
    ]

    operations = [
        migrations.AlterField(
            model_name="projecttransaction",
            name="billing_rule",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="transactions",
                to="contracts.billingrule",
                verbose_name="billing rule",
            ),
        ),
        migrations.AlterField(
            model_name="projecttransaction",
            name="milestone",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="transactions",
                to="contracts.milestone",
                verbose_name="milestone",
            ),
        ),
        migrations.AlterField(
            model_name="transactionallocation",
            name="binding_limit",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="funding.fundinglimit",
                verbose_name="binding limit",
            ),
        ),
        migrations.AlterField(
            model_name="transactionallocation",
            name="rule",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="funding.fundingrule",
                verbose_name="funding rule",
            ),
        ),
        migrations.AddIndex(
            model_name="projecttransaction",
            index=models.Index(
                condition=models.Q(("billing_rule__isnull", False)),
                fields=["billing_rule"],
                name="transaction_billing_rule_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="projecttransaction",
            index=models.Index(
                condition=models.Q(("milestone__isnull", False)),
                fields=["milestone"],
                name="transaction_milestone_idx",
            ),
        ),
    ]
