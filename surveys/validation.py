"""Rules a survey's configuration must follow, shared by services, forms and the API.

Each check returns `{field: message}` (empty when valid) so a form, a serializer and a service can
all report the same message against the same field.
"""

from __future__ import annotations

import re

from surveys.languages import is_language_code
from surveys.models import SCALES, ConditionOp, Driver, QuestionType, SurveyKind

LANGUAGE_CODE_MESSAGE = "Use a language code such as en, fr or pt-br."
MAX_ID = 2**63 - 1  # the largest primary key a database can hold
CHOICE_TYPES = {QuestionType.SINGLE, QuestionType.MULTI}
MAX_CHOICE_LENGTH = 200
# A survey's introduction is shown above the questions and written into every invitation
# e-mail: a few paragraphs (the library's are under 200 characters), not a document.
MAX_INTRO_LENGTH = 2000
INTRO_TOO_LONG = f"Keep the introduction under {MAX_INTRO_LENGTH:,} characters."
# Questions in one survey: more than a long engagement census (~60), and a page a phone still
# renders and a respondent still finishes.
MAX_QUESTIONS = 100
TOO_MANY_QUESTIONS = (
    f"A survey holds at most {MAX_QUESTIONS} questions. Split the rest into a second survey."
)
CLOSED_MESSAGE = "This survey is closed, so {what}. Duplicate it to run it again."
FROZEN_MESSAGE = (
    "This survey already has responses, so {what}. Wording can still be fixed; "
    "to change the questions themselves, duplicate the survey and edit the copy."
)


def survey_errors(
    *, title: str, intro: str, kind: str, language: str, translations: dict
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not (title or "").strip():
        errors["title"] = "Give the survey a title."
    elif len(title) > 200:
        errors["title"] = "Keep the title under 200 characters."
    if not isinstance(intro, str):
        errors["intro"] = "The introduction must be a text."
    elif len(intro) > MAX_INTRO_LENGTH:
        errors["intro"] = INTRO_TOO_LONG
    if kind not in SurveyKind.values:
        errors["kind"] = f"Kind must be one of: {', '.join(SurveyKind.values)}."
    if not is_language_code(language):
        errors["language"] = LANGUAGE_CODE_MESSAGE
    message = _translations_error(translations, allowed={"title", "intro", "thank_you"})
    if message:
        errors["translations"] = message
    return errors


# "anonymous", "anonymously", "anonymes", "anonym", "anónimas"...: a survey's own words about it.
ANONYMITY_WORDS = re.compile(r"\banon[iíy]m", re.IGNORECASE)
# A survey's own texts, as the authoring pages name them (anonymity mentions, missing
# translations, translation errors).
SURVEY_TEXT_LABELS = {"title": "title", "intro": "introduction", "thank_you": "thank-you message"}


def anonymity_mentions(*, survey) -> list[str]:
    """Which of a survey's texts (its translations too) speak of anonymity: e.g.
    ["introduction", "introduction (fr)"]. A named survey must not promise anonymity."""
    texts = [(name, "", getattr(survey, name)) for name in SURVEY_TEXT_LABELS]
    for language, translated in sorted((survey.translations or {}).items()):
        texts += [(name, language, translated.get(name, "")) for name in SURVEY_TEXT_LABELS]
    return [
        SURVEY_TEXT_LABELS[name] + (f" ({language})" if language else "")
        for name, language, text in texts
        if ANONYMITY_WORDS.search(text or "")
    ]


def question_errors(
    *,
    type: str,
    text: str,
    choices: list,
    driver: str,
    is_outcome: bool,
    translations: dict,
) -> dict[str, str]:
    """Checks one question on its own (display logic is checked by `condition_errors`)."""
    errors: dict[str, str] = {}
    if type not in QuestionType.values:
        errors["type"] = f"Type must be one of: {', '.join(QuestionType.values)}."
    if not (text or "").strip():
        errors["text"] = "Write the question."
    elif len(text) > 500:
        errors["text"] = "Keep the question under 500 characters."
    choice_error = _choices_error(type, choices)
    if choice_error:
        errors["choices"] = choice_error
    if driver and driver not in Driver.values:
        errors["driver"] = f"Driver must be one of: {', '.join(Driver.values)}."
    elif driver and type not in SCALES:
        errors["driver"] = "Only rated questions (NPS, agreement, CSAT, effort) can carry a driver."
    if is_outcome and type not in SCALES:
        errors["is_outcome"] = "Only a rated question (such as eNPS) can be the outcome."
    message = _translations_error(translations, allowed={"text", "help_text", "choices"})
    if not message:
        message = _translated_choices_error(translations, choices)
    if message:
        errors["translations"] = message
    return errors


def _choices_error(type: str, choices: list) -> str:
    if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
        return "Choices must be a list of texts."
    if type not in CHOICE_TYPES:
        return "Only single and multiple choice questions have choices." if choices else ""
    cleaned = [c.strip() for c in choices]
    if len(cleaned) < 2 or not all(cleaned):
        return "Give at least two choices, none of them empty."
    if _repeats(cleaned):
        return "Each choice must be different."
    if any(len(c) > MAX_CHOICE_LENGTH for c in cleaned):
        return f"Keep each choice under {MAX_CHOICE_LENGTH} characters."
    return ""


def _repeats(choices: list[str]) -> bool:
    """Two choices that differ only in case or surrounding spaces are the same choice."""
    return len({c.strip().lower() for c in choices}) != len(choices)


# The longest text a translated field takes, as its untranslated column does (the survey's
# thank-you message has no limit).
TRANSLATED_LENGTHS = {"title": 200, "intro": MAX_INTRO_LENGTH, "text": 500, "help_text": 300}
TRANSLATED_NAMES = {**SURVEY_TEXT_LABELS, "text": "question", "help_text": "help text"}


def _translations_error(translations: dict, *, allowed: set[str]) -> str:
    if not isinstance(translations, dict):
        return "Translations must map a language code to texts."
    for language, texts in translations.items():
        if not is_language_code(language):
            return f"“{language}” is not a language code such as fr or de."
        if not isinstance(texts, dict) or set(texts) - allowed:
            return f"The {language} translation may only contain: {', '.join(sorted(allowed))}."
        message = _translated_texts_error(language, texts)
        if message:
            return message
        if "text" in allowed and not texts.get("text", "").strip():
            return f"The {language} translation needs the question text."
    return ""


def _translated_texts_error(language: str, texts: dict) -> str:
    """Each translated value is what the untranslated field holds: a text (choices: a list of
    texts) no longer than the field's own limit."""
    for name, value in texts.items():
        if name == "choices":
            if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
                return f"The {language} choices must be a list of texts."
            if not all(c.strip() for c in value):
                return f"The {language} choices must not be empty."
            if _repeats(value):
                return f"Each {language} choice must be different."
            if any(len(c) > MAX_CHOICE_LENGTH for c in value):
                return f"Keep each {language} choice under {MAX_CHOICE_LENGTH} characters."
            continue
        if not isinstance(value, str):
            return f"The {language} {TRANSLATED_NAMES[name]} must be a text."
        limit = TRANSLATED_LENGTHS.get(name)
        if limit and len(value) > limit:
            return f"Keep the {language} {TRANSLATED_NAMES[name]} under {limit:,} characters."
    return ""


def _translated_choices_error(translations: dict, choices: list) -> str:
    for language, texts in translations.items():
        translated = texts.get("choices")
        if translated and len(translated) != len(choices):
            return f"The {language} translation must have exactly {len(choices)} choices."
    return ""


def translations_default_language_error(translations: dict, *, language: str) -> str:
    """A translation into the survey's own language would replace its texts for everyone who
    reads that language; the forms only offer the survey's other languages."""
    if isinstance(translations, dict) and language in translations:
        return (
            f"“{language}” is the survey's own language: write those texts in the fields "
            "themselves, and translate into the survey's other languages only."
        )
    return ""


def condition_clean(
    *, target_type: str, target_choices: list, op: str, value: object
) -> tuple[object, str]:
    """Checks a display condition against the question it depends on.

    Returns (cleaned value, error message). Rated targets compare numbers (lte/gte/eq, or `in` a
    list of numbers); choice targets match option texts (eq, or `in` a list of options).
    """
    if target_type == QuestionType.TEXT:
        return value, "A question cannot depend on a free-text answer."
    if op not in ConditionOp.values:
        return value, "Choose how the earlier answer is compared."
    values = value if isinstance(value, list) else [value]
    if op != ConditionOp.IN and isinstance(value, list):
        return value, "Give a single value for this comparison."
    if not values or any(v in (None, "") for v in values):
        return value, "Give the value to compare with."
    if target_type in SCALES:
        return _scale_condition(target_type, op, values)
    if op in (ConditionOp.LTE, ConditionOp.GTE):
        return value, "Choice answers can only be compared with “equals” or “is one of”."
    options = {c.strip().lower(): c for c in target_choices}
    if any(str(v).strip().lower() not in options for v in values):
        return value, f"Pick the value among the choices: {', '.join(target_choices)}."
    cleaned = [options[str(v).strip().lower()] for v in values]
    return (cleaned if op == ConditionOp.IN else cleaned[0]), ""


def _scale_condition(target_type: str, op: str, values: list) -> tuple[object, str]:
    low, high = SCALES[target_type]
    try:
        numbers = [int(str(v).strip()) for v in values]
    except ValueError:
        return values, f"Give a whole number from {low} to {high}."
    if any(not low <= n <= high for n in numbers):
        return values, f"Give a whole number from {low} to {high}."
    return (numbers if op == ConditionOp.IN else numbers[0]), ""
