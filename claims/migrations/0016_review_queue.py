"""The review queue: since when a claim waits, who holds it; canned reasons and the service target."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('claims', '0015_claim_region'),
        ('recalls', '0007_recall_texts_per_language'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ReplyTemplate',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('rejection', 'Rejection reason'), ('message', 'Message to the customer')], max_length=12)),
                ('title', models.CharField(help_text='What agents pick it by; never sent.', max_length=100)),
                ('text', models.TextField(help_text="Sent to the customer as written here, in the claim's language.")),
                ('text_en', models.TextField(help_text="Sent to the customer as written here, in the claim's language.", null=True)),
                ('text_de', models.TextField(help_text="Sent to the customer as written here, in the claim's language.", null=True)),
                ('text_ja', models.TextField(help_text="Sent to the customer as written here, in the claim's language.", null=True)),
                ('active', models.BooleanField(default=True, help_text='Offered to agents.')),
            ],
            options={
                'verbose_name': 'canned reason',
                'ordering': ['kind', 'title'],
            },
        ),
        migrations.CreateModel(
            name='ReviewSettings',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('target_hours', models.PositiveSmallIntegerField(default=48, help_text='Service target: a claim in review is decided within this many hours.')),
            ],
            options={
                'verbose_name': 'review settings',
                'verbose_name_plural': 'review settings',
            },
        ),
        migrations.AddField(
            model_name='claim',
            name='held_by',
            field=models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='claim',
            name='held_until',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='claim',
            name='review_since',
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name='in review since'),
        ),
        migrations.AddField(
            model_name='claimevent',
            name='free_text',
            field=models.BooleanField(default=False, help_text='The note holds words an agent wrote.'),
        ),
        migrations.AddConstraint(
            model_name='replytemplate',
            constraint=models.UniqueConstraint(fields=('kind', 'title'), name='reply_template_title_unique'),
        ),
        migrations.AddField(
            model_name='claimevent',
            name='reply_template',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='claims.replytemplate'),
        ),
    ]
