"""What the mesa de control may decide about an apoyo (domain brief §4), and how an objection is resolved.

The values are stored with each decision and appear in exports; the labels are what documents and the aspirante
read. ``otro`` needs a note that says what the reason is.
"""

from __future__ import annotations

from enum import StrEnum

from .registral import Status


class ReviewReason(StrEnum):
    """Why the mesa de control rejects an apoyo after looking at its images and data."""

    fotocopia = "fotocopia"
    credencial_simulada = "credencial_simulada"
    no_es_credencial = "no_es_credencial"
    solo_un_lado = "solo_un_lado"
    blanco_y_negro = "blanco_y_negro"
    ilegible = "ilegible"
    foto_no_corresponde = "foto_no_corresponde"
    foto_no_directa = "foto_no_directa"
    rostro_no_visible = "rostro_no_visible"
    sin_firma = "sin_firma"
    curp_clave_inconsistente = "curp_clave_inconsistente"
    papel_fuera_de_regimen = "papel_fuera_de_regimen"
    otro = "otro"

    @property
    def label(self) -> str:
        return REASON_LABELS[self]


REASON_LABELS = {
    ReviewReason.fotocopia: "Fotocopia de la credencial para votar",
    ReviewReason.credencial_simulada: "Credencial simulada",
    ReviewReason.no_es_credencial: "La imagen no corresponde a una credencial para votar",
    ReviewReason.solo_un_lado: "Solo se presentó el anverso o solo el reverso de la credencial",
    ReviewReason.blanco_y_negro: "Credencial en blanco y negro",
    ReviewReason.ilegible: "Imagen ilegible",
    ReviewReason.foto_no_corresponde: "La fotografía viva no corresponde a la persona que apoya",
    ReviewReason.foto_no_directa: "La fotografía viva no se tomó directamente a la persona (foto de una foto o de "
    "una pantalla)",
    ReviewReason.rostro_no_visible: "El rostro no es visible en la fotografía viva",
    ReviewReason.sin_firma: "Sin firma o con firma no válida",
    ReviewReason.curp_clave_inconsistente: "La CURP y la clave de elector no son consistentes",
    ReviewReason.papel_fuera_de_regimen: "Apoyo en papel fuera del régimen de excepción",
    ReviewReason.otro: "Otro motivo",
}

ACCEPTED = "aceptado"
# An apoyo valid in the roll whose latest mesa decision rejects it: a status of its own in counts and exports.
DESK_REJECTED = "mesa_de_control"
DESK_REJECTED_LABEL = "Rechazado por la mesa de control"


class Resolution(StrEnum):
    """How a reviewer resolves an aspirante's objection."""

    fundada = "fundada"  # the apoyo counts
    infundada = "infundada"  # the rejection stands

    @property
    def label(self) -> str:
        return "Objeción fundada: el apoyo se computa" if self is Resolution.fundada else "Objeción infundada"


def label(value: str) -> str:
    """The Spanish label of any value a count, a decision or an export carries: a registral status, a mesa
    decision or reason, an objection's resolution; an unknown value is shown as it is."""
    if value == ACCEPTED:
        return "Aceptado"
    if value == DESK_REJECTED:
        return DESK_REJECTED_LABEL
    if value in Status.__members__:
        return Status(value).label
    if value in ReviewReason.__members__:
        return ReviewReason(value).label
    if value in Resolution.__members__:
        return Resolution(value).label
    return value
