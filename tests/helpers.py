"""Helpers shared by the tests: instants, free ports, and waiting for a condition instead of sleeping."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

import httpx

from convoca.throwaway_pg import free_port as free_port  # one helper, for tests, benchmarks and throwaway servers


def utc(text: str) -> datetime:
    """An ISO instant with Z or an offset, as UTC."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def wait_for(condition: Callable[[], object], timeout: float = 10.0, interval: float = 0.02) -> bool:
    """Poll ``condition`` until it is true (returns True) or ``timeout`` real seconds pass (returns False)."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def healthy(url: str) -> bool:
    """Does the convoca server at ``url`` answer its health check?"""
    try:
        return httpx.get(url.rstrip("/") + "/health", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def confirmed(calendar_text: str) -> str:
    """A calendar's text with every «unconfirmed» mark and its figures label removed: what it would be once the
    OPLE confirmed every value (so its documents are no PROYECTO). For tests of the confirmed path only."""
    lines = []
    for line in calendar_text.splitlines(keepends=True):
        stripped = line.strip()
        if stripped.startswith(("unconfirmed:", "figures_label:")):
            continue
        lines.append(line.replace(", unconfirmed: true}", "}"))
    return with_document_texts("".join(lines))


# What an OPLE states in its calendar's ``documents`` section for the convocatoria and protocolo to be complete
# (test values, not Durango's: only the shape matters).
DOCUMENT_TEXTS = """\
  convocatoria_acuerdo: IEPC/CG999/2021, aprobado en sesión de prueba
  legal_articles: [Artículos de prueba de la constitución y la ley electoral del estado]
  minimum_ages: {gubernatura: 30 años, ayuntamiento: 21 años, diputacion: 21 años}
  separation_posts: [Cargo público de prueba]
  separation_term: noventa días antes de la elección
  correction_term: dentro de las cuarenta y ocho horas siguientes a la notificación
  constancia_date: el día de prueba
  spending_limits: {gubernatura: $1.00 (prueba), ayuntamiento: $1.00 (prueba), diputacion: $1.00 (prueba)}
  spending_limits_acuerdo: el acuerdo de topes de prueba
  report_deadline: dentro de los treinta días de prueba
  official_gazette: Periódico Oficial de prueba
  ine_lineamientos: el acuerdo INE de prueba
  training: en fechas de prueba
  portal_url: https://portal.invalid
  device_requirements: [Dispositivo de prueba]
  support_contact: mesa de ayuda de prueba
  privacy_legal_basis: ley estatal de prueba
  privacy_contact: unidad de prueba
  privacy_retention: plazo de prueba
"""


def with_document_texts(calendar_text: str) -> str:
    """A calendar's text with every value the documents need from the OPLE (``DOCUMENT_TEXTS``) and the OPLE's
    address: what lets a confirmed calendar make documents that are no PROYECTO."""
    text = calendar_text.replace("  ople:\n", "  ople:\n    address: Domicilio de prueba\n", 1)
    if "\ndocuments:\n" in text:
        return text.replace("\ndocuments:\n", "\ndocuments:\n" + DOCUMENT_TEXTS, 1)
    return text.rstrip("\n") + "\ndocuments:\n" + DOCUMENT_TEXTS
