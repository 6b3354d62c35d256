"""The API's OpenAPI document and its reference page, drawn by us from the
document (no script, nothing from elsewhere); both public."""

from flask import Blueprint, current_app, jsonify, render_template

from trainers.api import PREFIX

bp = Blueprint("api", __name__, url_prefix=PREFIX)

METHODS = ("get", "post", "put", "patch", "delete")


def openapi() -> dict:
    """The OpenAPI document, as flask-smorest builds it from the code."""
    return current_app.extensions["trainers-api"].spec.to_dict()


@bp.route("/openapi.json")
def openapi_json():
    return jsonify(openapi())


@bp.route("/docs")
def reference():
    document = openapi()
    return render_template(
        "api/docs.html",
        info=document["info"],
        operations=operations(document),
    )


def operations(document: dict) -> list[dict]:
    """Each operation as the reference shows it: method, path, summary, scope,
    parameters, the body's fields and each response's fields."""
    found = []
    for path, item in document["paths"].items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            body = operation.get("requestBody", {}).get("content", {})
            found.append(
                {
                    "id": f"{method}-{path}".replace("/", "-").strip("-"),
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "scope": "read" if method == "get" else "write",
                    "parameters": [
                        _parameter(document, p)
                        for p in item.get("parameters", [])
                        + operation.get("parameters", [])
                    ],
                    "body": _fields(
                        document,
                        body.get("application/json", {}).get("schema"),
                        sending=True,
                    ),
                    "responses": [
                        {
                            "status": status,
                            "description": _resolve(document, answer).get(
                                "description", ""
                            ),
                            "fields": _fields(
                                document,
                                _resolve(document, answer)
                                .get("content", {})
                                .get("application/json", {})
                                .get("schema"),
                            ),
                        }
                        for status, answer in sorted(
                            operation.get("responses", {}).items()
                        )
                        if status != "default"
                    ],
                }
            )
    return found


def _resolve(document: dict, thing: dict | None) -> dict:
    """A `$ref` followed to what it names (once nested refs are reached)."""
    while thing and "$ref" in thing:
        node = document
        for part in thing["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        thing = node
    return thing or {}


def _parameter(document: dict, parameter: dict) -> dict:
    parameter = _resolve(document, parameter)
    schema = _resolve(document, parameter.get("schema"))
    return {
        "name": parameter["name"],
        "where": parameter["in"],
        "type": _type(document, schema),
        "required": parameter.get("required", False),
        "description": parameter.get("description") or schema.get("description", ""),
    }


def _fields(
    document: dict, schema: dict | None, prefix: str = "", sending: bool = False
) -> list[dict]:
    """A schema's fields, nested ones as `items[].name`; of a body the client
    sends (`sending`), not those only ever answered (readOnly)."""
    schema = _resolve(document, schema)
    required = set(schema.get("required", []))
    shown = []
    for name, field in schema.get("properties", {}).items():
        field = _resolve(document, field)
        if sending and field.get("readOnly"):
            continue
        shown.append(
            {
                "name": prefix + name,
                "type": _type(document, field),
                "required": name in required,
                "description": field.get("description", ""),
            }
        )
        inner = _resolve(document, field.get("items")) if "items" in field else field
        if "properties" in inner:
            suffix = "[]." if "items" in field else "."
            shown.extend(_fields(document, inner, prefix + name + suffix, sending))
    return shown


def _type(document: dict, schema: dict) -> str:
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = " or ".join(kind)
    if "enum" in schema:
        kind += ": " + ", ".join(str(value) for value in schema["enum"] if value)
    if "format" in schema:
        kind += f" ({schema['format']})"
    if "items" in schema:
        kind += " of " + _type(document, _resolve(document, schema["items"]))
    return kind
