"""The VAT breakdown of posted invoices by EN 16931 VAT category and rate (issue 14, item 1): each
line and each VAT row records its category and exemption reason from now on. Rows posted before
keep a blank category (they are final and are never turned into e-invoices)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('invoicing', '0016_closed_transaction_lines_may_lose_their_share'),
    ]

    operations = [
        migrations.AddField(
            model_name='invoiceline',
            name='exemption_reason',
            field=models.CharField(blank=True, default='', max_length=200, verbose_name='exemption reason'),
        ),
        migrations.AddField(
            model_name='invoiceline',
            name='exemption_reason_code',
            field=models.CharField(blank=True, default='', max_length=20, verbose_name='exemption reason code'),
        ),
        migrations.AddField(
            model_name='invoiceline',
            name='vat_category',
            field=models.CharField(blank=True, default='', max_length=2, verbose_name='VAT category'),
        ),
        migrations.AddField(
            model_name='invoicetax',
            name='exemption_reason',
            field=models.CharField(blank=True, default='', max_length=200, verbose_name='exemption reason'),
        ),
        migrations.AddField(
            model_name='invoicetax',
            name='exemption_reason_code',
            field=models.CharField(blank=True, default='', max_length=20, verbose_name='exemption reason code'),
        ),
        migrations.AddField(
            model_name='invoicetax',
            name='vat_category',
            field=models.CharField(blank=True, default='', max_length=2, verbose_name='VAT category'),
        ),
    ]
