"""Text of the official documents that differs by state: data in the calendar, with sensible defaults.

The defaults follow the general law (LGIPE) and common OPLE practice; a state replaces any of them in its calendar's
``documents`` section, so another OPLE needs a new YAML, not a new template.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Annotated

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from .unconfirmed import Confirmable

DEFAULT_ELIGIBILITY = [
    "Tener la ciudadanía mexicana y estar en pleno ejercicio de sus derechos políticos.",
    "Estar inscrita en el Registro Federal de Electores y contar con credencial para votar vigente.",
    "Tener la residencia en la entidad o en la demarcación que exija la constitución local para el cargo.",
    "Tener cumplida, el día de la jornada electoral, la edad mínima que la constitución local fija para el cargo.",
    "Separarse de los cargos públicos que la ley señale, en el plazo que ésta establezca.",
    "No ser ministra o ministro de algún culto religioso.",
    "No haber sido condenada o condenado por delito intencional.",
    "No estar inscrita o inscrito en el registro de personas sancionadas por violencia política contra las "
    "mujeres en razón de género.",
    "No haber sido postulada o postulado como candidata o candidato, ni haber desempeñado cargo de dirección en "
    "un partido político, en los tres años anteriores a la solicitud.",
]

DEFAULT_MANIFESTACION_REQUIREMENTS = [
    "Escrito de manifestación de intención en el formato que apruebe el Consejo General, con firma autógrafa.",
    "Copia certificada del acta constitutiva de la asociación civil creada conforme al modelo único de estatutos "
    "aprobado por el Consejo General, integrada al menos por la persona aspirante, su representante legal y la "
    "persona encargada de la administración de los recursos.",
    "Constancia de inscripción de la asociación civil en el Registro Federal de Contribuyentes.",
    "Contrato de la cuenta bancaria abierta a nombre de la asociación civil.",
    "Copia simple, legible, por ambos lados, de la credencial para votar vigente de la persona aspirante, de su "
    "representante legal y de la persona encargada de la administración de los recursos.",
    "Emblema y colores que distinguirán a la candidatura, en formato digital.",
]


def _inside(value: str | None) -> str | None:
    """A path relative to the calendars folder that cannot leave it: an administrator's calendar must not make
    the server read arbitrary files (e.g. stored capture images) into a public document."""
    if value is None:
        return value
    parts = PurePosixPath(value.replace("\\", "/")).parts
    if not value or value.startswith(("/", "\\")) or ".." in parts or ":" in value:
        raise PydanticCustomError(
            "inside_calendars",
            "«{value}» debe ser una ruta relativa dentro de la carpeta de calendarios, sin «..» ni «/» inicial",
            {"value": value},
        )
    return value


InsidePath = Annotated[str, AfterValidator(_inside)]


class DocumentTexts(Confirmable):
    city: str | None = Field(
        default=None, description="Lugar de expedición, p. ej. «Victoria de Durango, Durango»; por omisión, la entidad."
    )
    templates: InsidePath | None = Field(
        default=None,
        description="Carpeta de plantillas propias, relativa a la carpeta de calendarios; las que falten se toman "
        "de las plantillas incluidas.",
    )
    eligibility: list[str] = Field(
        default_factory=lambda: list(DEFAULT_ELIGIBILITY), description="Requisitos de elegibilidad."
    )
    manifestacion_requirements: list[str] = Field(
        default_factory=lambda: list(DEFAULT_MANIFESTACION_REQUIREMENTS),
        description="Documentos que acompañan la manifestación de intención.",
    )
    manifestacion_place: str | None = Field(
        default=None, description="Dónde se presenta la manifestación; por omisión, las oficinas del OPLE."
    )
    capture_app: str = Field(
        default="la aplicación móvil «Apoyo Ciudadano-INE» desarrollada por el Instituto Nacional Electoral",
        description="Medio de captación del apoyo.",
    )
    paper_exception: str | None = Field(
        default=None,
        description="Régimen de excepción (apoyo en papel) y dónde aplica; vacío si no se permite.",
    )
    spending: str = Field(
        default="Las personas aspirantes deberán sujetarse a los topes de gastos para la obtención del apoyo de la "
        "ciudadanía que apruebe el Consejo General y rendir los informes de ingresos y egresos ante la Unidad "
        "Técnica de Fiscalización del Instituto Nacional Electoral, conforme a la normativa aplicable.",
        description="Gastos y fiscalización.",
    )
    unforeseen: str = Field(
        default="Lo no previsto en la presente convocatoria será resuelto por el Consejo General, conforme a la "
        "normativa aplicable.",
        description="Cláusula de lo no previsto.",
    )
    privacy_notice: str = Field(
        default="Los datos personales recabados con motivo del apoyo de la ciudadanía se utilizarán exclusivamente "
        "para verificar el cumplimiento del porcentaje de apoyo requerido. Se protegen conforme a la Ley General de "
        "Protección de Datos Personales en Posesión de Sujetos Obligados; no se transmiten a terceros salvo a la "
        "autoridad electoral para su verificación, y se conservan solo el tiempo que exige la normativa.",
        description="Aviso de protección de datos personales del protocolo.",
    )
    audiencia_days: int = Field(
        default=5,
        ge=1,
        le=30,
        description="Días para manifestar lo que a su derecho convenga en la garantía de audiencia.",
    )
