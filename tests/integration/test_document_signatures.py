"""PAdES signatures: a stored convocatoria signed with a throwaway PKCS#12 made here verifies, stays PDF/A, shows
in the document list, and a one-byte change (or anything appended) is detected by `convoca documents verify`."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pikepdf
import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from convoca.cli import main
from convoca.runtime import build, settings_for
from convoca.settings import get_settings
from tests.helpers import confirmed, utc
from tests.integration.api_server import start_server
from workflow.clock import FixedClock
from workflow.documents.actions import register_document_actions
from workflow.documents.render import DocumentRenderer
from workflow.documents.service import DocumentService
from workflow.documents.signing import open_identity, verify
from workflow.engine.registry import ActionContext, ActionRegistry
from workflow.engine.store import CalendarStore
from workflow.errors import DomainError
from workflow.participants.service import Role
from workflow.storage.db import Database
from workflow.storage.files import BlobStore

ROOT = Path(__file__).resolve().parents[2]
DURANGO = ROOT / "calendars" / "durango-2021-2022.yaml"
PASSPHRASE = b"contrasena-de-prueba"


def _certificate(
    cn: str, key: rsa.RSAPrivateKey, issuer: x509.Certificate | None, issuer_key: rsa.RSAPrivateKey | None
):
    now = datetime.now(UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    ca = issuer is None
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.subject if issuer else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(not ca, not ca, False, False, False, ca, ca, False, False), critical=True)
        .sign(issuer_key or key, hashes.SHA256())
    )


@pytest.fixture(scope="module")
def credentials() -> tuple[bytes, bytes]:
    """A throwaway authority and a signatory's PKCS#12 issued by it (as the SAT issues the e.firma)."""
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = _certificate("Autoridad certificadora de prueba", ca_key, None, None)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = _certificate("Karen Flores Maciel", key, ca, ca_key)
    p12 = pkcs12.serialize_key_and_certificates(
        b"firma", key, cert, [ca], serialization.BestAvailableEncryption(PASSPHRASE)
    )
    return p12, ca.public_bytes(serialization.Encoding.PEM)


@pytest.fixture
def service(db: Database, tmp_path: Path) -> DocumentService:
    store = CalendarStore(db)
    store.apply(confirmed(DURANGO.read_text()), file="d.yaml", author="s", reason="r", now=utc("2021-08-25T17:00Z"))
    return DocumentService(db, store, BlobStore(tmp_path / "files"), DocumentRenderer(DURANGO.parent))


@pytest.mark.slow
def test_signed_convocatoria_verifies_stays_pdfa_and_a_byte_change_is_detected(
    service: DocumentService, credentials: tuple[bytes, bytes], tmp_path: Path
) -> None:
    p12, root = credentials
    version, _ = service.generate("durango-2021-2022", "convocatoria", utc("2021-11-01T06:00:00Z"), publish=True)
    assert version.id is not None
    with pytest.raises(DomainError):
        open_identity(p12, b"otra")  # a wrong passphrase opens nothing
    row = service.sign(version.id, open_identity(p12, PASSPHRASE))
    signed = service.signed_pdf(row)
    assert "Karen Flores Maciel" in row.signer and row.signed_at.tzinfo is not None
    unsigned = service.pdf(version)
    assert signed[: len(unsigned)] == unsigned  # an incremental update: what was signed is the stored version
    with pikepdf.open(io.BytesIO(signed)) as pdf:
        meta = pdf.open_metadata(set_pikepdf_as_editor=False)
        assert (meta.get("pdfaid:part"), meta.get("pdfaid:conformance")) == ("3", "B")
        assert str(pdf.Root.Lang) == "es-MX"
    (check,) = verify(signed, [root])
    assert check.ok and check.intact and check.whole_file and check.trusted
    (check,) = verify(signed)
    assert check.ok and check.trusted is None  # integrity only without a trust root
    # One byte changed inside the signed range: detected.
    tampered = bytearray(signed)
    tampered[len(unsigned) // 2] ^= 0x01
    (check,) = verify(bytes(tampered), [root])
    assert not check.ok and not check.intact
    # Anything appended after the signature: detected too.
    (check,) = verify(signed + b"\n% added after signing\n", [root])
    assert not check.ok and not check.whole_file

    # The CLI: verify a downloaded copy, and the list says who signed and when.
    runner = CliRunner()
    good, bad = tmp_path / "firmado.pdf", tmp_path / "alterado.pdf"
    good.write_bytes(signed)
    bad.write_bytes(bytes(tampered))
    (tmp_path / "raiz.pem").write_bytes(root)
    ok = runner.invoke(main, ["documents", "verify", str(good), "--trust", str(tmp_path / "raiz.pem")])
    assert ok.exit_code == 0 and "firma VÁLIDA de Common Name: Karen Flores Maciel" in ok.output, ok.output
    broken = runner.invoke(main, ["documents", "verify", str(bad)])
    assert broken.exit_code == 1 and "el contenido firmado fue alterado" in broken.output, broken.output
    unsigned_file = tmp_path / "sin-firma.pdf"
    unsigned_file.write_bytes(unsigned)
    assert runner.invoke(main, ["documents", "verify", str(unsigned_file)]).exit_code == 1
    listed = service.signatures("durango-2021-2022")  # what `convoca documents list` prints under the version
    assert [(s.signer, s.signed_at, s.sha256) for s in listed[version.id]] == [(row.signer, row.signed_at, row.sha256)]


# -- signing at publication (CONVOCA_SIGNING_P12) --------------------------------------------------------------


def _publish_action(service: DocumentService, now: datetime) -> dict:
    """The engine's ``publish`` action as the engine fires it at the convocatoria's start."""
    registry = ActionRegistry()
    register_document_actions(registry, service)
    store = service.calendars
    active = store.active("durango-2021-2022")
    action = registry.get("publish")
    assert action is not None
    ctx = ActionContext(
        process_id="durango-2021-2022",
        calendar=active.calendar,
        calendar_version=active.version.number,
        phase=active.calendar.phases[0],
        edge="start",
        scheduled_at=now,
        now=now,
        params={"documents": ["convocatoria"]},
        idempotency_key="durango-2021-2022:convocatoria:start:publish",
    )
    return action(ctx) or {}


@pytest.mark.slow
def test_the_engine_publication_signs_each_document_once(
    service: DocumentService, credentials: tuple[bytes, bytes]
) -> None:
    p12, root = credentials
    now = utc("2021-11-01T06:00:00Z")
    version, _ = service.generate("durango-2021-2022", "convocatoria", now)
    assert version.id is not None
    _publish_action(service, now)
    assert service.signatures("durango-2021-2022") == {}  # without a signing identity nothing changes
    service.identity = open_identity(p12, PASSPHRASE)
    assert "contrasena" not in repr(service.identity) and "signer=" not in repr(service.identity)
    _publish_action(service, now)  # the already-published version is signed now (a retry after a crash does this)
    _publish_action(service, now + timedelta(minutes=1))  # and a retry signs nothing more
    service.publish("durango-2021-2022", None, now + timedelta(minutes=2))
    (row,) = service.signatures("durango-2021-2022")[version.id]
    assert row.signer == "Karen Flores Maciel"  # the certificate's common name, nothing more of its subject
    (check,) = verify(service.signed_pdf(row), [root])
    assert check.ok and check.trusted and check.signer == "Common Name: Karen Flores Maciel"
    assert service.latest_signature(version) == row


@pytest.mark.slow
def test_a_co_signatory_signs_the_signed_file_and_both_verify(
    service: DocumentService, credentials: tuple[bytes, bytes]
) -> None:
    p12, root = credentials
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = _certificate("Segunda autoridad de prueba", ca_key, None, None)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other = pkcs12.serialize_key_and_certificates(
        b"firma", key, _certificate("Roberto Herrera Hernández", key, ca, ca_key), [ca], serialization.NoEncryption()
    )
    version, _ = service.generate("durango-2021-2022", "convocatoria", utc("2021-11-01T06:00:00Z"), publish=True)
    assert version.id is not None
    first = service.sign(version.id, open_identity(p12, PASSPHRASE))
    second = service.sign(version.id, open_identity(other, None))
    assert service.sign(version.id, open_identity(other, None)) == second  # one signature per certificate
    both = service.signed_pdf(second)
    assert both[: first.size] == service.signed_pdf(first)  # the second signs the first's file
    checks = verify(both, [root, ca.public_bytes(serialization.Encoding.PEM)])
    assert [c.signer for c in checks] == ["Common Name: Karen Flores Maciel", "Common Name: Roberto Herrera Hernández"]
    assert all(c.ok for c in checks), checks
    assert not any(c.whole_file for c in verify(both + b"\n% added\n"))


@pytest.mark.slow
def test_documents_publish_signs_with_the_configured_identity(
    credentials: tuple[bytes, bytes], tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    p12, _ = credentials
    (tmp_path / "firma.p12").write_bytes(p12)
    (tmp_path / "contrasena").write_bytes(PASSPHRASE + b"\n")
    monkeypatch.setenv("CONVOCA_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CONVOCA_SIGNING_P12", str(tmp_path / "firma.p12"))
    monkeypatch.setenv("CONVOCA_SIGNING_PASSPHRASE_FILE", str(tmp_path / "contrasena"))
    get_settings.cache_clear()
    try:
        runtime = build(FixedClock(utc("2021-11-01T06:00:00Z")), settings_for(sqlite_url))
        docs = runtime.services.documents
        docs.calendars.apply(
            confirmed(DURANGO.read_text()), file="d.yaml", author="s", reason="r", now=utc("2021-08-25T17:00Z")
        )
        docs.generate("durango-2021-2022", "convocatoria", utc("2021-11-01T06:00:00Z"))
        runtime.close()
        args = ["documents", "publish", "durango-2021-2022", "--doc", "convocatoria", "--database", sqlite_url]
        args += ["--clock", "fixed", "--at", "2021-11-01T07:00:00Z"]
        runner = CliRunner()
        first = runner.invoke(main, args)
        assert first.exit_code == 0, first.output
        # Signed when the key really signed (the signature's own time, in the process's zone), not the clock's.
        assert re.search(
            r"convocatoria v1 publicado; firmado por Karen Flores Maciel el \d{4}-\d\d-\d\d \d\d:\d\d C", first.output
        ), first.output
        again = runner.invoke(main, args)
        assert again.exit_code == 0 and again.output.count("firmado por") == 1, again.output
        listed = runner.invoke(main, ["documents", "list", "durango-2021-2022", "--database", sqlite_url])
        assert listed.output.count("firmado por Karen Flores Maciel") == 1, listed.output
        assert PASSPHRASE.decode() not in first.output + again.output + listed.output
        # A wrong passphrase stops every command at start-up, saying which setting is wrong.
        (tmp_path / "contrasena").write_bytes(b"otra\n")
        get_settings.cache_clear()
        wrong = runner.invoke(main, args)
        assert wrong.exit_code != 0 and "CONVOCA_SIGNING_P12" in str(wrong.exception)
        assert "la contraseña no corresponde" in str(wrong.exception)
    finally:
        get_settings.cache_clear()


@pytest.mark.slow
def test_download_serves_the_signed_pdf_and_the_lists_show_who_signed_and_when(
    credentials: tuple[bytes, bytes], tmp_path: Path
) -> None:
    p12, root = credentials
    calendars = tmp_path / "calendarios"
    calendars.mkdir()
    (calendars / DURANGO.name).write_text(confirmed(DURANGO.read_text()))
    api = start_server(tmp_path / "var", utc("2021-11-01T16:00:00Z"), calendars_dir=calendars)
    try:
        docs = api.services.documents
        docs.identity = open_identity(p12, PASSPHRASE)  # what CONVOCA_SIGNING_P12 configures at start-up
        version, _ = docs.generate("durango-2021-2022", "convocatoria", api.clock.now())
        admin = api.services.participants.issue_token(Role.admin, api.clock.now(), label="t").token
        with api.client(admin) as c:
            published = c.post("/processes/durango-2021-2022/documents/convocatoria/publish", json={})
            listed = c.get("/processes/durango-2021-2022/documents").json()
            download = c.get(f"/documents/{version.id}")
            latest = c.get("/processes/durango-2021-2022/documents/convocatoria")
        page = httpx.get(f"{api.url}/procesos/durango-2021-2022/documentos", timeout=30).text
    finally:
        api.stop()
    assert published.status_code == 200, published.text
    (signature,) = published.json()["signatures"]
    assert listed[0]["signatures"] == [signature]
    assert signature["signer"] == "Karen Flores Maciel"
    assert signature["signed_at"].endswith("-06:00") and signature["signed_local"].endswith(" CST")  # local time
    body = download.content
    assert download.status_code == 200 and latest.content == body
    assert hashlib.sha256(body).hexdigest() == download.headers["x-content-sha256"] == signature["sha256"]
    assert (
        download.headers["etag"] == f'"{signature["sha256"]}"'
        and "-firmado.pdf" in download.headers["content-disposition"]
    )
    assert listed[0]["sha256"] == version.sha256 and body[: version.size] == docs.pdf(version)
    (check,) = verify(body, [root])
    assert check.ok and check.trusted
    assert f"Firmado por</dt><dd>Karen Flores Maciel, el {signature['signed_local']}" in page
    assert signature["sha256"] in page and version.sha256 in page and "Descargar PDF firmado" in page
