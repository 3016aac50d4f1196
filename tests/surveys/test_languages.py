from __future__ import annotations

import pytest

from surveys.languages import has_ui_words, is_language_code, ui_language_names


@pytest.mark.parametrize("code", ["en", "fr", "de", "es", "pt-br", "en-gb", "fr-ca", "so", "zh-tw"])
def test_real_language_codes_are_accepted(code):
    assert is_language_code(code)


@pytest.mark.parametrize(
    "code", ["xx", "qq", "en-zz", "fr-xx", "EN", "pt-BR", "eng", "french", "", "en_gb", None, 5]
)
def test_invented_or_malformed_codes_are_refused(code):
    """Codes are checked as stored: lower case (the forms lower what is typed)."""
    assert not is_language_code(code)


def test_buttons_and_labels_exist_in_every_site_language_and_its_country_variants():
    assert ui_language_names() == ["English", "French", "German", "Spanish"]
    for code in ("en", "fr", "de", "es", "en-gb", "fr-ca", "de-at", "es-mx"):
        assert has_ui_words(code)
    for code in ("pt", "pt-br", "it", "so"):
        assert not has_ui_words(code)
