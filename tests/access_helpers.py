"""Requests for every operation of an OpenAPI document, built from its examples and schemas,
naming a chosen community wherever the operation takes one (tests walk every route with them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

KNOWLEDGE = {
    "alpha": ("al", "团购的东西多久发货？", "下单后48小时内发货。"),
    "beta": ("be", "课程可以退款吗？", "开课7天内可以申请退款。"),
}


def write_knowledge(folder: Any) -> None:
    """Two tiny communities, so walks never touch the session's sample data."""
    (folder / "faq").mkdir(parents=True)
    for community, (prefix, question, answer) in KNOWLEDGE.items():
        text = (
            f"community: {community}\nentries:\n  - id: {prefix}-001\n    question: {question}\n    answer: {answer}\n"
        )
        (folder / "faq" / f"{community}.yaml").write_text(text, encoding="utf-8")


@dataclass
class Call:
    method: str
    path: str
    params: dict[str, Any]
    json: Any
    names_community: bool

    def send(self, client: Any, key: str | None) -> Any:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return client.request(self.method, self.path, params=self.params, json=self.json, headers=headers)


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m.upper(), p, op) for p, ops in spec["paths"].items() for m, op in ops.items()]


def call_for(spec: dict[str, Any], method: str, path: str, operation: dict[str, Any], community: str) -> Call:
    params, names = {}, False
    for param in operation.get("parameters", []):
        if param["name"] == "community":
            value, names = community, True
        elif param.get("required"):
            value = _example(spec, param["schema"])
        else:
            continue
        if param["in"] == "path":
            path = path.replace("{" + param["name"] + "}", str(value))
        else:
            params[param["name"]] = value
    body = None
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content:
        body = _example(spec, content["schema"])
        if isinstance(body, dict) and "community" in body:
            body["community"], names = community, True
        if isinstance(body, dict) and isinstance(body.get("model"), str):
            body["model"], names = f"{body['model'].split('/')[0]}/{community}", True
    return Call(method, path, params, body, names)


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _example(spec: dict[str, Any], schema: dict[str, Any]) -> Any:
    """The schema's first example, else the smallest value its required fields allow."""
    schema = _resolve(spec, schema)
    if schema.get("examples"):
        return _copy(schema["examples"][0])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [o for o in schema[key] if _resolve(spec, o).get("type") != "null"]
            return _example(spec, options[0])
    kind = schema.get("type")
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "object":
        return {
            k: _example(spec, v) for k, v in schema.get("properties", {}).items() if k in schema.get("required", [])
        }
    if kind == "array":
        return [_example(spec, schema.get("items", {})) for _ in range(schema.get("minItems", 0))]
    return {"integer": 1, "number": 1.0, "boolean": False}.get(kind or "", "退款")


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return [_copy(v) for v in value] if isinstance(value, list) else value
