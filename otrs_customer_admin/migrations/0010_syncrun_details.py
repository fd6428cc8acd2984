from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("otrs_customer_admin", "0009_customer_name_match_key"),
    ]

    operations = [
        migrations.AddField(
            model_name="syncrun",
            name="details",
            field=models.JSONField(blank=True, default=dict, verbose_name="details"),
        ),
    ]
