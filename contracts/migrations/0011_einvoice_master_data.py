"""E-invoice master data (issue 14, item 1): the VAT category and exemption reason of tax
groups, the legal entity's F-tax, registered office, plusgiro and FIK creditor number, the
customer's Peppol endpoint and default buyer reference, the contract's buyer and order
references. The categories are filled by 0012 and their rules added by 0013."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0010_billing_rule_record_progress"),
    ]

    operations = [
        migrations.AddField(
            model_name="customer",
            name="buyer_reference",
            field=models.CharField(
                blank=True,
                help_text="The reference the customer asks for on every invoice (BT-10), e.g. a Swedish public body's reference code. A contract can give its own.",
                max_length=100,
                verbose_name="buyer reference",
            ),
        ),
        migrations.AddField(
            model_name="customer",
            name="peppol_identifier",
            field=models.CharField(
                blank=True,
                help_text="The customer's number in that scheme, e.g. its organisation number for 0007.",
                max_length=50,
                verbose_name="Peppol identifier",
            ),
        ),
        migrations.AddField(
            model_name="customer",
            name="peppol_scheme",
            field=models.CharField(
                blank=True,
                choices=[
                    ("0007", "0007 – Swedish organisation number"),
                    ("0184", "0184 – Danish CVR number"),
                    ("0192", "0192 – Norwegian organisation number"),
                    ("0216", "0216 – Finnish OVT code"),
                    ("0213", "0213 – Finnish VAT number"),
                    ("0088", "0088 – GLN (global location number)"),
                    ("0208", "0208 – Belgian enterprise number"),
                    ("9930", "9930 – German VAT number"),
                    ("9957", "9957 – French VAT number"),
                ],
                help_text="How the customer is found in the Peppol network, e.g. 0007 in Sweden.",
                max_length=4,
                verbose_name="Peppol scheme",
            ),
        ),
        migrations.AddField(
            model_name="historicalcustomer",
            name="buyer_reference",
            field=models.CharField(
                blank=True,
                help_text="The reference the customer asks for on every invoice (BT-10), e.g. a Swedish public body's reference code. A contract can give its own.",
                max_length=100,
                verbose_name="buyer reference",
            ),
        ),
        migrations.AddField(
            model_name="historicalcustomer",
            name="peppol_identifier",
            field=models.CharField(
                blank=True,
                help_text="The customer's number in that scheme, e.g. its organisation number for 0007.",
                max_length=50,
                verbose_name="Peppol identifier",
            ),
        ),
        migrations.AddField(
            model_name="historicalcustomer",
            name="peppol_scheme",
            field=models.CharField(
                blank=True,
                choices=[
                    ("0007", "0007 – Swedish organisation number"),
                    ("0184", "0184 – Danish CVR number"),
                    ("0192", "0192 – Norwegian organisation number"),
                    ("0216", "0216 – Finnish OVT code"),
                    ("0213", "0213 – Finnish VAT number"),
                    ("0088", "0088 – GLN (global location number)"),
                    ("0208", "0208 – Belgian enterprise number"),
                    ("9930", "9930 – German VAT number"),
                    ("9957", "9957 – French VAT number"),
                ],
                help_text="How the customer is found in the Peppol network, e.g. 0007 in Sweden.",
                max_length=4,
                verbose_name="Peppol scheme",
            ),
        ),
        migrations.AddField(
            model_name="historicallegalentity",
            name="f_skatt",
            field=models.BooleanField(
                default=False,
                help_text="Sweden only: printed as 'Godkänd för F-skatt' on every invoice.",
                verbose_name="approved for F-tax",
            ),
        ),
        migrations.AddField(
            model_name="historicallegalentity",
            name="fik_creditor_number",
            field=models.CharField(
                blank=True,
                help_text="Denmark: the 8-digit creditor number of the payment slip (+71), from your bank.",
                max_length=8,
                verbose_name="FIK creditor number",
            ),
        ),
        migrations.AddField(
            model_name="historicallegalentity",
            name="plusgiro",
            field=models.CharField(
                blank=True,
                help_text="Sweden: 2 to 8 digits, e.g. 4 12 34-6.",
                max_length=20,
                verbose_name="plusgiro",
            ),
        ),
        migrations.AddField(
            model_name="historicallegalentity",
            name="registered_office",
            field=models.CharField(
                blank=True,
                help_text="The municipality where the company has its registered office, e.g. Stockholm.",
                max_length=100,
                verbose_name="registered office",
            ),
        ),
        migrations.AddField(
            model_name="historicalprojectcontract",
            name="buyer_reference",
            field=models.CharField(
                blank=True,
                help_text="The reference the customer asks for on this contract's e-invoices (BT-10). Leave blank to use the customer's.",
                max_length=100,
                verbose_name="buyer reference",
            ),
        ),
        migrations.AddField(
            model_name="historicalprojectcontract",
            name="order_reference",
            field=models.CharField(
                blank=True,
                help_text="The customer's purchase order number (BT-13).",
                max_length=100,
                verbose_name="order reference",
            ),
        ),
        migrations.AddField(
            model_name="historicaltaxgroup",
            name="exemption_reason_code",
            field=models.CharField(
                blank=True,
                choices=[
                    ("VATEX-EU-AE", "VATEX-EU-AE – Reverse charge"),
                    ("VATEX-EU-IC", "VATEX-EU-IC – Intra-community supply"),
                    ("VATEX-EU-G", "VATEX-EU-G – Export outside the EU"),
                    ("VATEX-EU-O", "VATEX-EU-O – Not subject to VAT"),
                    (
                        "VATEX-EU-D",
                        "VATEX-EU-D – Intra-community acquisition of second-hand means of transport",
                    ),
                    ("VATEX-EU-F", "VATEX-EU-F – Intra-community acquisition of second-hand goods"),
                    ("VATEX-EU-I", "VATEX-EU-I – Intra-community acquisition of works of art"),
                    (
                        "VATEX-EU-J",
                        "VATEX-EU-J – Intra-community acquisition of collectors' items and antiques",
                    ),
                    (
                        "VATEX-EU-79-C",
                        "VATEX-EU-79-C – exempt under article 79(c) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-132",
                        "VATEX-EU-132 – exempt under article 132 of the VAT directive",
                    ),
                    (
                        "VATEX-EU-132-1A",
                        "VATEX-EU-132-1A – exempt under article 132(1)(a) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-132-1B",
                        "VATEX-EU-132-1B – exempt under article 132(1)(b) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-132-1C",
                        "VATEX-EU-132-1C – exempt under article 132(1)(c) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-132-1D",
                        "VATEX-EU-132-1D – exempt under article 132(1)(d) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-132-1E",
                        "VATEX-EU-132-1E – exempt under article 132(1)(e) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-132-1F",
                        "VATEX-EU-132-1F – exempt under article 132(1)(f) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-132-1G",
                        "VATEX-EU-132-1G – exempt under article 132(1)(g) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-132-1H",
                        "VATEX-EU-132-1H – exempt under article 132(1)(h) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-132-1I",
                        "VATEX-EU-132-1I – exempt under article 132(1)(i) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-132-1J",
                        "VATEX-EU-132-1J – exempt under article 132(1)(j) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-132-1K",
                        "VATEX-EU-132-1K – exempt under article 132(1)(k) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-132-1L",
                        "VATEX-EU-132-1L – exempt under article 132(1)(l) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-132-1M",
                        "VATEX-EU-132-1M – exempt under article 132(1)(m) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-132-1N",
                        "VATEX-EU-132-1N – exempt under article 132(1)(n) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-132-1O",
                        "VATEX-EU-132-1O – exempt under article 132(1)(o) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-132-1P",
                        "VATEX-EU-132-1P – exempt under article 132(1)(p) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-132-1Q",
                        "VATEX-EU-132-1Q – exempt under article 132(1)(q) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-135-1",
                        "VATEX-EU-135-1 – exempt under article 135(1) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-143",
                        "VATEX-EU-143 – exempt under article 143 of the VAT directive",
                    ),
                    (
                        "VATEX-EU-143-1A",
                        "VATEX-EU-143-1A – exempt under article 143(1)(a) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-143-1B",
                        "VATEX-EU-143-1B – exempt under article 143(1)(b) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-143-1C",
                        "VATEX-EU-143-1C – exempt under article 143(1)(c) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-143-1D",
                        "VATEX-EU-143-1D – exempt under article 143(1)(d) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-143-1E",
                        "VATEX-EU-143-1E – exempt under article 143(1)(e) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-143-1F",
                        "VATEX-EU-143-1F – exempt under article 143(1)(f) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-143-1FA",
                        "VATEX-EU-143-1FA – exempt under article 143(1)(fa) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-143-1G",
                        "VATEX-EU-143-1G – exempt under article 143(1)(g) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-143-1H",
                        "VATEX-EU-143-1H – exempt under article 143(1)(h) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-143-1I",
                        "VATEX-EU-143-1I – exempt under article 143(1)(i) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-143-1J",
                        "VATEX-EU-143-1J – exempt under article 143(1)(j) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-143-1K",
                        "VATEX-EU-143-1K – exempt under article 143(1)(k) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-143-1L",
                        "VATEX-EU-143-1L – exempt under article 143(1)(l) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-144",
                        "VATEX-EU-144 – exempt under article 144 of the VAT directive",
                    ),
                    (
                        "VATEX-EU-146-1E",
                        "VATEX-EU-146-1E – exempt under article 146(1)(e) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-148",
                        "VATEX-EU-148 – exempt under article 148 of the VAT directive",
                    ),
                    (
                        "VATEX-EU-148-A",
                        "VATEX-EU-148-A – exempt under article 148(a) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-148-B",
                        "VATEX-EU-148-B – exempt under article 148(b) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-148-C",
                        "VATEX-EU-148-C – exempt under article 148(c) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-148-D",
                        "VATEX-EU-148-D – exempt under article 148(d) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-148-E",
                        "VATEX-EU-148-E – exempt under article 148(e) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-148-F",
                        "VATEX-EU-148-F – exempt under article 148(f) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-148-G",
                        "VATEX-EU-148-G – exempt under article 148(g) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-151",
                        "VATEX-EU-151 – exempt under article 151 of the VAT directive",
                    ),
                    (
                        "VATEX-EU-151-1A",
                        "VATEX-EU-151-1A – exempt under article 151(1)(a) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-151-1AA",
                        "VATEX-EU-151-1AA – exempt under article 151(1)(aa) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-151-1B",
                        "VATEX-EU-151-1B – exempt under article 151(1)(b) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-151-1C",
                        "VATEX-EU-151-1C – exempt under article 151(1)(c) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-151-1D",
                        "VATEX-EU-151-1D – exempt under article 151(1)(d) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-151-1E",
                        "VATEX-EU-151-1E – exempt under article 151(1)(e) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-153",
                        "VATEX-EU-153 – exempt under article 153 of the VAT directive",
                    ),
                    (
                        "VATEX-EU-159",
                        "VATEX-EU-159 – exempt under article 159 of the VAT directive",
                    ),
                    (
                        "VATEX-EU-309",
                        "VATEX-EU-309 – exempt under article 309 of the VAT directive",
                    ),
                ],
                help_text="Why no VAT is charged, as a code from the EU list (VATEX), e.g. VATEX-EU-AE for reverse charge. Needed, or the text on invoice, for every category but S and Z.",
                max_length=20,
                verbose_name="exemption reason code",
            ),
        ),
        migrations.AddField(
            model_name="historicaltaxgroup",
            name="vat_category",
            field=models.CharField(
                choices=[
                    ("S", "S – standard rate"),
                    ("Z", "Z – zero rated"),
                    ("E", "E – exempt from VAT"),
                    ("AE", "AE – reverse charge"),
                    ("K", "K – intra-community supply (EU)"),
                    ("G", "G – export outside the EU"),
                    ("O", "O – not subject to VAT"),
                ],
                default="S",
                help_text="The category an e-invoice gives this VAT (EN 16931): S for the normal rates, AE for reverse charge, E for exempt, K for goods and services to another EU country, G for export, Z for zero rated, O for not subject to VAT.",
                max_length=2,
                verbose_name="VAT category",
            ),
        ),
        migrations.AddField(
            model_name="legalentity",
            name="f_skatt",
            field=models.BooleanField(
                default=False,
                help_text="Sweden only: printed as 'Godkänd för F-skatt' on every invoice.",
                verbose_name="approved for F-tax",
            ),
        ),
        migrations.AddField(
            model_name="legalentity",
            name="fik_creditor_number",
            field=models.CharField(
                blank=True,
                help_text="Denmark: the 8-digit creditor number of the payment slip (+71), from your bank.",
                max_length=8,
                verbose_name="FIK creditor number",
            ),
        ),
        migrations.AddField(
            model_name="legalentity",
            name="plusgiro",
            field=models.CharField(
                blank=True,
                help_text="Sweden: 2 to 8 digits, e.g. 4 12 34-6.",
                max_length=20,
                verbose_name="plusgiro",
            ),
        ),
        migrations.AddField(
            model_name="legalentity",
            name="registered_office",
            field=models.CharField(
                blank=True,
                help_text="The municipality where the company has its registered office, e.g. Stockholm.",
                max_length=100,
                verbose_name="registered office",
            ),
        ),
        migrations.AddField(
            model_name="projectcontract",
            name="buyer_reference",
            field=models.CharField(
                blank=True,
                help_text="The reference the customer asks for on this contract's e-invoices (BT-10). Leave blank to use the customer's.",
                max_length=100,
                verbose_name="buyer reference",
            ),
        ),
        migrations.AddField(
            model_name="projectcontract",
            name="order_reference",
            field=models.CharField(
                blank=True,
                help_text="The customer's purchase order number (BT-13).",
                max_length=100,
                verbose_name="order reference",
            ),
        ),
        migrations.AddField(
            model_name="taxgroup",
            name="exemption_reason_code",
            field=models.CharField(
                blank=True,
                choices=[
                    ("VATEX-EU-AE", "VATEX-EU-AE – Reverse charge"),
                    ("VATEX-EU-IC", "VATEX-EU-IC – Intra-community supply"),
                    ("VATEX-EU-G", "VATEX-EU-G – Export outside the EU"),
                    ("VATEX-EU-O", "VATEX-EU-O – Not subject to VAT"),
                    (
                        "VATEX-EU-D",
                        "VATEX-EU-D – Intra-community acquisition of second-hand means of transport",
                    ),
                    ("VATEX-EU-F", "VATEX-EU-F – Intra-community acquisition of second-hand goods"),
                    ("VATEX-EU-I", "VATEX-EU-I – Intra-community acquisition of works of art"),
                    (
                        "VATEX-EU-J",
                        "VATEX-EU-J – Intra-community acquisition of collectors' items and antiques",
                    ),
                    (
                        "VATEX-EU-79-C",
                        "VATEX-EU-79-C – exempt under article 79(c) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-132",
                        "VATEX-EU-132 – exempt under article 132 of the VAT directive",
                    ),
                    (
                        "VATEX-EU-132-1A",
                        "VATEX-EU-132-1A – exempt under article 132(1)(a) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-132-1B",
                        "VATEX-EU-132-1B – exempt under article 132(1)(b) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-132-1C",
                        "VATEX-EU-132-1C – exempt under article 132(1)(c) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-132-1D",
                        "VATEX-EU-132-1D – exempt under article 132(1)(d) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-132-1E",
                        "VATEX-EU-132-1E – exempt under article 132(1)(e) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-132-1F",
                        "VATEX-EU-132-1F – exempt under article 132(1)(f) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-132-1G",
                        "VATEX-EU-132-1G – exempt under article 132(1)(g) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-132-1H",
                        "VATEX-EU-132-1H – exempt under article 132(1)(h) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-132-1I",
                        "VATEX-EU-132-1I – exempt under article 132(1)(i) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-132-1J",
                        "VATEX-EU-132-1J – exempt under article 132(1)(j) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-132-1K",
                        "VATEX-EU-132-1K – exempt under article 132(1)(k) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-132-1L",
                        "VATEX-EU-132-1L – exempt under article 132(1)(l) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-132-1M",
                        "VATEX-EU-132-1M – exempt under article 132(1)(m) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-132-1N",
                        "VATEX-EU-132-1N – exempt under article 132(1)(n) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-132-1O",
                        "VATEX-EU-132-1O – exempt under article 132(1)(o) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-132-1P",
                        "VATEX-EU-132-1P – exempt under article 132(1)(p) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-132-1Q",
                        "VATEX-EU-132-1Q – exempt under article 132(1)(q) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-135-1",
                        "VATEX-EU-135-1 – exempt under article 135(1) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-143",
                        "VATEX-EU-143 – exempt under article 143 of the VAT directive",
                    ),
                    (
                        "VATEX-EU-143-1A",
                        "VATEX-EU-143-1A – exempt under article 143(1)(a) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-143-1B",
                        "VATEX-EU-143-1B – exempt under article 143(1)(b) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-143-1C",
                        "VATEX-EU-143-1C – exempt under article 143(1)(c) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-143-1D",
                        "VATEX-EU-143-1D – exempt under article 143(1)(d) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-143-1E",
                        "VATEX-EU-143-1E – exempt under article 143(1)(e) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-143-1F",
                        "VATEX-EU-143-1F – exempt under article 143(1)(f) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-143-1FA",
                        "VATEX-EU-143-1FA – exempt under article 143(1)(fa) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-143-1G",
                        "VATEX-EU-143-1G – exempt under article 143(1)(g) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-143-1H",
                        "VATEX-EU-143-1H – exempt under article 143(1)(h) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-143-1I",
                        "VATEX-EU-143-1I – exempt under article 143(1)(i) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-143-1J",
                        "VATEX-EU-143-1J – exempt under article 143(1)(j) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-143-1K",
                        "VATEX-EU-143-1K – exempt under article 143(1)(k) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-143-1L",
                        "VATEX-EU-143-1L – exempt under article 143(1)(l) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-144",
                        "VATEX-EU-144 – exempt under article 144 of the VAT directive",
                    ),
                    (
                        "VATEX-EU-146-1E",
                        "VATEX-EU-146-1E – exempt under article 146(1)(e) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-148",
                        "VATEX-EU-148 – exempt under article 148 of the VAT directive",
                    ),
                    (
                        "VATEX-EU-148-A",
                        "VATEX-EU-148-A – exempt under article 148(a) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-148-B",
                        "VATEX-EU-148-B – exempt under article 148(b) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-148-C",
                        "VATEX-EU-148-C – exempt under article 148(c) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-148-D",
                        "VATEX-EU-148-D – exempt under article 148(d) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-148-E",
                        "VATEX-EU-148-E – exempt under article 148(e) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-148-F",
                        "VATEX-EU-148-F – exempt under article 148(f) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-148-G",
                        "VATEX-EU-148-G – exempt under article 148(g) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-151",
                        "VATEX-EU-151 – exempt under article 151 of the VAT directive",
                    ),
                    (
                        "VATEX-EU-151-1A",
                        "VATEX-EU-151-1A – exempt under article 151(1)(a) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-151-1AA",
                        "VATEX-EU-151-1AA – exempt under article 151(1)(aa) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-151-1B",
                        "VATEX-EU-151-1B – exempt under article 151(1)(b) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-151-1C",
                        "VATEX-EU-151-1C – exempt under article 151(1)(c) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-151-1D",
                        "VATEX-EU-151-1D – exempt under article 151(1)(d) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-151-1E",
                        "VATEX-EU-151-1E – exempt under article 151(1)(e) of the VAT directive",
                    ),
                    (
                        "VATEX-EU-153",
                        "VATEX-EU-153 – exempt under article 153 of the VAT directive",
                    ),
                    (
                        "VATEX-EU-159",
                        "VATEX-EU-159 – exempt under article 159 of the VAT directive",
                    ),
                    (
                        "VATEX-EU-309",
                        "VATEX-EU-309 – exempt under article 309 of the VAT directive",
                    ),
                ],
                help_text="Why no VAT is charged, as a code from the EU list (VATEX), e.g. VATEX-EU-AE for reverse charge. Needed, or the text on invoice, for every category but S and Z.",
                max_length=20,
                verbose_name="exemption reason code",
            ),
        ),
        migrations.AddField(
            model_name="taxgroup",
            name="vat_category",
            field=models.CharField(
                choices=[
                    ("S", "S – standard rate"),
                    ("Z", "Z – zero rated"),
                    ("E", "E – exempt from VAT"),
                    ("AE", "AE – reverse charge"),
                    ("K", "K – intra-community supply (EU)"),
                    ("G", "G – export outside the EU"),
                    ("O", "O – not subject to VAT"),
                ],
                default="S",
                help_text="The category an e-invoice gives this VAT (EN 16931): S for the normal rates, AE for reverse charge, E for exempt, K for goods and services to another EU country, G for export, Z for zero rated, O for not subject to VAT.",
                max_length=2,
                verbose_name="VAT category",
            ),
        ),
        migrations.AlterField(
            model_name="historicallegalentity",
            name="bankgiro",
            field=models.CharField(
                blank=True,
                help_text="Sweden: 7 or 8 digits, e.g. 5050-1055.",
                max_length=20,
                verbose_name="bank giro",
            ),
        ),
        migrations.AlterField(
            model_name="historicallegalentity",
            name="bic",
            field=models.CharField(
                blank=True, help_text="e.g. ESSESESS", max_length=11, verbose_name="BIC"
            ),
        ),
        migrations.AlterField(
            model_name="historicallegalentity",
            name="iban",
            field=models.CharField(
                blank=True,
                help_text="e.g. SE45 5000 0000 0583 9825 7466",
                max_length=34,
                verbose_name="IBAN",
            ),
        ),
        migrations.AlterField(
            model_name="historicallegalentity",
            name="organization_number",
            field=models.CharField(
                blank=True,
                help_text="Swedish organisation numbers and Danish CVR numbers are checked (check digit); for other countries write the number as registered.",
                max_length=30,
                verbose_name="organization number",
            ),
        ),
        migrations.AlterField(
            model_name="historicaltaxgroup",
            name="is_exempt",
            field=models.BooleanField(default=False, editable=False, verbose_name="exempt"),
        ),
        migrations.AlterField(
            model_name="historicaltaxgroup",
            name="is_reverse_charge",
            field=models.BooleanField(default=False, editable=False, verbose_name="reverse charge"),
        ),
        migrations.AlterField(
            model_name="historicaltaxgroup",
            name="note",
            field=models.CharField(
                blank=True,
                help_text="Printed on the invoice, e.g. 'Reverse charge, art. 196 VAT directive'. For the categories that charge no VAT it is also the exemption reason of the e-invoice.",
                max_length=200,
                verbose_name="text on invoice",
            ),
        ),
        migrations.AlterField(
            model_name="legalentity",
            name="bankgiro",
            field=models.CharField(
                blank=True,
                help_text="Sweden: 7 or 8 digits, e.g. 5050-1055.",
                max_length=20,
                verbose_name="bank giro",
            ),
        ),
        migrations.AlterField(
            model_name="legalentity",
            name="bic",
            field=models.CharField(
                blank=True, help_text="e.g. ESSESESS", max_length=11, verbose_name="BIC"
            ),
        ),
        migrations.AlterField(
            model_name="legalentity",
            name="iban",
            field=models.CharField(
                blank=True,
                help_text="e.g. SE45 5000 0000 0583 9825 7466",
                max_length=34,
                verbose_name="IBAN",
            ),
        ),
        migrations.AlterField(
            model_name="legalentity",
            name="organization_number",
            field=models.CharField(
                blank=True,
                help_text="Swedish organisation numbers and Danish CVR numbers are checked (check digit); for other countries write the number as registered.",
                max_length=30,
                verbose_name="organization number",
            ),
        ),
        migrations.AlterField(
            model_name="taxgroup",
            name="is_exempt",
            field=models.BooleanField(default=False, editable=False, verbose_name="exempt"),
        ),
        migrations.AlterField(
            model_name="taxgroup",
            name="is_reverse_charge",
            field=models.BooleanField(default=False, editable=False, verbose_name="reverse charge"),
        ),
        migrations.AlterField(
            model_name="taxgroup",
            name="note",
            field=models.CharField(
                blank=True,
                help_text="Printed on the invoice, e.g. 'Reverse charge, art. 196 VAT directive'. For the categories that charge no VAT it is also the exemption reason of the e-invoice.",
                max_length=200,
                verbose_name="text on invoice",
            ),
        ),
    ]
