"""Ids and limits every service shares, each defined once (topic names: topics.py; departments:
deploy/config/departments.yaml; channels: services/ingest/channels.py)."""

# The destination of a message no department was sure enough of: the webcare team's queue. It stands
# beside the department ids wherever a destination is named (metrics labels, SLA, handling reports).
TRIAGE = "triage"

# What the router's model was trained on (its metadata "kind", the start of a decision's model_version):
# with 'rules' (no model) and 'manual' (a person placed it), the closed set of the metrics' model label.
MODEL_KINDS = ("corpus", "history")
MODEL_LABELS = (*MODEL_KINDS, "rules", "manual")

# The longest citizen text a message keeps: ingestors cut longer text, the router's Classify refuses it.
MAX_TEXT_CHARS = 20_000
