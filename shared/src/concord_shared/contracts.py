"""The published contracts, generated from the code: one JSON Schema per event, one AsyncAPI
3.0 document, and a compatibility check against the previously published version.

    concord-contracts generate [--out contracts]     (what `make contracts` runs)
    concord-contracts check [--out contracts]        breaking changes against contracts/published
    concord-contracts publish [--out contracts]      record the current schemas as published
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

from concord_shared import enums
from concord_shared.catalog import DEAD_LETTER_CHANNEL, DEPARTMENT_CHANNEL, FLOWS
from concord_shared.envelope import Envelope
from concord_shared.events import EVENT_TYPES
from concord_shared.paths import CONTRACTS as CONTRACTS  # where they are published
from concord_shared.registry import load_registry
from concord_shared.topics import SERVICES, all_topics

SCHEMA_ID = "https://concord.example/contracts/schemas/"
NAMESPACE = "concord"


def schema_file(event_type: str) -> str:
    major = EVENT_TYPES[event_type].schema_version
    return f"{event_type}.v{major}.json"


def event_schema(event_type: str) -> dict[str, Any]:
    payload = EVENT_TYPES[event_type]
    model: Any = Envelope[payload]  # type: ignore[valid-type]
    schema: dict[str, Any] = model.model_json_schema(mode="serialization")
    schema["title"] = event_type
    schema["description"] = (payload.__doc__ or f"The {event_type} event.").strip()
    properties = schema["properties"]
    properties["type"] = {"const": event_type, "title": "Type", "type": "string"}
    properties["schema_version"] = {
        "const": payload.schema_version,
        "title": "Schema Version",
        "type": "integer",
    }
    # Producers always write these; the model gives them defaults only for convenience.
    schema["required"] = sorted(
        set(schema.get("required", [])) | {"event_id", "type", "schema_version", "occurred_at"}
    )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID + schema_file(event_type),
        **schema,
    }


def _hoist(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """Move $defs into AsyncAPI components and point references there."""
    schema = json.loads(json.dumps(schema).replace('"#/$defs/', '"#/components/schemas/'))
    for name, definition in schema.pop("$defs", {}).items():
        components[name] = definition
    schema.pop("$schema", None)
    schema.pop("$id", None)
    return schema


def asyncapi_document() -> dict[str, Any]:
    departments = sorted(load_registry().department_codes())
    schemas: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for event_type in sorted(EVENT_TYPES):
        schemas[event_type] = _hoist(event_schema(event_type), schemas)
        messages[event_type] = {
            "name": event_type,
            "title": event_type,
            "summary": schemas[event_type]["description"].splitlines()[0],
            "contentType": "application/json",
            "headers": {"$ref": "#/components/schemas/KafkaHeaders"},
            "payload": {"$ref": f"#/components/schemas/{event_type}"},
            "bindings": {"kafka": {"key": {"type": "string", "description": "the case id"}}},
        }
    schemas["KafkaHeaders"] = {
        "type": "object",
        "description": "Copies of envelope fields, to filter without decoding the body.",
        "properties": {
            k: {"type": "string"}
            for k in ("event_type", "event_id", "schema_version", "correlation_id")
        },
    }
    specs = {s.name: s for s in all_topics(departments)}
    channels: dict[str, Any] = {}
    for flow in FLOWS:
        channel_id = flow.channel.replace(".", "_").replace("{", "").replace("}", "")
        channel = channels.setdefault(
            channel_id,
            {"address": f"{NAMESPACE}.{flow.channel}", "messages": {}},
        )
        if flow.channel == DEPARTMENT_CHANNEL:
            channel["parameters"] = {
                "department": {"enum": departments, "description": "department code"}
            }
            channel["description"] = "One topic per department, so access is granted per topic."
        elif flow.channel == DEAD_LETTER_CHANNEL:
            channel["parameters"] = {"service": {"enum": list(SERVICES)}}
            channel["description"] = "Messages a service could not process, with the reason."
        else:
            spec = specs[flow.channel]
            channel["description"] = spec.description
            channel["bindings"] = {
                "kafka": {
                    "partitions": spec.partitions,
                    "topicConfiguration": {
                        "cleanup.policy": [spec.cleanup_policy],
                        "retention.ms": spec.retention_ms,
                    },
                }
            }
        for event_type in flow.events:
            channel["messages"][event_type] = {"$ref": f"#/components/messages/{event_type}"}
    operations: dict[str, Any] = {}
    for flow in FLOWS:
        channel_id = flow.channel.replace(".", "_").replace("{", "").replace("}", "")
        refs = [{"$ref": f"#/channels/{channel_id}/messages/{e}"} for e in flow.events]
        for action, parties in (("send", flow.publishers), ("receive", flow.subscribers)):
            for party in parties:
                op_id = f"{party}_{action}_{channel_id}"
                operation = operations.setdefault(
                    op_id,
                    {
                        "action": action,
                        "channel": {"$ref": f"#/channels/{channel_id}"},
                        "summary": f"{party} {'publishes to' if action == 'send' else 'consumes'} "
                        f"{NAMESPACE}.{flow.channel}",
                        "messages": [],
                    },
                )
                operation["messages"].extend(refs)
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Concord events",
            "version": "1.0.0",
            "description": (
                "Events between Concord's services and with departments and other systems. "
                "Every message is a JSON envelope keyed by case id; see contracts/README.md."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "local": {
                "host": "127.0.0.1:9092",
                "protocol": "kafka",
                "description": "the local broker of deploy/local",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"schemas": schemas, "messages": messages},
    }


def enumerations_markdown() -> str:
    lines = ["| enumeration | values |", "|---|---|"]
    for name in sorted(dir(enums)):
        value = getattr(enums, name)
        if isinstance(value, type) and issubclass(value, StrEnum) and value is not StrEnum:
            lines.append(f"| `{name}` | {', '.join(f'`{m.value}`' for m in value)} |")
    return "\n".join(lines) + "\n"


def topics_markdown() -> str:
    departments = sorted(load_registry().department_codes())
    specs = {s.name: s for s in all_topics(departments)}
    lines = [
        "# Topics",
        "",
        "Generated from `shared/src/concord_shared/topics.py` and `catalog.py`. Every topic is",
        f"keyed by case id. Names are `{NAMESPACE}.<name>` in production.",
        "",
        "| topic | partitions | retention (days) | cleanup | events | published by | read by |",
        "|---|---|---|---|---|---|---|",
    ]
    for flow in FLOWS:
        spec = specs.get(flow.channel)
        if flow.channel == DEPARTMENT_CHANNEL:
            spec = specs[f"horizontal.{departments[0]}"]
        elif flow.channel == DEAD_LETTER_CHANNEL:
            spec = specs["dlq.intake"]
        assert spec is not None
        lines.append(
            f"| `{NAMESPACE}.{flow.channel}` | {spec.partitions} | "
            f"{spec.retention_ms // 86_400_000} | {spec.cleanup_policy} | "
            f"{', '.join(flow.events)} | {', '.join(flow.publishers)} | "
            f"{', '.join(flow.subscribers)} |"
        )
    lines += ["", f"Departments (`{{department}}`): {', '.join(departments)}.", ""]
    return "\n".join(lines)


def generated_files() -> dict[str, str]:
    """Relative path under contracts/ -> content."""
    files = {
        f"schemas/{schema_file(t)}": json.dumps(event_schema(t), indent=2, ensure_ascii=False)
        + "\n"
        for t in sorted(EVENT_TYPES)
    }
    files["asyncapi.yaml"] = yaml.safe_dump(
        asyncapi_document(), sort_keys=False, allow_unicode=True, width=100
    )
    files["topics.md"] = topics_markdown()
    files["enumerations.md"] = (
        "# Enumerations\n\nGenerated from `shared/src/concord_shared/enums.py`.\n\n"
        + enumerations_markdown()
    )
    return files


def write(out: Path) -> list[str]:
    changed = []
    for relative, content in generated_files().items():
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != content:
            path.write_text(content, encoding="utf-8")
            changed.append(relative)
    return changed


# --- compatibility -----------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    types: frozenset[str]
    enum: frozenset[str] | None
    required: bool


def _resolve(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = defs[node["$ref"].rsplit("/", 1)[-1]]
    return node


def _types(node: dict[str, Any], defs: dict[str, Any]) -> Iterator[dict[str, Any]]:
    node = _resolve(node, defs)
    options = node.get("anyOf") or node.get("oneOf")
    if options:
        for option in options:
            yield from _types(option, defs)
    else:
        yield node


def fields_of(schema: dict[str, Any]) -> dict[str, Field]:
    """Every field path of a schema with its types, enum values and whether it is required."""
    defs = schema.get("$defs", {})
    found: dict[str, Field] = {}

    def walk(node: dict[str, Any], path: str, required: bool, depth: int = 0) -> None:
        if depth > 12:
            return
        variants = list(_types(node, defs))
        kinds = set()
        enum_values: set[str] | None = None
        for v in variants:
            kind = v.get("type", "object" if "properties" in v else "any")
            kinds.add(str(kind))
            if "enum" in v or "const" in v:
                values = v.get("enum", [v.get("const")])
                enum_values = (enum_values or set()) | {json.dumps(x) for x in values}
        if path:
            found[path] = Field(
                frozenset(kinds), frozenset(enum_values) if enum_values else None, required
            )
        for v in variants:
            needed = set(v.get("required", []))
            for name, child in v.get("properties", {}).items():
                walk(child, f"{path}.{name}" if path else name, name in needed, depth + 1)
            if v.get("type") == "array" and isinstance(v.get("items"), dict):
                walk(v["items"], f"{path}[]", True, depth + 1)

    walk(schema, "", True)
    return found


def breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What would break a consumer written against `old`, unless the major version rose."""
    old_major = old["properties"]["schema_version"].get("const", 1)
    new_major = new["properties"]["schema_version"].get("const", 1)
    if new_major > old_major:
        return []
    before, after = fields_of(old), fields_of(new)
    problems = []
    for path, field in before.items():
        now = after.get(path)
        if now is None:
            problems.append(f"{path}: field removed")
            continue
        if not field.types <= now.types and "any" not in now.types:
            problems.append(
                f"{path}: type changed from {sorted(field.types)} to {sorted(now.types)}"
            )
        if field.enum is not None and now.enum is not None and not field.enum <= now.enum:
            problems.append(f"{path}: enum values removed: {sorted(field.enum - now.enum)}")
        if now.required and not field.required:
            problems.append(f"{path}: became required")
    for path, field in after.items():
        parent = path.rsplit(".", 1)[0] if "." in path else ""
        if path not in before and field.required and (not parent or parent in before):
            problems.append(f"{path}: new required field")
    return problems


def check(out: Path) -> dict[str, list[str]]:
    """Breaking changes of the current schemas against out/published, per event type."""
    published = out / "published"
    current = {
        p.split("/", 1)[1]: json.loads(c)
        for p, c in generated_files().items()
        if p.startswith("schemas/")
    }
    report: dict[str, list[str]] = {}
    for path in sorted(published.glob("*.json")):
        old = json.loads(path.read_text(encoding="utf-8"))
        event_type = old["title"]
        candidates = [s for name, s in current.items() if name.startswith(f"{event_type}.v")]
        if not candidates:
            report[event_type] = ["event type removed"]
            continue
        problems = breaking_changes(
            old, max(candidates, key=lambda s: s["properties"]["schema_version"]["const"])
        )
        if problems:
            report[event_type] = problems
    return report
