"""The webcare console: the live triage queue, claims and placement in a browser (issue 19)."""
