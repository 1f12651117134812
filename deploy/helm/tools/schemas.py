"""The JSON Schemas kubeconform checks the chart against, laid out as it looks them up.

python schemas.py crds OUT_DIR CRD.yaml [CRD.yaml ...]
    Each CustomResourceDefinition's versions as ``<out>/<group>/<kind>_<version>.json``
    (kubeconform's ``{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json``).
    Strict, like Kubernetes' own "-strict" schemas: an object that names its properties
    accepts no others (unless the CRD keeps unknown fields), so a misspelt field in a
    custom resource fails the check instead of being dropped by the API server.
python schemas.py kubernetes SRC_DIR OUT_DIR
    Kubernetes' schemas of one release as kubernetes-validate ships them, their references
    to the shared definitions made relative to the file (the package resolves
    "/api/_definitions.json" itself; kubeconform reads files as they are).
"""

import json
import sys
from pathlib import Path
from typing import Any

import yaml

_PACKAGE_DEFINITIONS = "/api/_definitions.json#"


def strict(schema: Any) -> Any:
    """The OpenAPI v3 schema of a CRD as a closed JSON Schema (what kubeconform validates)."""
    if isinstance(schema, list):
        return [strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: strict(v) for k, v in schema.items()}
    if out.pop("nullable", False) and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    keeps_unknown = out.get("x-kubernetes-preserve-unknown-fields") is True
    if "properties" in out and "additionalProperties" not in out and not keeps_unknown:
        out["additionalProperties"] = False
    return out


def write_schemas(crd: dict[str, Any], out: Path) -> list[Path]:
    spec = crd["spec"]
    group, kind = spec["group"], spec["names"]["kind"].lower()
    written = []
    for version in spec["versions"]:
        schema = strict(version["schema"]["openAPIV3Schema"])
        # apiVersion, kind and metadata: the API server's, present in every object.
        schema.setdefault("properties", {}).update(
            {
                "apiVersion": {"type": "string"},
                "kind": {"type": "string"},
                "metadata": {"type": "object"},
            }
        )
        path = out / group / f"{kind}_{version['name']}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(schema, indent=1, sort_keys=True), encoding="utf-8")
        written.append(path)
    return written


def kubernetes(src: Path, out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    count = 0
    for path in sorted(src.glob("*.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        # Its $id (https://kubernetes.io/api/...) would make a file-relative reference resolve
        # against kubernetes.io: without it, it resolves against the file itself.
        schema.pop("$id", None)
        text = json.dumps(schema).replace(
            f'"$ref": "{_PACKAGE_DEFINITIONS}', '"$ref": "_definitions.json#'
        )
        (out / path.name).write_text(text, encoding="utf-8")
        count += 1
    return count


def crds(out: Path, names: list[str]) -> int:
    count = 0
    for name in names:
        with open(name, encoding="utf-8") as f:
            for doc in yaml.safe_load_all(f):
                if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
                    count += len(write_schemas(doc, out))
    return count


def main(argv: list[str]) -> int:
    if len(argv) >= 3 and argv[0] == "crds":
        if not crds(Path(argv[1]), argv[2:]):
            print(f"no CustomResourceDefinition in {argv[2:]}", file=sys.stderr)
            return 1
        return 0
    if len(argv) == 3 and argv[0] == "kubernetes":
        if not kubernetes(Path(argv[1]), Path(argv[2])):
            print(f"no schema in {argv[1]}", file=sys.stderr)
            return 1
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
