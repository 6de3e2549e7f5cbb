"""What a gestor's app sends with each capture, validated at the boundary; and the receipt it gets back."""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from workflow.calendar.messages import pattern
from workflow.text import CleanText

CLAVE_RE = re.compile(r"^[A-Z]{6}(\d{2})(\d{2})(\d{2})(\d{2})[HM]\d{3}$")
IMAGE_PARTS = ("anverso", "reverso", "foto", "firma")


class CaptureMode(StrEnum):
    app = "app"  # the gestor's app
    papel = "papel"  # paper, only under the régimen de excepción


def _clave(value: str) -> str:
    value = value.strip().upper()
    m = CLAVE_RE.match(value)
    if not m:
        raise PydanticCustomError(
            "clave_elector",
            "la clave de elector debe tener 18 caracteres: 6 letras, fecha de nacimiento AAMMDD, 2 dígitos de la "
            "entidad, H o M y 3 dígitos (p. ej. GOMEJU85031210H300)",
        )
    yy, mm, dd, state = (int(g) for g in m.groups())
    try:
        date(2000 + yy, mm, dd)  # leap years aside, any century accepts the same month/day
    except ValueError:
        raise PydanticCustomError(
            "clave_elector", "la fecha de nacimiento de la clave de elector ({birth}) no existe", {"birth": value[6:12]}
        ) from None
    if not (1 <= state <= 32 or state in (87, 88)):
        raise PydanticCustomError(
            "clave_elector",
            "la entidad de nacimiento de la clave de elector ({state}) debe estar entre 01 y 32 (u 87/88 si nació "
            "en el extranjero)",
            {"state": value[12:14]},
        )
    return value


ClaveElector = Annotated[str, AfterValidator(_clave)]
Name = Annotated[str, Field(min_length=1, max_length=80)]


class CaptureData(CleanText):
    """The JSON part of ``POST /captures``."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "capture_id": "3f1c2a9e-8b7d-4c55-9a1e-2b6f0d4e7a11",
                    "captured_at": "2022-01-20T11:00:00-06:00",
                    "clave_elector": "GOMEJU85031210H300",
                    "ocr": "0123456789012",
                    "cic": "123456789",
                    "numero_emision": "02",
                    "seccion": 123,
                    "nombre": "JUANA",
                    "apellido_paterno": "GÓMEZ",
                    "apellido_materno": "MUÑOZ",
                    "device_id": "tel-01",
                    "app_version": "1.0.0",
                    "capture_mode": "app",
                }
            ]
        },
    )

    capture_id: UUID = Field(description="Identificador que genera la aplicación; reintentar con el mismo no duplica.")
    captured_at: AwareDatetime = Field(
        description="Momento de la captura en el dispositivo: texto ISO 8601 con desfase horario.",
        examples=["2022-01-20T11:00:00-06:00"],
    )
    clave_elector: ClaveElector = Field(
        description="Clave de elector de 18 caracteres.",
        json_schema_extra={"pattern": CLAVE_RE.pattern, "examples": ["GOMEJU85031210H300"]},
    )
    ocr: str = Field(
        pattern=pattern(r"^\d{13}$", "debe tener 13 dígitos"),
        description="OCR de 13 dígitos del reverso: sección y consecutivo.",
    )
    cic: str | None = Field(
        default=None,
        pattern=pattern(r"^\d{9}$", "debe tener 9 dígitos"),
        description="CIC de 9 dígitos (modelos E, F, G, H).",
    )
    numero_emision: str | None = Field(
        default=None, pattern=pattern(r"^\d{2}$", "debe tener 2 dígitos"), description="Número de emisión (2 dígitos)."
    )
    seccion: StrictInt = Field(ge=1, le=9999, description="Sección electoral del domicilio (número entero).")
    nombre: Name
    apellido_paterno: Name
    apellido_materno: Annotated[str, Field(max_length=80)] | None = None
    device_id: str = Field(min_length=1, max_length=100)
    app_version: str = Field(min_length=1, max_length=40)
    capture_mode: CaptureMode = CaptureMode.app

    @field_validator("captured_at", mode="before")
    @classmethod
    def _instant_as_text(cls, value: Any) -> Any:
        # A bare number would be read as seconds since 1970: ambiguous on a phone, so only ISO 8601 text is taken.
        if not isinstance(value, str):
            raise PydanticCustomError(
                "instant_text", "captured_at debe ser un texto ISO 8601 con desfase, p. ej. 2022-01-20T11:00:00-06:00"
            )
        return value

    @model_validator(mode="after")
    def _ocr_matches_seccion(self) -> CaptureData:
        if int(self.ocr[:4]) != self.seccion:
            raise PydanticCustomError(
                "ocr_seccion",
                "el OCR empieza con la sección ({ocr}) y no coincide con la sección capturada ({seccion})",
                {"ocr": self.ocr[:4], "seccion": self.seccion},
            )
        return self


class Receipt(BaseModel):
    """The acknowledgement of a stored capture: sent only once the row is committed and the images are synced."""

    folio: str = Field(description="Folio del apoyo recibido.")
    capture_id: UUID
    received_at: datetime = Field(description="Momento de recepción en el servidor (UTC).")
    sha256: str = Field(
        description=(
            "SHA-256 (hexadecimal) del contenido almacenado, que la aplicación puede recalcular: el JSON de `data` "
            'tal como se guarda —todos sus campos (un opcional ausente vale null; `capture_mode` ausente, "app"), '
            "los textos sin espacios al inicio ni al final y en Unicode NFC, `clave_elector` en mayúsculas, "
            "`capture_id` como UUID en minúsculas con guiones, `captured_at` en UTC como "
            "AAAA-MM-DDTHH:MM:SS[.ffffff]+00:00 (microsegundos, seis cifras, solo si no son cero)— más el campo "
            '`images`: {"anverso", "reverso", "foto", "firma"} con el SHA-256 hexadecimal de los bytes '
            "de cada imagen enviada; serializado con las llaves ordenadas en todos los niveles, los separadores "
            '", " y ": " y los caracteres no ASCII en UTF-8 (sin escapes \\u).'
        )
    )
    late: bool = Field(description="Recibido en el plazo de gracia, tras el cierre, captado dentro del periodo.")
