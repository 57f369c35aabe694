"""A fee line knows the fee rule that made it (its amount then follows the rule's base on the
draft's current lines; a fee added by hand has no rule and is left alone), and a line whose
price was changed on a draft keeps the price it had before, for the approver.

Fee lines generated before this migration carry no rule. Open ones (drafts, submitted and
approved proposals) are linked to the contract's fee rule whose name starts their text
("<rule>: 10 % of 20,000.00", in any language): otherwise the next edit of such a draft would
add the rule's fee a second time beside the old line. Posted and cancelled lines stay as they
are."""

import django.db.models.deletion
from django.db import migrations, models


def link_generated_fee_lines(apps, schema_editor):
    ProposalLine = apps.get_model("invoicing", "ProposalLine")
    BillingRule = apps.get_model("contracts", "BillingRule")
    lines = ProposalLine.objects.filter(
        line_type="fee",
        is_open=True,
        fee_rule__isnull=True,
        proposal__credited_invoice__isnull=True,
    ).select_related("proposal")
    rules: dict[int, list] = {}
    for line in lines.iterator():
        contract_id = line.proposal.contract_id
        if contract_id not in rules:
            rules[contract_id] = list(
                BillingRule.objects.filter(contract_id=contract_id, rule_type="fee").order_by("pk")
            )
        rule = next(
            (rule for rule in rules[contract_id] if line.description.startswith(f"{rule.name}: ")),
            None,
        )
        if rule is not None:
            ProposalLine.objects.filter(pk=line.pk).update(fee_rule=rule)


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0009_collaboration_moves_out"),
        ("invoicing", "0009_invoice_snapshot"),
    ]

    operations = [
        migrations.AddField(
            model_name="proposalline",
            name="fee_rule",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="fee_lines",
                to="contracts.billingrule",
                verbose_name="fee rule",
            ),
        ),
        migrations.AddField(
            model_name="proposalline",
            name="original_sales_price",
            field=models.DecimalField(
                blank=True,
                decimal_places=4,
                max_digits=12,
                null=True,
                verbose_name="price before the change",
            ),
        ),
        migrations.RunPython(link_generated_fee_lines, migrations.RunPython.noop),
    ]
