"""The respondent's words (responses/locale) exist in every language of settings.LANGUAGES."""

from __future__ import annotations

import gettext
from pathlib import Path

import pytest
from django.conf import settings

LOCALE = Path(__file__).resolve().parents[2] / "responses" / "locale"


def catalogue(language: str) -> dict[str, str]:
    with open(LOCALE / language / "LC_MESSAGES" / "django.mo", "rb") as mo:
        return {k: v for k, v in gettext.GNUTranslations(mo)._catalog.items() if k}


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES if code != "en"])
def test_every_site_language_has_every_respondent_string(language):
    """English is the msgids' own language; the others translate all of French's, compiled."""
    french = catalogue("fr")
    translated = catalogue(language)
    assert set(translated) == set(french)
    assert all(text.strip() for text in translated.values())
    assert translated["Send my answers"] != "Send my answers"
