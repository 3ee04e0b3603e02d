"""Check tests/schemas/crds.py against the operators' own CRDs.

    python -m tests.schemas.check_upstream <dir>

<dir> holds the upstream schemas (they are not in this repository: fetch the CRDs of the releases named
in crds.py yourself), either as `<group>_<version>_<kind>.json`, each the `openAPIV3Schema` of one
served version, or as CustomResourceDefinition YAML files (`*.yaml`/`*.yml`, several documents and
versions per file are fine). For every schema in SCHEMAS it walks our schema next to the CRD's and
reports:

* a field (property) the CRD does not have, or a map/list where the CRD has none;
* a type that is not the CRD's (int-or-string is a type here; null only where the CRD is nullable);
* an enum or const value the CRD does not allow (its type, enum, pattern and bounds are applied);
* a pattern, minimum, maximum, minLength, maxLength, minItems or maxItems that is not the CRD's
  (GO_PATTERNS maps our rewritten patterns to the CRD's);
* a field the CRD requires (and does not default) that we do not require, or one we require that it does not;
* a node we close (`additionalProperties: false`) that the CRD leaves open;
* another keyword we use that it cannot compare, unless listed in BEYOND_THE_CRD.

Our schema may leave out fields, patterns and bounds, and may leave a node open; it may not invent.
Exit status 1 if anything is reported (or a CRD is missing), else 0.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import yaml

from tests.schemas.crds import BEYOND_THE_CRD, GO_PATTERNS, SCHEMAS

BOUNDS = ("minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems")
# Our keywords the walk handles; any other is reported unless BEYOND_THE_CRD lists it.
HANDLED = {"type", "properties", "additionalProperties", "items", "required", "enum", "const", "pattern",
           "anyOf", *BOUNDS}
INT_OR_STRING = [{"type": "integer"}, {"type": "string"}]


def load(directory: Path) -> dict[str, dict]:
    """apiVersion/kind → openAPIV3Schema, from the JSON and CRD YAML files in directory."""
    upstream = {}
    for path in sorted(directory.glob("*.json")):
        group, version, kind = path.stem.split("_")
        upstream[f"{group}/{version}/{kind}"] = json.loads(path.read_text(encoding="utf-8"))
    for path in sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")]):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if not isinstance(doc, dict) or doc.get("kind") != "CustomResourceDefinition":
                continue
            spec = doc["spec"]
            for version in spec.get("versions", []):
                schema = (version.get("schema") or {}).get("openAPIV3Schema")
                if schema:
                    upstream[f"{spec['group']}/{version['name']}/{spec['names']['kind']}"] = schema
    return upstream


def their_type(node: dict) -> str | None:
    return "int-or-string" if node.get("x-kubernetes-int-or-string") else node.get("type")


def our_types(node: dict) -> set[str]:
    if node.get("anyOf") == INT_OR_STRING or node.get("anyOf") == [*INT_OR_STRING, {"type": "null"}]:
        return {"int-or-string", *(["null"] if len(node["anyOf"]) == 3 else [])}
    types = node.get("type")
    return set(types) if isinstance(types, list) else {types} if types else set()


def python_pattern(go: str) -> re.Pattern | None:
    """The CRD's pattern compiled by Python, if Python can (our GO_PATTERNS rewrite first)."""
    rewritten = {v: k for k, v in GO_PATTERNS.items()}.get(go, go)
    try:
        return re.compile(rewritten)
    except re.error:
        return None


def allowed(value, theirs: dict) -> str | None:
    """Why the CRD node refuses this value, or None."""
    kind = their_type(theirs)
    if value is None:
        return None if theirs.get("nullable") else "null is not allowed"
    python_type = {bool: "boolean", int: "integer", float: "number", str: "string"}.get(type(value))
    if kind == "int-or-string":
        if python_type not in ("integer", "string"):
            return f"not an int-or-string: {value!r}"
    elif kind and not (python_type == kind or (kind == "number" and python_type == "integer")):
        return f"{value!r} is not of type {kind}"
    if "enum" in theirs and value not in theirs["enum"]:
        return f"{value!r} is not in its enum"
    if isinstance(value, str):
        if "pattern" in theirs:
            compiled = python_pattern(theirs["pattern"])
            if compiled is None:
                return f"cannot compile its pattern {theirs['pattern']!r} to check {value!r}"
            if not compiled.search(value):
                return f"{value!r} does not match its pattern"
        if len(value) < theirs.get("minLength", 0) or len(value) > theirs.get("maxLength", len(value)):
            return f"{value!r} is outside its length bounds"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value < theirs.get("minimum", value) or value > theirs.get("maximum", value):
            return f"{value!r} is outside its bounds"
    return None


def compare(ours: dict, theirs: dict, key: str, path: str, problems: list[str]) -> None:
    def report(message: str) -> None:
        problems.append(f"{key}: {path or '(top)'}: {message}")

    beyond = {keyword for k, p, keyword in BEYOND_THE_CRD if k == key and p == path}
    for keyword in sorted(set(ours) - HANDLED - beyond):
        report(f"keyword {keyword!r} not compared with the CRD (list it in BEYOND_THE_CRD if it is the API's)")

    types, theirs_type = our_types(ours), their_type(theirs)
    if types - {"null"} and types - {"null"} != {theirs_type}:
        report(f"type {sorted(types - {'null'})} but the CRD says {theirs_type}")
    if "null" in types and not theirs.get("nullable"):
        report("allows null but the CRD is not nullable")
    if "anyOf" in ours and not types & {"int-or-string"}:
        report("anyOf other than int-or-string")

    for value in [*ours.get("enum", []), *([ours["const"]] if "const" in ours else [])]:
        if why := allowed(value, theirs):
            report(f"enum/const value refused by the CRD: {why}")

    if "pattern" in ours:
        mine = ours["pattern"]
        if theirs.get("pattern") not in (mine, GO_PATTERNS.get(mine)):
            report(f"pattern {mine!r} but the CRD has {theirs.get('pattern')!r}")
    for bound in BOUNDS:
        if bound in ours and ours[bound] != theirs.get(bound):
            report(f"{bound} {ours[bound]!r} but the CRD has {theirs.get(bound)!r}")

    if "object" in types:
        defaulted = {name for name, sub in theirs.get("properties", {}).items() if "default" in sub}
        theirs_required = set(theirs.get("required", [])) - defaulted
        ours_required = set(ours.get("required", []))
        if path == "":  # apiVersion, kind and metadata are required of every object we write
            ours_required -= {"apiVersion", "kind", "metadata"}
        for name in sorted(theirs_required - ours_required):
            report(f"the CRD requires {name!r}, we do not")
        for name in sorted(ours_required - set(theirs.get("required", []))):
            report(f"we require {name!r}, the CRD does not")
        theirs_open = (theirs.get("x-kubernetes-preserve-unknown-fields")
                       or isinstance(theirs.get("additionalProperties"), dict)
                       or theirs.get("additionalProperties") is True
                       or ("properties" not in theirs and "additionalProperties" not in theirs))
        if ours.get("additionalProperties") is False and theirs_open:
            report("closed here but open in the CRD")

    for name, sub in ours.get("properties", {}).items():
        where = f"{path}.{name}" if path else name
        if name in theirs.get("properties", {}):
            compare(sub, theirs["properties"][name], key, where, problems)
        else:
            problems.append(f"{key}: {where}: no such field in the CRD")
    if isinstance(ours.get("additionalProperties"), dict):
        if isinstance(theirs.get("additionalProperties"), dict):
            compare(ours["additionalProperties"], theirs["additionalProperties"], key, f"{path}.*", problems)
        else:
            report("a map here but not in the CRD")
    if "items" in ours:
        if "items" in theirs:
            compare(ours["items"], theirs["items"], key, f"{path}[]", problems)
        else:
            report("list items here but not in the CRD")


def check(directory: Path) -> list[str]:
    upstream = load(directory)
    problems: list[str] = []
    for key, schema in sorted(SCHEMAS.items()):
        if key not in upstream:
            problems.append(f"{key}: no upstream CRD in {directory}")
            continue
        before = len(problems)
        compare(schema, upstream[key], key, "", problems)
        print(f"{key}: {'OK' if len(problems) == before else f'{len(problems) - before} problem(s)'}")
    return problems


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not Path(argv[0]).is_dir():
        print(__doc__, file=sys.stderr)
        return 2
    problems = check(Path(argv[0]))
    for problem in problems:
        print(problem)
    print(f"{len(SCHEMAS)} schemas checked against {argv[0]}: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
