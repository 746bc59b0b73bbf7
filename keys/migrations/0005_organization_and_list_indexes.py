"""Each key carries its organization, and the key lists get indexes in their order.

The lists page by keyset (config/pagination.py): newest first, tie-broken by id, behind the
organization (all keys) or the environment (a keys tab). The organization is copied from the
key's environment, which a key never leaves.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_organization(apps, schema_editor):
    ApiKey = apps.get_model("keys", "ApiKey")
    Environment = apps.get_model("environments", "Environment")
    owner = Environment.objects.filter(pk=OuterRef("environment_id")).values(
        "project__organization_id"
    )
    ApiKey.objects.update(organization_id=Subquery(owner[:1]))


class Migration(migrations.Migration):
    dependencies = [
        ("environments", "0007_allowed_email_domains"),
        ("keys", "0004_last_used_ip"),
    ]

    operations = [
        migrations.AddField(
            model_name="apikey",
            name="organization",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="environments.organization",
            ),
        ),
        migrations.RunPython(copy_organization, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="apikey",
            name="organization",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="environments.organization",
            ),
        ),
        migrations.AlterField(
            model_name="apikey",
            name="environment",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="api_keys",
                to="environments.environment",
            ),
        ),
        migrations.AddIndex(
            model_name="apikey",
            index=models.Index(
                fields=["organization", "-created_at", "-id"], name="key_org_newest"
            ),
        ),
        migrations.AddIndex(
            model_name="apikey",
            index=models.Index(fields=["environment", "-created_at", "-id"], name="key_env_newest"),
        ),
    ]
