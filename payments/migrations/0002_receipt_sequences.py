from django.db import migrations

CHANNELS = ["cash", "online", "credit"]


def create_sequences(apps, schema_editor):
    ReceiptSequence = apps.get_model("payments", "ReceiptSequence")
    for channel in CHANNELS:
        ReceiptSequence.objects.get_or_create(channel=channel)


class Migration(migrations.Migration):
    """One receipt sequence row per channel, so that taking a number is always a row lock."""

    dependencies = [("payments", "0001_payments")]

    operations = [migrations.RunPython(create_sequences, migrations.RunPython.noop)]
