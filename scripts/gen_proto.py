"""Generate the Python contracts package from proto/ (the `make proto` target).

Writes message, gRPC and typing stubs into services/contracts/src/anjian and
adds the package markers; the output is never edited by hand.
"""

import shutil
import sys
from importlib import resources
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO = ROOT / "proto"
OUT = ROOT / "services" / "contracts" / "src"


def include_dirs() -> list[str]:
    """Our protos, the googleapis common protos, and protobuf's well-known types."""
    import google.rpc.status_pb2

    googleapis = Path(google.rpc.status_pb2.__file__).resolve().parent.parent.parent
    well_known = Path(str(resources.files("grpc_tools") / "_proto"))
    return [str(PROTO), str(googleapis), str(well_known)]


def main() -> int:
    """Regenerate everything under OUT/anjian from scratch."""
    shutil.rmtree(OUT / "anjian", ignore_errors=True)
    sources = sorted(str(p.relative_to(PROTO)) for p in PROTO.rglob("*.proto"))
    args = ["protoc", *(f"-I{d}" for d in include_dirs())]
    args += [f"--python_out={OUT}", f"--grpc_python_out={OUT}"]
    args += [f"--mypy_out={OUT}", f"--mypy_grpc_out={OUT}", *sources]
    if protoc.main(args) != 0:
        return 1
    for package in [OUT / "anjian", *(OUT / "anjian").rglob("*")]:
        if package.is_dir():
            (package / "__init__.py").touch()
    (OUT / "anjian" / "py.typed").touch()
    return 0


if __name__ == "__main__":
    sys.exit(main())
