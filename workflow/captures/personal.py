"""A supporter's personal data, sealed at rest: the capture row keeps keyed hashes of the identifiers (to find and
join them) and one sealed value with all of them; reading them back takes the key.

The sealed value is the canonical JSON of ``PersonalData`` (sorted keys, no spaces, UTF-8) under AES-256-GCM with
``capture:{capture_id}`` as associated data, so a value copied into another row does not open. Migration 0004
writes the same format for captures stored before it: change both together, or never.
"""

from __future__ import annotations

import json

from pydantic import BaseModel

from workflow.storage.keys import Keyring


class PersonalData(BaseModel):
    """What identifies a supporter: only for the roles that must read it (the review desk), never on a public
    route or in a log."""

    clave_elector: str
    ocr: str
    cic: str | None
    numero_emision: str | None
    nombre: str
    apellido_paterno: str
    apellido_materno: str | None


def canonical(values: dict[str, str | None]) -> bytes:
    return json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def capture_context(capture_id: str) -> bytes:
    return f"capture:{capture_id}".encode()


def seal_personal(keyring: Keyring, capture_id: str, data: PersonalData) -> bytes:
    return keyring.seal(canonical(data.model_dump()), capture_context(capture_id))


def unseal_personal(keyring: Keyring, capture_id: str, sealed: bytes) -> PersonalData:
    return PersonalData.model_validate_json(keyring.unseal(sealed, capture_context(capture_id)))


def gestor_context(process_id: str, clave_lookup: str) -> bytes:
    """A gestor's sealed clave is bound to its process and keyed hash (its row id does not exist before insert)."""
    return f"gestor:{process_id}:{clave_lookup}".encode()


def seal_gestor_clave(keyring: Keyring, process_id: str, clave_elector: str) -> tuple[str, bytes]:
    """(keyed hash, sealed value) of a gestor's clave de elector."""
    lookup = keyring.lookup(clave_elector)
    return lookup, keyring.seal(canonical({"clave_elector": clave_elector}), gestor_context(process_id, lookup))


def unseal_gestor_clave(keyring: Keyring, process_id: str, clave_lookup: str, sealed: bytes) -> str:
    return str(json.loads(keyring.unseal(sealed, gestor_context(process_id, clave_lookup)))["clave_elector"])
