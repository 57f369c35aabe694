"""Every tax group gets its EN 16931 VAT category from what it says today: reverse charge is
AE with the exemption reason code VATEX-EU-AE, exempt is E, any other zero rate is Z (zero
rated), and a rate above zero is S (standard rate).

An exempt group must say why it is exempt (BR-E-10, a code or a text): one without a text on
invoice gets the standard text "Exempt from VAT", which the finance team can replace with
the article of the VAT law it is exempt under. The history of each group records the change.

Reversing leaves the categories: 0011's reversal drops the columns."""

from django.db import migrations

EXEMPT_TEXT = "Exempt from VAT"


def categories_from_flags(apps, schema_editor):
    TaxGroup = apps.get_model("contracts", "TaxGroup")
    TaxGroup.objects.filter(is_reverse_charge=True).update(
        vat_category="AE", exemption_reason_code="VATEX-EU-AE"
    )
    TaxGroup.objects.filter(is_exempt=True).update(vat_category="E")
    TaxGroup.objects.filter(is_exempt=True, note="").update(note=EXEMPT_TEXT)
    TaxGroup.objects.filter(is_reverse_charge=False, is_exempt=False, rate=0).update(
        vat_category="Z"
    )
    TaxGroup.objects.filter(is_reverse_charge=False, is_exempt=False, rate__gt=0).update(
        vat_category="S"
    )


class Migration(migrations.Migration):
    dependencies = [("contracts", "0011_einvoice_master_data")]

    operations = [migrations.RunPython(categories_from_flags, migrations.RunPython.noop)]
