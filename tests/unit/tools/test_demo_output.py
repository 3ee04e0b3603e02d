"""What `make run` prints for each routed message reads right to a newcomer."""

from services.contract import codec
from tools.demo.__main__ import describe


def routed(**decision: object) -> codec.RoutedMessage:
    message = codec.ContactMessage(channel=codec.Channel.CHANNEL_WHATSAPP, text="Mijn kliko is niet geleegd")
    return codec.RoutedMessage(message=message, decision=codec.RoutingDecision(**decision))


def test_a_triaged_message_shows_its_suggestions_not_the_confidence_of_no_department():
    line = describe(routed(triage=True, confidence=0.96, candidates=[
        codec.DepartmentScore(department="afval", score=0.42), codec.DepartmentScore(department="verkeer", score=0.31)]))
    assert "→ triage" in line
    assert "suggestions afval 0.42, verkeer 0.31" in line
    assert "0.96" not in line


def test_a_routed_message_shows_department_confidence_and_method_as_words():
    line = describe(routed(department="afval", category="rolcontainer_is_vol", confidence=0.91,
                           method=codec.RoutingMethod.ROUTING_METHOD_MODEL))
    assert "→ afval" in line and "confidence 0.91" in line and "model" in line
    assert "[rolcontainer_is_vol]" in line
