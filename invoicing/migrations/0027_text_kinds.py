"""Generated line descriptions are kept as a kind and parameters (issue 16, item 1): shown in
the reader's language, and printed in the customer's. Existing lines keep their text (no kind)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("invoicing", "0026_import_speed"),
    ]

    operations = [
        migrations.AddField(
            model_name="proposalline",
            name="description_kind",
            field=models.CharField(
                blank=True, default="", max_length=40, verbose_name="kind of description"
            ),
        ),
        migrations.AddField(
            model_name="proposalline",
            name="description_params",
            field=models.JSONField(blank=True, default=dict, verbose_name="description parameters"),
        ),
        migrations.AddField(
            model_name="invoiceline",
            name="description_kind",
            field=models.CharField(
                blank=True, default="", max_length=40, verbose_name="kind of description"
            ),
        ),
        migrations.AddField(
            model_name="invoiceline",
            name="description_params",
            field=models.JSONField(blank=True, default=dict, verbose_name="description parameters"),
        ),
    ]
