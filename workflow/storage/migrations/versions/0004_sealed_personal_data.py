"""Personal data sealed at rest: captures and gestores keep keyed hashes of their identifiers and one sealed value,
never the values in clear. Rows stored before this revision are sealed here, with the capture key.

The format is the one of ``workflow.captures.personal`` (written out here so this revision never changes with it):
canonical JSON (sorted keys, no spaces, UTF-8) sealed with AES-256-GCM, associated data ``capture:{capture_id}``
or ``gestor:{process_id}:{clave_lookup}``; lookups are ``Keyring.lookup`` (HMAC-SHA256, hex).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import context, op

from workflow.errors import DomainError, ErrorKind
from workflow.storage.keys import Keyring

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

CLEAR_TYPES = {
    "clave_elector": sa.String(length=18),
    "ocr": sa.String(length=13),
    "cic": sa.String(length=9),
    "numero_emision": sa.String(length=2),
    "nombre": sa.String(),
    "apellido_paterno": sa.String(),
    "apellido_materno": sa.String(),
}
BATCH = 1000


def _canonical(values: dict[str, Any]) -> bytes:
    return json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _keyring(bind: sa.Connection) -> Keyring | None:
    """The capture key, required only when there are stored rows to seal or unseal."""
    keyring: Keyring | None = context.config.attributes.get("keyring")
    if keyring is None:
        rows = sum(
            bind.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one() for table in ("capture", "gestor")
        )
        if rows:
            raise DomainError(
                ErrorKind.unavailable,
                "la migración 0004 cifra los datos personales ya guardados (capturas y gestores) y necesita la clave "
                "de capturas: configure CONVOCA_CAPTURE_KEY o restituya el archivo keys/captures.key de la carpeta "
                "de datos, y vuelva a intentarlo; no se modificó nada",
            )
    return keyring


def _batches(bind: sa.Connection, query: str) -> Any:
    """Rows of ``query`` (which takes ``:last`` and orders by id) in batches, so a large table never sits in memory."""
    last = 0
    while rows := bind.execute(sa.text(query), {"last": last, "n": BATCH}).mappings().all():
        yield rows
        last = rows[-1]["id"]


def upgrade() -> None:
    bind = op.get_bind()
    keyring = _keyring(bind)
    if bind.dialect.name == "sqlite":
        # The clear values' pages are zeroed when freed, not left in the file (PostgreSQL: VACUUM FULL, README).
        bind.execute(sa.text("PRAGMA secure_delete = ON"))
    with op.batch_alter_table("capture") as batch_op:
        batch_op.add_column(sa.Column("clave_lookup", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("ocr_lookup", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("cic_lookup", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("personal", sa.LargeBinary(), nullable=True))
    with op.batch_alter_table("gestor") as batch_op:
        batch_op.add_column(sa.Column("clave_lookup", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("personal", sa.LargeBinary(), nullable=True))

    if keyring is not None:
        columns = ", ".join(CLEAR_TYPES)
        query = f"SELECT id, capture_id, {columns} FROM capture WHERE id > :last ORDER BY id LIMIT :n"
        for rows in _batches(bind, query):
            bind.execute(
                sa.text(
                    "UPDATE capture SET clave_lookup = :clave, ocr_lookup = :ocr, cic_lookup = :cic, "
                    "personal = :personal WHERE id = :id"
                ),
                [
                    {
                        "id": r["id"],
                        "clave": keyring.lookup(r["clave_elector"]),
                        "ocr": keyring.lookup(r["ocr"]),
                        "cic": keyring.lookup(r["cic"]) if r["cic"] is not None else None,
                        "personal": keyring.seal(
                            _canonical({k: r[k] for k in CLEAR_TYPES}), f"capture:{r['capture_id']}".encode()
                        ),
                    }
                    for r in rows
                ],
            )
        query = "SELECT id, process_id, clave_elector FROM gestor WHERE id > :last ORDER BY id LIMIT :n"
        for rows in _batches(bind, query):
            params = []
            for r in rows:
                lookup = keyring.lookup(r["clave_elector"])
                context_ = f"gestor:{r['process_id']}:{lookup}".encode()
                sealed = keyring.seal(_canonical({"clave_elector": r["clave_elector"]}), context_)
                params.append({"id": r["id"], "lookup": lookup, "personal": sealed})
            bind.execute(
                sa.text("UPDATE gestor SET clave_lookup = :lookup, personal = :personal WHERE id = :id"), params
            )

    with op.batch_alter_table("capture") as batch_op:
        batch_op.drop_index("ix_capture_clave_elector")
        for name in CLEAR_TYPES:
            batch_op.drop_column(name)
        batch_op.alter_column("clave_lookup", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("ocr_lookup", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("personal", existing_type=sa.LargeBinary(), nullable=False)
        batch_op.create_index("ix_capture_clave_lookup", ["clave_lookup"], unique=False)
    with op.batch_alter_table("gestor") as batch_op:
        batch_op.drop_constraint("uq_gestor_person", type_="unique")
        batch_op.drop_column("clave_elector")
        batch_op.alter_column("clave_lookup", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("personal", existing_type=sa.LargeBinary(), nullable=False)
        batch_op.create_unique_constraint("uq_gestor_person", ["process_id", "clave_lookup"])


def downgrade() -> None:
    """Back to clear columns: unseals every row, so it needs the key as well."""
    bind = op.get_bind()
    keyring = _keyring(bind)
    with op.batch_alter_table("capture") as batch_op:
        for name, type_ in CLEAR_TYPES.items():
            batch_op.add_column(sa.Column(name, type_, nullable=True))
    with op.batch_alter_table("gestor") as batch_op:
        batch_op.add_column(sa.Column("clave_elector", sa.String(length=18), nullable=True))

    if keyring is not None:
        query = "SELECT id, capture_id, personal FROM capture WHERE id > :last ORDER BY id LIMIT :n"
        assignments = ", ".join(f"{k} = :{k}" for k in CLEAR_TYPES)
        for rows in _batches(bind, query):
            params = [
                {"id": r["id"], **json.loads(keyring.unseal(r["personal"], f"capture:{r['capture_id']}".encode()))}
                for r in rows
            ]
            bind.execute(sa.text(f"UPDATE capture SET {assignments} WHERE id = :id"), params)
        query = "SELECT id, process_id, clave_lookup, personal FROM gestor WHERE id > :last ORDER BY id LIMIT :n"
        for rows in _batches(bind, query):
            params = []
            for r in rows:
                context_ = f"gestor:{r['process_id']}:{r['clave_lookup']}".encode()
                params.append({"id": r["id"], **json.loads(keyring.unseal(r["personal"], context_))})
            bind.execute(sa.text("UPDATE gestor SET clave_elector = :clave_elector WHERE id = :id"), params)

    with op.batch_alter_table("capture") as batch_op:
        batch_op.drop_index("ix_capture_clave_lookup")
        for name in ("clave_lookup", "ocr_lookup", "cic_lookup", "personal"):
            batch_op.drop_column(name)
        for name in ("clave_elector", "ocr", "nombre", "apellido_paterno"):
            batch_op.alter_column(name, existing_type=CLEAR_TYPES[name], nullable=False)
        batch_op.create_index("ix_capture_clave_elector", ["clave_elector"], unique=False)
    with op.batch_alter_table("gestor") as batch_op:
        batch_op.drop_constraint("uq_gestor_person", type_="unique")
        batch_op.drop_column("personal")
        batch_op.drop_column("clave_lookup")
        batch_op.alter_column("clave_elector", existing_type=sa.String(length=18), nullable=False)
        batch_op.create_unique_constraint("uq_gestor_person", ["process_id", "clave_elector"])
