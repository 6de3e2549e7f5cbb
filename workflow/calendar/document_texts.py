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

# General rules of the law (LGIPE, Libro Séptimo), worded for any state; a calendar replaces any list.
DEFAULT_PROHIBITIONS = [
    "Realizar actos anticipados de campaña por cualquier medio.",
    "Contratar o adquirir, por sí o por terceras personas, propaganda o cualquier otra forma de promoción personal "
    "en radio y televisión.",
    "Ejercer presión o coacción sobre la ciudadanía, u ofrecer o entregar dádivas, dinero, bienes o servicios a "
    "cambio de su apoyo.",
    "Recibir aportaciones o donativos de partidos políticos, de entes públicos de cualquier orden de gobierno, de "
    "personas extranjeras, de ministras o ministros de culto, de empresas mercantiles o de personas no "
    "identificadas.",
    "Utilizar recursos de procedencia ilícita o rebasar el tope de gastos fijado para la obtención del apoyo.",
]
DEFAULT_RIGHTS = [
    "Solicitar al Consejo General su registro como aspirante.",
    "Realizar actos para promover sus ideas y propuestas con el fin de obtener el apoyo de la ciudadanía, dentro "
    "del periodo que le corresponda.",
    "Nombrar a una persona representante para asistir a las sesiones del Consejo General, sin derecho a voz ni voto.",
    "Registrar a las personas auxiliares que recabarán el apoyo en su favor.",
    "Conocer el resultado de la verificación de su apoyo y ejercer la garantía de audiencia.",
]
DEFAULT_DUTIES = [
    "Conducirse con respeto irrestricto a la Constitución federal, la constitución local y las leyes.",
    "Abstenerse de las conductas prohibidas en esta convocatoria.",
    "Rendir el informe de ingresos y egresos de los actos tendentes a obtener el apoyo de la ciudadanía.",
    "Abstenerse de proferir ofensas, difamación o calumnia contra personas, instituciones o candidaturas.",
    "Responder de la actuación de sus auxiliares y cuidar los datos personales que éstos capten.",
]
DEFAULT_LOSS_CAUSES = [
    "Realizar actos anticipados de campaña o contratar propaganda en radio y televisión.",
    "Rebasar el tope de gastos para la obtención del apoyo de la ciudadanía.",
    "No presentar el informe de ingresos y egresos en el plazo señalado.",
    "No reunir el apoyo de la ciudadanía requerido o, en su caso, no cumplir la regla de dispersión.",
    "Dejar de cumplir alguno de los requisitos de elegibilidad.",
]
DEFAULT_REGISTRATION_DOCUMENTS = [
    "Solicitud de registro con el nombre completo, lugar y fecha de nacimiento, domicilio, clave de elector y cargo "
    "de cada persona postulada.",
    "Para los cargos que se eligen por planilla o fórmula, la integración completa con una persona propietaria y "
    "una suplente del mismo género para cada cargo, con paridad de género y alternancia entre los géneros.",
    "Copia del acta de nacimiento y de la credencial para votar vigente de cada persona postulada.",
    "Declaración, bajo protesta de decir verdad, de no aceptar recursos de procedencia ilícita y de cumplir los "
    "requisitos de elegibilidad.",
    "Plataforma electoral y emblema de la candidatura.",
    "Datos de la cuenta bancaria de la asociación civil y constancia del informe de ingresos y egresos.",
]
DEFAULT_NOTIFICATIONS = (
    "Las notificaciones se practicarán en el domicilio o la dirección de correo electrónico que cada persona "
    "interesada señale en su manifestación de intención, conforme a la ley de medios de impugnación del estado."
)
DEFAULT_APPEALS = (
    "Los actos y resoluciones que se emitan con motivo de esta convocatoria podrán impugnarse mediante los medios "
    "previstos en la ley de medios de impugnación en materia electoral del estado. Durante el proceso electoral "
    "todos los días y horas son hábiles."
)
DEFAULT_TRANSITORIOS = [
    "La presente convocatoria surte efectos a partir de su aprobación por el Consejo General.",
    "Publíquese en el periódico oficial del estado y en el sitio de internet del organismo, y difúndase en los "
    "medios que determine el Consejo General.",
]
DEFAULT_INCIDENTS = [
    "Pérdida o robo del dispositivo: la persona auxiliar lo informa de inmediato a la mesa de ayuda; el organismo "
    "desactiva su acceso y los apoyos aún no enviados, que se guardan cifrados en el dispositivo, se tienen por no "
    "presentados.",
    "Falla de la aplicación: la persona auxiliar no desinstala la aplicación ni borra sus datos, conserva los apoyos "
    "pendientes de envío y reporta la falla a la mesa de ayuda con el mensaje que muestre la pantalla.",
    "Falta de conexión: la aplicación guarda los apoyos y los envía al recuperarla, dentro del plazo de envío.",
]
DEFAULT_FRAUD = (
    "Cuando la mesa de control detecte credenciales simuladas, fotocopias presentadas como originales, "
    "fotografías que no corresponden a la persona titular u otros indicios de suplantación, el apoyo no se computa, "
    "se deja constancia del hallazgo y el organismo da vista a la Fiscalía Especializada en Delitos Electorales y "
    "a las demás autoridades competentes, sin perjuicio de las sanciones que procedan contra la persona aspirante."
)
DEFAULT_PRIVACY_PURPOSES = [
    "Verificar que quien otorga su apoyo está inscrito en la Lista Nominal de Electores de la demarcación.",
    "Computar el apoyo de cada persona aspirante y resolver la garantía de audiencia.",
    "Integrar el expediente del dictamen y atender los medios de impugnación.",
]
DEFAULT_PRIVACY_TRANSFERS = (
    "Los datos se transmiten al Instituto Nacional Electoral, por conducto de su Dirección Ejecutiva del Registro "
    "Federal de Electores, para su compulsa con el Padrón Electoral y la Lista Nominal; no se transmiten a otras "
    "personas salvo requerimiento fundado de autoridad competente."
)
DEFAULT_ARCO = (
    "La persona titular puede ejercer sus derechos de acceso, rectificación, cancelación y oposición (derechos "
    "ARCO), y la portabilidad de sus datos, ante la unidad de transparencia del organismo, conforme a la Ley General "
    "de Protección de Datos Personales en Posesión de Sujetos Obligados."
)


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
    # What a convocatoria and a protocolo need that only the OPLE can state. Unset: the document prints a visible
    # PROYECTO placeholder naming what is missing (never an invented value) and is a PROYECTO.
    convocatoria_acuerdo: str | None = Field(
        default=None,
        description="Acuerdo que aprueba la convocatoria, con su número, sesión y fecha, p. ej. «IEPC/CG130/2021, "
        "aprobado en sesión extraordinaria del 29 de octubre de 2021».",
    )
    legal_articles: list[str] | None = Field(
        default=None,
        description="Fundamento local por artículo: constitución y ley electoral del estado, lineamientos del INE "
        "y acuerdo del corte de la Lista Nominal.",
    )
    minimum_ages: dict[str, str] | None = Field(
        default=None, description="Edad mínima por cargo (clave: id del cargo), p. ej. «30 años cumplidos»."
    )
    separation_posts: list[str] | None = Field(
        default=None, description="Cargos públicos de los que debe separarse quien aspire."
    )
    separation_term: str | None = Field(
        default=None, description="Plazo de la separación, p. ej. «noventa días antes de la elección»."
    )
    correction_term: str | None = Field(
        default=None, description="Plazo para subsanar omisiones de la manifestación de intención."
    )
    constancia_date: str | None = Field(
        default=None, description="Fecha de expedición de la constancia de aspirante, si no hay fase que la fije."
    )
    prohibitions: list[str] = Field(default_factory=lambda: list(DEFAULT_PROHIBITIONS), description="Prohibiciones.")
    spending_limits: dict[str, str] | None = Field(
        default=None, description="Tope de gastos para obtener el apoyo, por cargo (clave: id del cargo), con su cifra."
    )
    spending_limits_acuerdo: str | None = Field(default=None, description="Acuerdo que fija los topes de gastos.")
    fiscalization_system: str = Field(
        default="el Sistema Integral de Fiscalización del Instituto Nacional Electoral",
        description="Sistema de fiscalización en que se rinden los informes.",
    )
    report_deadline: str | None = Field(
        default=None, description="Plazo para rendir el informe de ingresos y egresos de la obtención del apoyo."
    )
    rights: list[str] = Field(
        default_factory=lambda: list(DEFAULT_RIGHTS), description="Derechos de las personas aspirantes."
    )
    duties: list[str] = Field(
        default_factory=lambda: list(DEFAULT_DUTIES), description="Obligaciones de las personas aspirantes."
    )
    loss_causes: list[str] = Field(
        default_factory=lambda: list(DEFAULT_LOSS_CAUSES), description="Causas de pérdida del derecho a registrarse."
    )
    registration_documents: list[str] = Field(
        default_factory=lambda: list(DEFAULT_REGISTRATION_DOCUMENTS),
        description="Documentos de la solicitud de registro.",
    )
    notifications: str = Field(default=DEFAULT_NOTIFICATIONS, description="Notificaciones.")
    appeals: str = Field(default=DEFAULT_APPEALS, description="Medios de impugnación y cómputo de plazos.")
    official_gazette: str | None = Field(
        default=None,
        description="Periódico oficial del estado, p. ej. «Periódico Oficial del Gobierno del Estado de Durango».",
    )
    transitorios: list[str] = Field(default_factory=lambda: list(DEFAULT_TRANSITORIOS), description="Transitorios.")
    ine_lineamientos: str | None = Field(
        default=None, description="Acuerdo del INE con los lineamientos de la aplicación que aplica el protocolo."
    )
    training: str | None = Field(
        default=None, description="Capacitación de aspirantes y auxiliares: fechas, sedes o modalidad."
    )
    portal_url: str | None = Field(default=None, description="Portal de las personas aspirantes (reportes, audiencia).")
    device_requirements: list[str] | None = Field(
        default=None, description="Requisitos de los dispositivos móviles (sistema operativo, versión, espacio)."
    )
    support_contact: str | None = Field(default=None, description="Mesa de ayuda: teléfono, correo y horario.")
    incidents: list[str] = Field(default_factory=lambda: list(DEFAULT_INCIDENTS), description="Atención de incidentes.")
    fraud: str = Field(default=DEFAULT_FRAUD, description="Tratamiento de indicios de fraude.")
    privacy_purposes: list[str] = Field(
        default_factory=lambda: list(DEFAULT_PRIVACY_PURPOSES), description="Finalidades del tratamiento."
    )
    privacy_legal_basis: str | None = Field(
        default=None, description="Fundamento del tratamiento de datos (ley estatal de protección de datos, artículos)."
    )
    privacy_transfers: str = Field(default=DEFAULT_PRIVACY_TRANSFERS, description="Transferencias de datos.")
    privacy_arco: str = Field(default=DEFAULT_ARCO, description="Derechos ARCO.")
    privacy_contact: str | None = Field(
        default=None, description="Unidad de transparencia: domicilio y correo para ejercer los derechos ARCO."
    )
    privacy_retention: str | None = Field(default=None, description="Plazo de conservación de los datos y su destino.")
    audiencia_days: int = Field(
        default=5,
        ge=1,
        le=30,
        description="Días para manifestar lo que a su derecho convenga en la garantía de audiencia.",
    )
