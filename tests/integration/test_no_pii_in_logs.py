"""The demo traffic through every service: not one log line carries a citizen's personal data."""

from __future__ import annotations

import re
import subprocess
import sys

import yaml

from services.runtime.settings import REPO_ROOT
from tests.conftest import service_env
from tools.devstack.stack import demo_environment

MESSAGES = REPO_ROOT / "tools" / "demo" / "messages.yaml"


def personal_data_in_demo() -> set[str]:
    """Phone numbers (senders and in texts, in the forms a log could show them), BSNs, IBANs, e-mail
    addresses of the demo's made-up citizens."""
    found: set[str] = set()
    for entry in yaml.safe_load(MESSAGES.read_text(encoding="utf-8")):
        sender = str(entry.get("from", ""))
        if sender.startswith("316"):
            found |= {sender, "+" + sender, "0" + sender[2:]}
        for field in ("email", "from"):
            found |= set(re.findall(r"[\w.+-]+@[\w-]+\.[\w.]+", str(entry.get(field, ""))))
        text = str(entry.get("text", ""))
        found |= set(re.findall(r"\b\d{9}\b", text))  # BSN
        found |= set(re.findall(r"\b06\d{8}\b", text))
        found |= set(re.findall(r"\bNL\d{2}[A-Z]{4}\d{10}\b", text))
        found |= set(re.findall(r"[\w.+-]+@[\w-]+\.[\w.]+", text))
    return found


def test_demo_traffic_leaves_no_personal_data_in_any_log(stack, broker, tmp_path):
    urls, extra, processes = stack
    pii = personal_data_in_demo()
    assert {"123456782", "0612345678", "31600000001", "j.devries@example.org"} <= pii  # the scan has teeth
    demo = subprocess.run(
        [sys.executable, "-m", "tools.demo"],
        cwd=REPO_ROOT,
        env=service_env(
            KAFKA_BOOTSTRAP_SERVERS=broker.address, **demo_environment(urls, extra),
            DEMO_EXIT_WHEN_DONE="true", DEMO_TRICKLE_SECONDS="0",
        ),
        capture_output=True, text=True, timeout=180,
    )
    assert demo.returncode == 0, demo.stdout[-2000:] + demo.stderr[-2000:]
    assert "all 18 messages routed" in demo.stdout
    # What the demo printed comes from the department topics: masked as well.
    assert "[BSN]" in demo.stdout and "123456782" not in demo.stdout
    for name, process in processes.items():
        log = process.log()
        assert log.strip(), f"{name} wrote no log at all: the scan would prove nothing"
        for number, line in enumerate(log.splitlines(), start=1):
            leaked = [value for value in pii if value in line]
            assert not leaked, f"{name}.log line {number} carries personal data"
