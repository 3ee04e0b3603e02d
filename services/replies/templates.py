"""The gemeente's approved WhatsApp templates (deploy/config/templates.yaml), read once at start-up."""

from __future__ import annotations

from pathlib import Path

import yaml

from services.replies.senders import Template


def load_templates(path: Path) -> dict[str, Template]:
    """name → Template; a malformed file is an error at start-up, not at the first reply."""
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    templates: dict[str, Template] = {}
    for entry in document.get("templates") or []:
        template = Template(name=str(entry["name"]), language=str(entry["language"]),
                            parameters=int(entry.get("parameters", 0)), description=str(entry.get("description", "")))
        if template.name in templates:
            raise ValueError(f"{path}: template '{template.name}' is listed twice")
        templates[template.name] = template
    return templates
