"""The Welsh wording points of issue 15, checked on the whole Welsh catalogue.

Names from a scenario (roles, sources, stages, targets) are slotted into sentences; Welsh
mutates a noun after many prepositions ("o Ditectif" should be "o Dditectif"), and a name
cannot be mutated by a template, so no sentence may put a name right after one: the
sentence is reworded around the slot instead. Labels do not end on a bare preposition,
questions are not answered with "Ie/Na" where the verb needs "Ydy/Nac ydy", and the
wording the review flagged is gone.
"""

from __future__ import annotations

import re

from app.i18n import catalogue

CY = catalogue("cy")
NAME_SLOTS = "role|source|stage|name|target|title|item|label|names|roles"
MUTATING = "ar|o|i|am|at|gan|heb|dan|dros|drwy|trwy|wrth|hyd|â|gyda|tua|a|na|ei|dy|fy|yn"
BEFORE_A_NAME = re.compile(rf"(?<![\w'’])({MUTATING}) \{{({NAME_SLOTS})\}}", re.IGNORECASE)
LAST_WORD_PREPOSITION = re.compile(r"\s(o|i|ar|gan|am|at|erbyn|â|gyda|dros|heb|wrth)$")
FLAGGED = (
    "galw'r Uned",  # "the Unit's calling" (the simulator of demand on the Unit is meant)
    "heddlu sylfaenol",
    "liferi",
    "Hedyn ar hap",
    "rhediadau efelychu ailadroddus",
    "Dadansoddwr ymchwil",
    "o flynyddoedd o {start}",
)


def test_no_name_is_slotted_after_a_mutating_word():
    found = {key: text for key, text in CY.items() if BEFORE_A_NAME.search(text)}
    assert found == {}


def test_no_one_line_label_ends_on_a_preposition():
    found = {
        key: text
        for key, text in CY.items()
        if "\n" not in text.strip() and LAST_WORD_PREPOSITION.search(text.strip())
    }
    assert found == {}


def test_the_flagged_wording_is_gone_and_answers_use_the_verb():
    assert [(w, k) for k, text in CY.items() for w in FLAGGED if w in text] == []
    assert [k for k, text in CY.items() if text.strip() in ("Ie", "Na")] == []
    assert CY["staffing_page.late_yes"].startswith("Ydy")
    assert CY["staffing_page.late_no"].startswith("Nac ydy")
    assert CY["names.roles.researcher"] == "Ymchwilydd / dadansoddwr cudd-wybodaeth"
    assert CY["app.title"] == "Efelychydd y galw ar yr Uned Gwrth-lygredd"
