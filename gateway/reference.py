"""The API reference for people (docs/api.md), written from the OpenAPI document itself:
``python -m gateway.reference > docs/api.md``. A unit test fails until the file is current."""
from gateway.openapi import TAGS, openapi_document

INTRO = """# API reference

Every route of the HTTP gateway, written from its OpenAPI document (`/openapi.json`; this file:
`python -m gateway.reference > docs/api.md`). Bodies are JSON; lists take `limit` and `cursor`
and answer `{items, next_cursor}`; errors answer `{"error": {"code", "message", "fields"}}`
(see the README's conventions). Who may call a route is the service's to decide: the summary
says who.
"""


def _schema(document, ref):
    return document["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]] if "$ref" in ref else ref


def _fields(document, schema):
    """`name` for each property (`name?` when optional)."""
    schema = _schema(document, schema)
    required = set(schema.get("required", ()))
    return ", ".join(f"`{name}`" if name in required else f"`{name}?`" for name in schema.get("properties", {}))


def _query(operation):
    names = [p["name"] for p in operation.get("parameters", ()) if p["in"] == "query"]
    return "?" + "&".join(f"{name}=" for name in names) if names else ""


def markdown(document=None):
    document = document or openapi_document()
    by_tag = {tag: [] for tag in TAGS}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            by_tag[operation["tags"][0]].append((path, method, operation))
    lines = [INTRO]
    for tag, description in TAGS.items():
        if not by_tag[tag]:
            continue
        lines += [f"## {tag.capitalize()}", "", description + ".", "",
                  "| Route | Body | Answer | What it does |", "|---|---|---|---|"]
        for path, method, operation in sorted(by_tag[tag], key=lambda entry: (entry[0], entry[1])):
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            success = sorted(status for status in operation["responses"] if status.startswith("2"))
            credentials = " or ".join(name for requirement in operation.get("security", [{"bearer": []}])
                                      for name in requirement) or "none"
            lines.append(f"| `{method.upper()} {path}{_query(operation)}` | {_fields(document, body) if body else ''} "
                         f"| {', '.join(success)} | {operation['summary']} (credential: {credentials}) |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(), end="")
