"""The features the platform sells, shipped with the product."""

from django.db import migrations

CATALOG = [
    (
        "voice_sites",
        "Voice sites (IVR)",
        "Build and publish IVR voice sites that answer the account's numbers.",
        [],
    ),
    (
        "outbound_campaigns",
        "Outbound campaigns",
        "Place outbound calls from a voice site to lists of contacts; adds Outbound "
        "to the Voice Sites menu.",
        ["voice_sites"],
    ),
    (
        "tts_settings",
        "TTS settings",
        "Control text-to-speech voices and the speaking rate on Message pages.",
        ["voice_sites"],
    ),
    (
        "nl_speech",
        "Natural-language speech recognition",
        "Let callers answer Question pages in their own words.",
        ["voice_sites"],
    ),
    ("sms", "SMS", "Send and receive text messages on the account's numbers.", []),
    ("web_chat", "Web chat", "Add a chat window to the customer's website.", []),
    (
        "call_recording",
        "Call recording",
        "Record calls handled by voice sites and keep the recordings.",
        ["voice_sites"],
    ),
    ("reporting", "Reporting", "Call, campaign and chat reports and exports.", []),
    (
        "api_access",
        "API access",
        "Let the account create API keys and use the CX Builder API.",
        [],
    ),
    (
        "multi_user",
        "Multi-user accounts",
        "Let the account administrator add users with their own logins.",
        [],
    ),
]


def seed(apps, schema_editor):
    Feature = apps.get_model("features", "Feature")
    by_key = {}
    for position, (key, name, description, _) in enumerate(CATALOG, start=1):
        by_key[key], _ = Feature.objects.get_or_create(
            key=key,
            defaults={
                "name": name,
                "description": description,
                "position": position * 10,
            },
        )
    for key, _, _, dependencies in CATALOG:
        for dependency in dependencies:
            by_key[key].dependencies.add(by_key[dependency])


class Migration(migrations.Migration):
    dependencies = [("features", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
