"""Generate Python code from protos/ with grpcio-tools: `python -m tools.protogen OUT_DIR`.

The generated tree keeps the proto package path (gemeente/contact/v1/...), which is a second package
root of this project (see pyproject.toml). A test regenerates into a temporary folder and compares.
"""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
PROTO_ROOT = REPO_ROOT / "protos"


def proto_files() -> list[Path]:
    return sorted(PROTO_ROOT.rglob("*.proto"))


def generate(out_dir: Path) -> list[Path]:
    """Run protoc (python, pyi and grpc plugins) over every proto; return the files written."""
    from grpc_tools import protoc

    out_dir.mkdir(parents=True, exist_ok=True)
    well_known = resources.files("grpc_tools") / "_proto"
    sources = [str(p.relative_to(PROTO_ROOT)) for p in proto_files()]
    args = [
        "grpc_tools.protoc",
        f"-I{PROTO_ROOT}",
        f"-I{well_known}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        *sources,
    ]
    if protoc.main(args) != 0:
        raise RuntimeError("protoc failed: " + " ".join(args))
    # Make every generated folder a regular package so setuptools and mypy find it.
    for folder in [out_dir, *(p for p in out_dir.rglob("*") if p.is_dir())]:
        if folder != out_dir and folder.name != "__pycache__":
            (folder / "__init__.py").touch()
    return sorted(p for p in out_dir.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def main() -> None:
    out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO_ROOT / "services/contract/generated"
    written = generate(out_dir)
    print(f"generated {len(written)} files in {out_dir}")


if __name__ == "__main__":
    main()
