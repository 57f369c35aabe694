"""The billing-plan templates every contract can use (DOMAIN.md section 10)."""

from django.db import migrations

BUILTIN = {
    "25/25/50": [25, 25, 50],
    "30/30/40": [30, 30, 40],
    "20/30/30/20": [20, 30, 30, 20],
    "40/30/30": [40, 30, 30],
}


def create(apps, schema_editor):
    Template = apps.get_model("contracts", "BillingPlanTemplate")
    for name, percents in BUILTIN.items():
        Template.objects.update_or_create(name=name, defaults={"percents": percents, "is_builtin": True})


def remove(apps, schema_editor):
    apps.get_model("contracts", "BillingPlanTemplate").objects.filter(name__in=BUILTIN).delete()


class Migration(migrations.Migration):
    dependencies = [("contracts", "0005_billing_rules_and_milestones")]

    operations = [migrations.RunPython(create, remove)]
