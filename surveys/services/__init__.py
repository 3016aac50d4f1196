"""Writes for organisation structure and surveys. Import from here: `from surveys.services import ...`."""

from surveys.services.authoring import (
    question_add,
    question_move,
    question_remove,
    question_update,
    survey_close,
    survey_create,
    survey_create_from_template,
    survey_delete,
    survey_duplicate,
    survey_publish,
    survey_update,
)
from surveys.services.organization import anonymity_threshold_set, member_remove, member_save
from surveys.services.people import (
    ImportReport,
    member_add,
    people_import_csv,
    team_get_or_create,
)
from surveys.services.person import person_active_set, person_update

__all__ = [
    "ImportReport",
    "anonymity_threshold_set",
    "member_add",
    "member_remove",
    "member_save",
    "people_import_csv",
    "person_active_set",
    "person_update",
    "question_add",
    "question_move",
    "question_remove",
    "question_update",
    "survey_close",
    "survey_create",
    "survey_create_from_template",
    "survey_delete",
    "survey_duplicate",
    "survey_publish",
    "survey_update",
    "team_get_or_create",
]
