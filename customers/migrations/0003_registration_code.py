from django.db import migrations, models

import customers.codes


def codes_for_existing(apps, schema_editor):
    """AddField evaluated the default once for every row: give each connection its own code."""
    Customer = apps.get_model("customers", "Customer")
    for customer in Customer.objects.only("pk").iterator():
        Customer.objects.filter(pk=customer.pk).update(registration_code=customers.codes.registration_code_new())


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0002_trigram_search"),
    ]

    operations = [
        migrations.AddField(
            model_name="customer",
            name="registration_code",
            field=models.CharField(
                default=customers.codes.registration_code_new,
                editable=False,
                max_length=10,
                verbose_name="registration code",
            ),
        ),
        migrations.RunPython(codes_for_existing, migrations.RunPython.noop),
    ]
