"""The rules of tax groups' VAT categories and of customers' Peppol endpoints, once 0012 has
given every tax group its category."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("contracts", "0012_tax_group_vat_categories")]

    operations = [
        migrations.AddConstraint(
            model_name="customer",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("peppol_identifier", ""), ("peppol_scheme", "")),
                    models.Q(
                        models.Q(("peppol_scheme", ""), _negated=True),
                        models.Q(("peppol_identifier", ""), _negated=True),
                    ),
                    _connector="OR",
                ),
                name="customer_peppol_scheme_and_identifier_together",
                violation_error_message="Enter both the Peppol scheme and the Peppol identifier, or neither.",
            ),
        ),
        migrations.AddConstraint(
            model_name="customer",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("peppol_scheme", ""),
                    (
                        "peppol_scheme__in",
                        ["0007", "0184", "0192", "0216", "0213", "0088", "0208", "9930", "9957"],
                    ),
                    _connector="OR",
                ),
                name="customer_peppol_scheme_valid",
                violation_error_message="Choose a Peppol scheme from the list.",
            ),
        ),
        migrations.AddConstraint(
            model_name="taxgroup",
            constraint=models.CheckConstraint(
                condition=models.Q(("vat_category__in", ["S", "Z", "E", "AE", "K", "G", "O"])),
                name="taxgroup_vat_category_valid",
                violation_error_message="Choose a valid VAT category.",
            ),
        ),
        migrations.AddConstraint(
            model_name="taxgroup",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("vat_category", "S"), _negated=True), ("rate__gt", 0), _connector="OR"
                ),
                name="taxgroup_standard_rate_positive",
                violation_error_message="A standard-rate (S) tax group needs a VAT rate above zero.",
            ),
        ),
        migrations.AddConstraint(
            model_name="taxgroup",
            constraint=models.CheckConstraint(
                condition=models.Q(("vat_category", "S"), ("rate", 0), _connector="OR"),
                name="taxgroup_other_categories_zero_rate",
                violation_error_message="Only a standard-rate (S) tax group charges VAT: for this category the VAT rate must be zero.",
            ),
        ),
        migrations.AddConstraint(
            model_name="taxgroup",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        models.Q(("is_reverse_charge", True), ("vat_category", "AE")),
                        models.Q(
                            ("is_reverse_charge", False),
                            models.Q(("vat_category", "AE"), _negated=True),
                        ),
                        _connector="OR",
                    ),
                    models.Q(
                        models.Q(("is_exempt", True), ("vat_category", "E")),
                        models.Q(
                            ("is_exempt", False), models.Q(("vat_category", "E"), _negated=True)
                        ),
                        _connector="OR",
                    ),
                ),
                name="taxgroup_flags_follow_category",
                violation_error_message="A tax group is reverse charge exactly when its category is AE, and exempt exactly when its category is E.",
            ),
        ),
        migrations.AddConstraint(
            model_name="taxgroup",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("vat_category__in", ("E", "AE", "K", "G", "O")), _negated=True),
                    models.Q(("exemption_reason_code", ""), _negated=True),
                    models.Q(("note", ""), _negated=True),
                    _connector="OR",
                ),
                name="taxgroup_exemption_has_reason",
                violation_error_message="Exempt, reverse-charge, intra-community, export and not-subject tax groups must say why no VAT is charged: choose an exemption reason code or write the text on invoice.",
            ),
        ),
        migrations.AddConstraint(
            model_name="taxgroup",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("exemption_reason_code", ""),
                    models.Q(
                        (
                            "exemption_reason_code__in",
                            [
                                "VATEX-EU-D",
                                "VATEX-EU-F",
                                "VATEX-EU-I",
                                "VATEX-EU-J",
                                "VATEX-EU-79-C",
                                "VATEX-EU-132",
                                "VATEX-EU-132-1A",
                                "VATEX-EU-132-1B",
                                "VATEX-EU-132-1C",
                                "VATEX-EU-132-1D",
                                "VATEX-EU-132-1E",
                                "VATEX-EU-132-1F",
                                "VATEX-EU-132-1G",
                                "VATEX-EU-132-1H",
                                "VATEX-EU-132-1I",
                                "VATEX-EU-132-1J",
                                "VATEX-EU-132-1K",
                                "VATEX-EU-132-1L",
                                "VATEX-EU-132-1M",
                                "VATEX-EU-132-1N",
                                "VATEX-EU-132-1O",
                                "VATEX-EU-132-1P",
                                "VATEX-EU-132-1Q",
                                "VATEX-EU-135-1",
                                "VATEX-EU-143",
                                "VATEX-EU-143-1A",
                                "VATEX-EU-143-1B",
                                "VATEX-EU-143-1C",
                                "VATEX-EU-143-1D",
                                "VATEX-EU-143-1E",
                                "VATEX-EU-143-1F",
                                "VATEX-EU-143-1FA",
                                "VATEX-EU-143-1G",
                                "VATEX-EU-143-1H",
                                "VATEX-EU-143-1I",
                                "VATEX-EU-143-1J",
                                "VATEX-EU-143-1K",
                                "VATEX-EU-143-1L",
                                "VATEX-EU-144",
                                "VATEX-EU-146-1E",
                                "VATEX-EU-148",
                                "VATEX-EU-148-A",
                                "VATEX-EU-148-B",
                                "VATEX-EU-148-C",
                                "VATEX-EU-148-D",
                                "VATEX-EU-148-E",
                                "VATEX-EU-148-F",
                                "VATEX-EU-148-G",
                                "VATEX-EU-151",
                                "VATEX-EU-151-1A",
                                "VATEX-EU-151-1AA",
                                "VATEX-EU-151-1B",
                                "VATEX-EU-151-1C",
                                "VATEX-EU-151-1D",
                                "VATEX-EU-151-1E",
                                "VATEX-EU-153",
                                "VATEX-EU-159",
                                "VATEX-EU-309",
                            ],
                        ),
                        ("vat_category", "E"),
                    ),
                    models.Q(("exemption_reason_code", "VATEX-EU-AE"), ("vat_category", "AE")),
                    models.Q(("exemption_reason_code", "VATEX-EU-IC"), ("vat_category", "K")),
                    models.Q(("exemption_reason_code", "VATEX-EU-G"), ("vat_category", "G")),
                    models.Q(("exemption_reason_code", "VATEX-EU-O"), ("vat_category", "O")),
                    _connector="OR",
                ),
                name="taxgroup_reason_code_fits_category",
                violation_error_message="This exemption reason code belongs to another VAT category: VATEX-EU-AE is for reverse charge (AE), VATEX-EU-IC for intra-community supply (K), VATEX-EU-G for export (G), VATEX-EU-O for not subject to VAT (O), and the others for exempt (E).",
            ),
        ),
    ]
