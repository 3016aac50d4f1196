"""Authoring forms. They parse what the browser sent into the shapes the services take; the rules
themselves live in surveys.validation and are applied by the services (see `add_service_errors`)."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import get_language_info

from surveys.languages import is_language_code, ui_language_names
from surveys.models import (
    ConditionOp,
    Driver,
    Organization,
    Question,
    QuestionType,
    Survey,
    SurveyKind,
    Team,
)
from surveys.validation import INTRO_TOO_LONG, LANGUAGE_CODE_MESSAGE, MAX_ID, MAX_INTRO_LENGTH

MAX_CSV_BYTES = 2 * 1024 * 1024
CSV_TOO_LARGE = f"The file is larger than {MAX_CSV_BYTES // 2**20} MB. Split it into smaller files."
SURVEY_TEXTS = ("title", "intro", "thank_you")
QUESTION_TEXTS = ("text", "help_text", "choices")
FROZEN_HELP = "Fixed: this survey already has responses. Duplicate it to change this."
CLOSED_HELP = "Fixed: this survey is closed. Duplicate it to change this."


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Puts a service's ValidationError on the matching form fields, the rest on the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, messages in error.message_dict.items():
        for message in messages:
            form.add_error(name if name in form.fields else None, message)


class IdsChoiceField(forms.ModelMultipleChoiceField):
    """A multiple choice of rows that refuses an id no database can hold before querying: SQLite
    raises OverflowError on `pk__in=[10**20]` (a 500) where PostgreSQL just finds nothing."""

    def _check_values(self, value):
        for pk in value:
            try:
                too_big = abs(int(str(pk))) > MAX_ID
            except ValueError:
                continue  # not a number: the parent reports it
            if too_big:
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": pk},
                )
        return super()._check_values(value)


def _lines(value: str) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


def _helper(*layout) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    if layout:
        helper.layout = Layout(*layout)
    return helper


def _translation_fields(form: forms.Form, language: str, names: tuple[str, ...]) -> Fieldset:
    """Adds `<name>__<language>` fields and returns them as one fieldset."""
    labels = {
        "title": "Title",
        "intro": "Introduction",
        "thank_you": "Thank-you message",
        "text": "Question",
        "help_text": "Help text",
        "choices": "Choices, one per line, in the same order",
    }
    for name in names:
        long = name in ("intro", "thank_you", "choices")
        form.fields[f"{name}__{language}"] = forms.CharField(
            label=labels[name],
            required=False,
            widget=forms.Textarea(attrs={"rows": 3, "lang": language})
            if long
            else forms.TextInput(attrs={"lang": language}),
        )
    legend = f"Translation: {language_name(language)}"
    return Fieldset(legend, *(f"{name}__{language}" for name in names))


def language_name(code: str) -> str:
    """ "French (fr)": how the authoring pages name a language."""
    try:
        return f"{get_language_info(code)['name']} ({code})"
    except KeyError:
        return code


# --- Surveys -----------------------------------------------------------------------------------


class SurveyCreateForm(forms.Form):
    title = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=SurveyKind.choices)
    intro = forms.CharField(
        required=False,
        max_length=MAX_INTRO_LENGTH,
        error_messages={"max_length": INTRO_TOO_LONG},
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown above the questions and in the invitation e-mail: why you ask and how "
        f"answers are kept. At most {MAX_INTRO_LENGTH:,} characters.",
    )
    thank_you = forms.CharField(
        required=False,
        initial="Thank you for your feedback.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    anonymous = forms.BooleanField(
        required=False,
        initial=True,
        help_text="Anonymous responses keep no link to the person who answered.",
    )
    language = forms.CharField(max_length=8, initial="en", help_text="Default language, e.g. en")

    def __init__(self, *args, kinds: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [c for c in SurveyKind.choices if c[0] in kinds]
        self.fields["kind"].initial = kinds[0] if kinds else None
        self.helper = _helper()

    def clean_language(self) -> str:
        language = self.cleaned_data["language"].strip().lower()
        if not is_language_code(language):
            raise ValidationError(LANGUAGE_CODE_MESSAGE)
        return language


class SurveySettingsForm(forms.Form):
    title = forms.CharField(max_length=200)
    intro = forms.CharField(
        required=False,
        max_length=MAX_INTRO_LENGTH,
        error_messages={"max_length": INTRO_TOO_LONG},
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=f"At most {MAX_INTRO_LENGTH:,} characters.",
    )
    thank_you = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    anonymous = forms.BooleanField(required=False)
    language = forms.CharField(max_length=8, help_text="Default language, e.g. en")
    other_languages = forms.CharField(
        required=False,
        help_text="Other languages respondents may read, as codes separated by commas (fr, de). "
        "Each gets its own texts below and on every question. Tandem's buttons and labels "
        f"exist in {', '.join(ui_language_names())}; respondents reading another language see "
        "them in English.",
    )

    def __init__(self, *args, survey: Survey, **kwargs):
        initial = {name: getattr(survey, name) for name in (*SURVEY_TEXTS, "anonymous", "language")}
        others = survey.languages[1:]
        initial["other_languages"] = ", ".join(others)
        for language in others:
            for name in SURVEY_TEXTS:
                initial[f"{name}__{language}"] = survey.translations[language].get(name, "")
        super().__init__(*args, initial=initial, **kwargs)
        self.survey = survey
        if survey.status != "draft":
            self.fields["anonymous"].disabled = True
            self.fields["anonymous"].help_text = "Fixed once the survey has been published."
        fieldsets = [_translation_fields(self, language, SURVEY_TEXTS) for language in others]
        self.helper = _helper(
            "title", "intro", "thank_you", "anonymous", "language", "other_languages", *fieldsets
        )

    def clean_other_languages(self) -> list[str]:
        codes = [c.strip().lower() for c in self.cleaned_data["other_languages"].split(",")]
        codes = [c for c in codes if c]
        bad = [c for c in codes if not is_language_code(c)]
        if bad:
            raise ValidationError(
                f"Not language codes: {', '.join(bad)}. Use codes such as fr or pt-br."
            )
        return list(dict.fromkeys(codes))

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        translations = {}
        for language in data["other_languages"]:
            if language == data["language"]:
                continue
            texts = {name: data.get(f"{name}__{language}", "").strip() for name in SURVEY_TEXTS}
            translations[language] = {k: v for k, v in texts.items() if v}
        return {
            "title": data["title"],
            "intro": data["intro"],
            "thank_you": data["thank_you"],
            "anonymous": data["anonymous"],
            "language": data["language"].strip().lower(),
            "translations": translations,
        }


# --- Questions ---------------------------------------------------------------------------------


class QuestionForm(forms.Form):
    OWN_FIELDS = ("type", "text", "help_text", "required", "choices", "driver", "is_outcome")

    type = forms.ChoiceField(choices=QuestionType.choices)
    text = forms.CharField(max_length=500, label="Question")
    help_text = forms.CharField(max_length=300, required=False)
    required = forms.BooleanField(required=False)
    choices = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Single and multiple choice only: one choice per line.",
    )
    driver = forms.ChoiceField(
        choices=[("", "— none —"), *Driver.choices],
        required=False,
        help_text="What this rated question measures, for driver analysis.",
    )
    is_outcome = forms.BooleanField(
        required=False,
        label="Outcome question",
        help_text="The eNPS or engagement question that the drivers explain.",
    )
    condition_question = forms.ModelChoiceField(
        queryset=Question.objects.none(),
        required=False,
        label="Show this question only when the answer to",
        empty_label="— always show —",
    )
    condition_op = forms.ChoiceField(
        choices=[("", "—"), *ConditionOp.choices], required=False, label="Comparison"
    )
    condition_value = forms.CharField(
        required=False,
        label="Value",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="A number for rated questions, a choice for choice questions. "
        "For “is one of”, put each value on its own line.",
    )

    def __init__(
        self,
        *args,
        survey: Survey,
        question: Question | None = None,
        frozen=False,
        frozen_help: str = FROZEN_HELP,
        **kw,
    ):
        initial = _question_initial(question) if question else {}
        super().__init__(*args, initial=initial, **kw)
        self.survey, self.question = survey, question
        earlier = survey.questions.exclude(type=QuestionType.TEXT)
        if question is not None:
            earlier = earlier.filter(order__lt=question.order)
        self.fields["condition_question"].queryset = earlier
        self.fields["condition_question"].label_from_instance = lambda q: f"Q{q.order}. {q.text}"
        if frozen:
            for name in ("type", "choices"):
                self.fields[name].disabled = True
                self.fields[name].help_text = frozen_help
        fieldsets = [
            _translation_fields(self, language, QUESTION_TEXTS) for language in survey.languages[1:]
        ]
        self.helper = _helper(
            *self.OWN_FIELDS,
            Fieldset("Display logic", "condition_question", "condition_op", "condition_value"),
            *fieldsets,
        )

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        op = data["condition_op"]
        value: object = data["condition_value"].strip()
        if op == ConditionOp.IN:
            value = _one_of_values(str(value), data["condition_question"])
        return {
            **{name: data[name] for name in self.OWN_FIELDS},
            "choices": _lines(data["choices"]),
            "condition_question": data["condition_question"],
            "condition_op": op,
            "condition_value": value if value not in ("", []) else None,
            "translations": self._translations(),
        }

    def _translations(self) -> dict:
        translations = {}
        for language in self.survey.languages[1:]:
            texts = {
                "text": self.cleaned_data.get(f"text__{language}", "").strip(),
                "help_text": self.cleaned_data.get(f"help_text__{language}", "").strip(),
                "choices": _lines(self.cleaned_data.get(f"choices__{language}", "")),
            }
            texts = {k: v for k, v in texts.items() if v}
            if texts:
                translations[language] = texts
        return translations


def _one_of_values(text: str, target: Question | None) -> list[str]:
    """The values of an "is one of" condition: one per line. A line that is not one of the
    question's choices is split on commas, as values were typed before ("1, 2", "Day, Night"),
    so a choice holding a comma ("Yes, definitely") is kept whole."""
    choices = {c.strip().lower() for c in (target.choices if target else [])}
    values = []
    for line in _lines(text):
        if line.lower() in choices:
            values.append(line)
        else:
            values += [v.strip() for v in line.split(",") if v.strip()]
    return values


def condition_text(value: object) -> str:
    if value is None:
        return ""
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def _question_initial(question: Question) -> dict:
    value = question.condition_value
    initial = {
        "type": question.type,
        "text": question.text,
        "help_text": question.help_text,
        "required": question.required,
        "choices": "\n".join(question.choices),
        "driver": question.driver,
        "is_outcome": question.is_outcome,
        "condition_question": question.condition_question_id,
        "condition_op": question.condition_op,
        # One value per line: a choice may hold a comma (the detail page joins them with commas).
        "condition_value": "\n".join(map(str, value))
        if isinstance(value, list)
        else condition_text(value),
    }
    for language, texts in question.translations.items():
        initial[f"text__{language}"] = texts.get("text", "")
        initial[f"help_text__{language}"] = texts.get("help_text", "")
        initial[f"choices__{language}"] = "\n".join(texts.get("choices", []))
    return initial


# --- People ------------------------------------------------------------------------------------


class PeopleImportForm(forms.Form):
    """A CSV file, or (confirming a preview) the text of the file previewed."""

    file = forms.FileField(
        label="CSV file",
        required=False,
        help_text="Columns: name, email, team, department, location, lead (yes/no). "
        "The first row names the columns.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    previewed = forms.CharField(required=False, strip=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()

    def clean_file(self):
        file = self.cleaned_data["file"]
        if file is None:
            return None
        if file.size > MAX_CSV_BYTES:
            raise ValidationError(CSV_TOO_LARGE)
        if not file.name.lower().endswith((".csv", ".txt")):
            raise ValidationError("Upload a .csv file (in Excel: Save As › CSV UTF-8).")
        return file

    def clean_previewed(self):
        text = self.cleaned_data["previewed"]
        if len(text.encode()) > MAX_CSV_BYTES:
            raise ValidationError(CSV_TOO_LARGE)
        return text

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("file") and not data.get("previewed"):
            self.add_error("file", "Choose a CSV file.")
        return data

    def csv_bytes(self) -> bytes:
        """The file's bytes: the upload, else the previewed text."""
        if file := self.cleaned_data.get("file"):
            return file.read()
        return self.cleaned_data["previewed"].encode()


class IdChoiceField(forms.ModelChoiceField):
    """One row's choice that refuses an id no database can hold (as IdsChoiceField does)."""

    def to_python(self, value):
        if str(value).strip().lstrip("-").isdigit() and abs(int(value)) > MAX_ID:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class PeopleFilterForm(forms.Form):
    """The people page's search: part of a name or email, and a team."""

    q = forms.CharField(required=False, max_length=200, label="Name or email")
    team = IdChoiceField(
        queryset=Team.objects.none(),
        required=False,
        empty_label="Any team",
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.filter(organization=organization)


class PersonForm(forms.Form):
    """One person's details; the service checks the email is not someone else's."""

    name = forms.CharField(max_length=200)
    email = forms.EmailField(max_length=254)
    team = IdChoiceField(queryset=Team.objects.none(), required=False, empty_label="No team")

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.filter(organization=organization)
        self.helper = _helper()
