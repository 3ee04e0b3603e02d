"""`make -s classify`: JSON lines in ({"id", "text", "channel"?}), one decision per line out.

Exactly what the router would decide for a first message in a conversation (rules, model, threshold,
urgency), with department "triage" when it would go to triage, and the category it was decided by. Nothing else is written to stdout.
"""

from __future__ import annotations

import json
import sys

from services.contract import codec
from services.contract.vocabulary import TRIAGE
from services.router.decision.routing import RoutingContext, decide_text
from services.router.settings import RouterSettings
from services.router.wiring import build_decider

CHANNELS = {codec.channel_label(value): value for value in codec.Channel.values()}


def main() -> None:
    settings = RouterSettings()
    decider, urgency = build_decider(settings)
    context = RoutingContext(decider=decider, urgency=urgency)
    for line_number, line in enumerate(sys.stdin, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            text = str(item["text"])
        except (json.JSONDecodeError, KeyError, TypeError):
            print(f"line {line_number}: expected a JSON object with 'text'", file=sys.stderr)
            sys.exit(2)
        channel = CHANNELS.get(str(item.get("channel", "")), codec.Channel.CHANNEL_WEBFORM)
        decision = decide_text(context, text, str(item.get("subject", "")), channel).decision
        print(json.dumps({
            "id": item.get("id"),
            "department": TRIAGE if decision.triage else decision.department,
            "category": decision.category,
            "confidence": round(decision.confidence, 4),
            "priority": codec.priority_label(decision.priority),
            "method": codec.method_label(decision.method),
        }, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
