"""The rule decider on realistic citizen messages, the category taxonomy and the gemeente's mapping."""

import pytest

from services.contract import codec
from services.contract.categories import (
    CategoryConfigError,
    map_categories,
    parse_taxonomy,
)
from services.contract.departments import (
    DepartmentConfigError,
    RoutingConfig,
    UrgencyTerms,
    load_routing_config,
    parse_departments,
)
from services.router.decision.deciders import RuleDecider
from services.router.decision.text import normalise_text
from services.runtime.settings import DEFAULT_DEPARTMENTS_FILE

CONFIG = load_routing_config(DEFAULT_DEPARTMENTS_FILE)
DEPARTMENTS = CONFIG.departments
DECIDER = RuleDecider(CONFIG, triage_threshold=0.5)


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
    assert CONFIG.department_of[decision.category] == department
    assert any(decision.category in reason for reason in decision.reasons)


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
        ({"departments": [{"id": "afval", "rules": [{"term": "x"}]}]}, "terms belong to categories"),
        ({"departments": [{"id": "afval", "categories": "afval"}]}, "list of category ids"),
    ],
)
def test_department_config_errors_say_what_is_wrong(document, reason):
    with pytest.raises(DepartmentConfigError, match=reason):
        parse_departments(document)


def test_shipped_config_has_the_required_departments():
    assert {"afval", "verkeer", "burgerzaken"} <= {d.id for d in DEPARTMENTS}
    assert all(d.display_name and d.categories for d in DEPARTMENTS)


def tiny_config(categories_of: dict, triage: tuple[str, ...] = ()) -> RoutingConfig:
    taxonomy = parse_taxonomy({"main_categories": [
        {"id": "afval", "categories": [
            {"id": "kliko", "terms": [{"term": "kliko", "weight": 4}, {"term": "grijze container", "weight": 4}]},
            {"id": "grofvuil", "terms": ["grofvuil", {"term": "matras", "weight": 3}]},
        ]},
        {"id": "burgerzaken", "categories": [
            {"id": "paspoort", "terms": [{"term": "id-kaart", "weight": 4}, {"term": "ID kaart", "weight": 3}]},
        ]},
        {"id": "algemeen", "categories": [{"id": "algemene_vraag", "terms": [{"term": "openingstijden", "weight": 4}]}]},
    ]})
    return RoutingConfig((), UrgencyTerms(), taxonomy, map_categories(taxonomy, categories_of, triage))


def test_spellings_that_normalise_alike_count_once():
    decider = RuleDecider(tiny_config({"afval": ["afval"], "burgerzaken": ["burgerzaken"]}, ("algemene_vraag",)), 0.5)
    scores, terms = decider.scores("Mijn ID-kaart is weg")
    assert scores == {"paspoort": 4.0} and terms == {"paspoort": ["id kaart"]}


def test_categories_add_up_to_their_department_and_the_best_one_names_the_decision():
    decider = RuleDecider(tiny_config({"afval": ["afval"], "burgerzaken": ["burgerzaken"]}, ("algemene_vraag",)), 0.5)
    decision = decider.decide(codec.ContactMessage(text="grijze container en een matras op straat"))
    assert (decision.department, decision.category) == ("afval", "kliko")
    assert decision.candidates[0].category == "kliko"


def test_a_mapping_change_moves_a_category_without_a_new_model():
    """Grofvuil to another department is a line of configuration: one category listed by a department wins
    over its main category listed by another."""
    config = tiny_config({"afval": ["afval"], "burgerzaken": ["burgerzaken", "grofvuil"]}, ("algemene_vraag",))
    assert config.department_of == {"kliko": "afval", "grofvuil": "burgerzaken", "paspoort": "burgerzaken",
                                    "algemene_vraag": "triage"}
    decision = RuleDecider(config, 0.5).decide(codec.ContactMessage(text="grofvuil: een matras en een kast"))
    assert (decision.department, decision.category) == ("burgerzaken", "grofvuil")


def test_a_webcare_category_goes_to_triage_with_its_category():
    decider = RuleDecider(tiny_config({"afval": ["afval"], "burgerzaken": ["burgerzaken"]}, ("algemene_vraag",)), 0.5)
    decision = decider.decide(codec.ContactMessage(text="Wat zijn de openingstijden van het stadhuis?"))
    assert decision.triage and decision.category == "algemene_vraag"


@pytest.mark.parametrize(
    ("assigned", "reason"),
    [
        ({"afval": ["afval"]}, "paspoort .no department."),
        ({"afval": ["afval", "burgerzaken"], "burgerzaken": ["burgerzaken"]}, "paspoort .afval, burgerzaken."),
        ({"afval": ["afval", "riolering"], "burgerzaken": ["burgerzaken"]}, "unknown category 'riolering'"),
    ],
)
def test_mapping_errors_say_which_category(assigned, reason):
    with pytest.raises(CategoryConfigError, match=reason):
        tiny_config(assigned, ("algemene_vraag",))


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ({}, "main_categories"),
        ({"main_categories": [{"id": "afval", "categories": []}]}, "non-empty"),
        ({"main_categories": [{"id": "afval", "categories": [{"id": "afval"}]}]}, "unique"),
        ({"main_categories": [{"id": "afval", "categories": [{"id": "geen"}]}]}, "reserved"),
        ({"main_categories": [{"id": "afval", "categories": [{"id": "kliko", "terms": [{"term": "x", "weight": 0}]}]}]},
         "positive"),
    ],
)
def test_taxonomy_errors_say_what_is_wrong(document, reason):
    with pytest.raises(CategoryConfigError, match=reason):
        parse_taxonomy(document)


def test_the_shipped_mapping_covers_every_category_once():
    assert set(CONFIG.department_of) == set(CONFIG.taxonomy.ids)
    assert set(CONFIG.department_of.values()) <= {d.id for d in DEPARTMENTS} | {"triage"}
    assert len(CONFIG.taxonomy.ids) >= 60
