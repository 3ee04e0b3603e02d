"""The README documents what the code does: the configuration table is generated from the settings."""

import re

from services.common.settings import REPO_ROOT, configuration_table


def test_configuration_table_matches_the_settings():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- config-table:start -->\n(.*?)\n<!-- config-table:end -->", readme, re.S)
    assert match, "README lacks the configuration table markers"
    assert match.group(1).strip() == configuration_table().strip(), (
        "README configuration table is stale: paste `python -m services.common.settings`"
    )


def test_readme_names_the_two_commands():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert "make run" in readme and "make test" in readme
