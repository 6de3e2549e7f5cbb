"""OpenAPI for the bodies Litestar cannot describe by itself: the capture (multipart, whose ``data`` part is JSON
validated by the domain's model), the objection (multipart) and the calendar amendment (raw YAML). Schemas come
from the models, so the documentation cannot drift from what the server checks."""

from __future__ import annotations

import dataclasses
from typing import Any

from litestar.openapi.spec import (
    Encoding,
    OpenAPIFormat,
    OpenAPIMediaType,
    OpenAPIType,
    Operation,
    Parameter,
    RequestBody,
    Schema,
)

from workflow.captures.model import IMAGE_PARTS, CaptureData

_ALIASES = {f.metadata.get("alias", f.name): f.name for f in dataclasses.fields(Schema)}
_NESTED = {"properties", "items", "any_of", "all_of", "one_of", "additional_properties"}


def schema_from_json(node: Any, defs: dict[str, Any]) -> Any:
    """A JSON Schema (as pydantic writes it) as Litestar's ``Schema``, with ``$ref``s to ``$defs`` inlined."""
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return schema_from_json(
            {**defs[node["$ref"].rsplit("/", 1)[-1]], **{k: v for k, v in node.items() if k != "$ref"}}, defs
        )
    kwargs: dict[str, Any] = {}
    for key, value in node.items():
        name = _ALIASES.get(key)
        if name is None or key == "$defs":
            continue
        if name == "type":
            value = OpenAPIType(value)
        elif name == "format":
            value = next((f for f in OpenAPIFormat if f.value == value), None)
        elif name == "properties":
            value = {k: schema_from_json(v, defs) for k, v in value.items()}
        elif name in ("any_of", "all_of", "one_of"):
            value = [schema_from_json(v, defs) for v in value]
        elif name in _NESTED:
            value = schema_from_json(value, defs)
        kwargs[name] = value
    return Schema(**kwargs)


def capture_body() -> RequestBody:
    json_schema = CaptureData.model_json_schema()
    data = schema_from_json(json_schema, json_schema.get("$defs", {}))
    image = Schema(
        type=OpenAPIType.STRING,
        format=OpenAPIFormat.BINARY,
        description="Imagen JPEG o PNG, de 4 MiB y 24 megapíxeles como máximo.",
    )
    parts: dict[str, Any] = {"data": data, **{part: image for part in IMAGE_PARTS}}
    return RequestBody(
        required=True,
        description="El apoyo: la parte «data» (JSON) y las imágenes anverso y reverso de la credencial, la foto "
        "viva y la firma. Todas las partes son obligatorias.",
        content={
            "multipart/form-data": OpenAPIMediaType(
                schema=Schema(type=OpenAPIType.OBJECT, properties=parts, required=["data", *IMAGE_PARTS]),
                encoding={"data": Encoding(content_type="application/json")},
            )
        },
    )


def objection_body() -> RequestBody:
    return RequestBody(
        required=True,
        description="La objeción: el argumento y, si se quiere, una imagen nueva.",
        content={
            "multipart/form-data": OpenAPIMediaType(
                schema=Schema(
                    type=OpenAPIType.OBJECT,
                    properties={
                        "argumento": Schema(
                            type=OpenAPIType.STRING,
                            min_length=10,
                            max_length=4000,
                            pattern=r"\S",
                            description="Por qué el apoyo debe computarse.",
                        ),
                        "imagen": Schema(
                            type=OpenAPIType.STRING,
                            format=OpenAPIFormat.BINARY,
                            description="Imagen JPEG o PNG (opcional), de 4 MiB y 24 megapíxeles como máximo.",
                        ),
                    },
                    required=["argumento"],
                )
            )
        },
    )


def calendar_body() -> RequestBody:
    return RequestBody(
        required=True,
        description="El calendario completo en YAML (el mismo formato que los archivos de calendars/).",
        content={"application/yaml": OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING))},
    )


@dataclasses.dataclass
class CaptureOperation(Operation):
    def __post_init__(self) -> None:
        self.request_body = capture_body()


@dataclasses.dataclass
class ObjectionOperation(Operation):
    def __post_init__(self) -> None:
        self.request_body = objection_body()


@dataclasses.dataclass
class CalendarOperation(Operation):
    def __post_init__(self) -> None:
        self.request_body = calendar_body()
        for parameter in self.parameters or []:
            if isinstance(parameter, Parameter) and parameter.name == "X-Reason":
                parameter.required = True
                # Blank is refused like absent: the schema says so, or a client would think it valid.
                parameter.schema = Schema(type=OpenAPIType.STRING, min_length=1, pattern=r"\S")
