"""The rule decider on realistic citizen messages."""

import pytest

from services.contract import codec
from services.contract.departments import DepartmentConfigError, load_departments, parse_departments
from services.router.decision.deciders import RuleDecider
from services.router.decision.text import normalise_text
from services.runtime.settings import DEFAULT_DEPARTMENTS_FILE

DEPARTMENTS = load_departments(DEFAULT_DEPARTMENTS_FILE)
DECIDER = RuleDecider(DEPARTMENTS, triage_threshold=0.5)


def decide(text: str, subject: str = "") -> codec.RoutingDecision:
    return DECIDER.decide(codec.ContactMessage(text=text, subject=subject))


@pytest.mark.parametrize(
    ("text", "department"),
    [
        ("Mijn grijze container is vandaag niet geleegd", "afval"),
        ("Er liggen vuilniszakken naast de ondergrondse container", "afval"),
        ("Wanneer is de ophaaldag voor GFT in de Rivierenwijk?", "afval"),
        ("Het stoplicht bij de Catharijnesingel doet het niet", "verkeer"),
        ("Hoe vraag ik een parkeervergunning aan voor mijn bezoek?", "verkeer"),
        ("Waarom is het fietspad langs de Vaartsche Rijn afgesloten?", "verkeer"),
        ("Mijn paspoort is verlopen, kan ik een afspraak maken?", "burgerzaken"),
        ("Ik wil een uittreksel BRP aanvragen", "burgerzaken"),
        ("Wij zijn verhuisd, hoe geef ik de adreswijziging door?", "burgerzaken"),
        ("ID-KAART kwijt!!! wat nu", "burgerzaken"),
    ],
)
def test_clear_messages_are_routed_by_rule(text, department):
    decision = decide(text)
    assert not decision.triage
    assert decision.department == department
    assert decision.method == codec.RoutingMethod.ROUTING_METHOD_RULE
    assert decision.confidence >= 0.5
    assert decision.candidates[0].department == department
    assert any(department in reason for reason in decision.reasons)


@pytest.mark.parametrize(
    "text",
    [
        "Bedankt voor de snelle hulp!",
        "Ik heb een vraag over de bibliotheek",
        "",
    ],
)
def test_messages_without_a_rule_go_to_triage(text):
    decision = decide(text)
    assert decision.triage and decision.department == ""
    assert decision.method == codec.RoutingMethod.ROUTING_METHOD_NONE
    assert decision.reasons == ["geen enkele regel herkend"]


def test_a_single_weak_word_is_not_enough():
    decision = decide("Waar is de balie?")
    assert decision.triage
    assert decision.candidates[0].department == "burgerzaken"
    assert decision.reasons[0].startswith("te onzeker")


def test_two_departments_equally_hit_go_to_triage_with_both_suggested():
    decision = decide("Mijn paspoort lag in de kliko")
    assert decision.triage
    assert {c.department for c in decision.candidates} == {"burgerzaken", "afval"}


def test_subject_counts_too():
    assert decide("zie onderwerp", subject="Rijbewijs verlengen").department == "burgerzaken"


def test_normalisation_folds_case_accents_and_punctuation():
    assert normalise_text("Één CONTAINER, vól!") == " een container vol "


def test_terms_match_at_word_start_only():
    # "afval" is a term; "kafval" is not a word that starts with it.
    assert decide("kafval kafval").triage


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ({}, "departments"),
        ({"departments": [{"id": "Afval!"}]}, "id must match"),
        ({"departments": [{"id": "afval"}, {"id": "afval"}]}, "unique"),
        ({"departments": [{"id": "afval", "rules": [{"term": "x", "weight": -1}]}]}, "positive"),
        ({"departments": [{"id": "afval", "rules": [{"weight": 1}]}]}, "term"),
    ],
)
def test_department_config_errors_say_what_is_wrong(document, reason):
    with pytest.raises(DepartmentConfigError, match=reason):
        parse_departments(document)


def test_shipped_config_has_the_required_departments():
    assert {"afval", "verkeer", "burgerzaken"} <= {d.id for d in DEPARTMENTS}
    assert all(d.display_name and d.rules for d in DEPARTMENTS)


def test_spellings_that_normalise_alike_count_once():
    from services.contract.departments import Department, Rule

    decider = RuleDecider(
        [Department("burgerzaken", "Burgerzaken", "", (Rule("id-kaart", 4), Rule("ID kaart", 3)))], 0.5
    )
    scores, terms = decider.scores("Mijn ID-kaart is weg")
    assert scores == {"burgerzaken": 4.0} and terms == {"burgerzaken": ["id kaart"]}
