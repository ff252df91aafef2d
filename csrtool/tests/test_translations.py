"""Every message a subscriber can read has a translation in every language we
offer, and the compiled catalogues say what the .po files say.

The messages are found the way `makemessages` finds them (gettext calls in the
code, {% translate %} and {% blocktranslate %} in the templates: Django's
templatize), here through Babel so that the check needs no gettext tools: a
message marked for translation but missing from a catalogue, or present with an
empty or fuzzy translation, fails.
"""

import gettext
import io
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_python
from babel.messages.pofile import read_po
from django.conf import settings
from django.utils.translation.template import templatize

import csrtool

PACKAGE = Path(csrtool.__file__).parent
KEYWORDS = {
    "gettext": None,
    "gettext_lazy": None,
    "gettext_noop": None,
    "ngettext": (1, 2),
    "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2),
    "pgettext_lazy": ((1, "c"), 2),
}
SKIPPED_FOLDERS = {"tests", "migrations", "locale", "static", "__pycache__"}
TRANSLATED = [code for code, _ in settings.LANGUAGES if code != "en"]
PLACEHOLDER = re.compile(r"%\(\w+\)[sdr]|\{\w+\}")


def _sources():
    for path in sorted(PACKAGE.rglob("*")):
        if SKIPPED_FOLDERS & set(path.relative_to(PACKAGE).parts[:-1]):
            continue
        if path.suffix in (".py", ".html", ".txt") and path.is_file():
            yield path


def marked_messages() -> dict[str, str]:
    """Each msgid marked for translation in the package, and where it is."""
    found = {}
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        if path.suffix != ".py":
            if "{% load" not in text or "i18n" not in text:
                continue
            text = templatize(text, origin=str(path))
        for _, _, message, _ in extract_python(
            io.BytesIO(text.encode()), KEYWORDS, [], {}
        ):
            for msgid in message if isinstance(message, tuple) else (message,):
                if msgid:
                    found.setdefault(msgid, str(path.relative_to(PACKAGE)))
    return found


def catalogue(language: str):
    path = PACKAGE / "locale" / language / "LC_MESSAGES" / "django.po"
    with path.open("rb") as po:
        return read_po(po, locale=language)


def test_the_scan_finds_messages_of_code_and_templates():
    found = marked_messages()
    assert found["The two PINs do not match."] == "onboarding/services.py"
    assert found["Set up my account"] == "templates/onboarding/start.html"
    assert "Please correct the %(counter)s fields below." in found


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_marked_message_has_a_translation(language):
    translations = {}
    for message in catalogue(language):
        # A plural entry answers for its singular and its plural msgid.
        for msgid in message.id if isinstance(message.id, tuple) else [message.id]:
            if msgid:
                translations[msgid] = message
    missing = []
    for msgid, where in sorted(marked_messages().items()):
        message = translations.get(msgid)
        strings = message and (
            message.string if isinstance(message.string, tuple) else (message.string,)
        )
        if message is None or message.fuzzy or not all(strings):
            missing.append(f"{where}: {msgid!r}")
    assert not missing, f"No {language} translation for:\n" + "\n".join(missing)


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_the_placeholders(language):
    """A translation fills in exactly what its message does (a plural form may
    leave the count out: "el campo" for one)."""
    wrong = []
    for message in catalogue(language):
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            wanted = set(PLACEHOLDER.findall(" ".join(message.id)))
            if any(set(PLACEHOLDER.findall(s)) - wanted for s in message.string):
                wrong.append(message.id[0])
        elif set(PLACEHOLDER.findall(message.id)) != set(
            PLACEHOLDER.findall(message.string)
        ):
            wrong.append(message.id)
    assert not wrong, "Placeholders changed in the translation of:\n" + "\n".join(wrong)


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_compiled_catalogue_matches_its_po_file(language):
    """The .mo Django reads is the .po compiled (scripts/messages), not older."""
    mo = PACKAGE / "locale" / language / "LC_MESSAGES" / "django.mo"
    with mo.open("rb") as compiled:
        translations = gettext.GNUTranslations(compiled)
    stale = []
    for message in catalogue(language):
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            got = translations.ngettext(message.id[0], message.id[1], 1)
            want = message.string[0]
        else:
            got, want = translations.gettext(message.id), message.string
        if got != want:
            stale.append(message.id)
    assert not stale, f"django.mo is older than django.po for {stale[:5]}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_built_in_email_is_written_in_every_language(language):
    """Each kind of subscriber email has its own wording in the language (the
    built-in English is only for a language we do not offer), with the English
    one's placeholders."""
    from csrtool.onboarding.email_templates import language as placeholders
    from csrtool.onboarding.models import EmailKind

    folder = PACKAGE / "onboarding" / "email_templates" / "defaults"
    missing = []
    for kind in EmailKind.values:
        for suffix in ("subject.txt", "title.txt", "txt", "html"):
            english = (folder / "en" / f"{kind}.{suffix}").read_text()
            path = folder / language / f"{kind}.{suffix}"
            if not path.is_file():
                missing.append(f"{path.name}: missing")
                continue
            text = path.read_text()
            if text.strip() == english.strip():
                missing.append(f"{path.name}: still in English")
            elif placeholders.names(text) != placeholders.names(english):
                missing.append(f"{path.name}: other placeholders")
    assert not missing, f"Built-in {language} emails:\n" + "\n".join(missing)
