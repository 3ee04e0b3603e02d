"""Where the tests' fixtures are: platform payloads, labelled sets."""

from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"
