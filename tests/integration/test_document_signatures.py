"""PAdES signatures: a stored convocatoria signed with a throwaway PKCS#12 made here verifies, stays PDF/A, shows
in the document list, and a one-byte change (or anything appended) is detected by `convoca documents verify`."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pikepdf
import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from convoca.cli import main
from tests.helpers import confirmed, utc
from workflow.documents.render import DocumentRenderer
from workflow.documents.service import DocumentService
from workflow.documents.signing import verify
from workflow.engine.store import CalendarStore
from workflow.errors import DomainError
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
        service.sign(version.id, p12, b"otra")  # a wrong passphrase signs nothing
    row = service.sign(version.id, p12, PASSPHRASE)
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
