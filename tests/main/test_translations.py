"""Every user-facing string is translated into French, with its placeholders intact."""
import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def test_french_catalogue_covers_every_string(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "app/babel.cfg",
         "-k", "_l", "-k", "lazy_gettext", "-o", str(pot), "app", "templates"],
        cwd=ROOT, check=True, capture_output=True,
    )
    with pot.open("rb") as handle:
        wanted = read_po(handle)
    with (ROOT / "app/translations/fr/LC_MESSAGES/messages.po").open("rb") as handle:
        french = read_po(handle, locale="fr")

    missing, broken = [], []
    for message in wanted:
        if not message.id:
            continue
        translated = french.get(message.id)
        if translated is None or not translated.string or translated.fuzzy or (
            isinstance(translated.string, tuple) and not all(translated.string)
        ):
            missing.append(message.id)
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = translated.string if isinstance(translated.string, tuple) else (translated.string,)
        expected = set(PLACEHOLDER.findall(" ".join(ids)))
        for string in strings:
            if set(PLACEHOLDER.findall(string)) - expected or (len(ids) == 1 and expected - set(PLACEHOLDER.findall(string))):
                broken.append(message.id)
    assert not missing, f"run `make messages` and translate in fr/messages.po: {missing[:20]}"
    assert not broken, f"placeholders differ in French: {broken}"


def test_templates_translations_follow_a_forced_language(app):
    # Templates' translations are found once per request (app/i18n.py), and still follow a
    # language forced for one mail, and the request's own language after it.
    from flask import render_template_string
    from flask_babel import force_locale

    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        assert render_template_string("{{ _('Designs') }}") == "Créations"
        with force_locale("en"):
            assert render_template_string("{{ _('Designs') }}") == "Designs"
        assert render_template_string("{{ _('Designs') }}") == "Créations"
