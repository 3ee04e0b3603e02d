"""Local test doubles of the platforms' send APIs, for integration tests and `make run`; never deployed.

meta.py (WhatsApp Cloud API, Messenger and Instagram Send API, comment replies, with signed status webhooks),
x.py (X API v2 DMs and reply tweets) and smtp.py (a sink for the mail relay) answer as the platforms document,
errors included; faults.py scripts what goes wrong per request and records what each double received, behind
the /_double/ control API every double serves. `python -m tools.doubles` runs them all in one process.
"""
