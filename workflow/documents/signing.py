"""Digital signatures of the official documents: PAdES (ETSI EN 319 142) with the signatory's certificate and key
in a PKCS#12 file, as Mexico's e.firma is distributed, using pyHanko.

The signature is an incremental update: the signed document keeps its PDF/A identification and its bytes up to
the signature, so the unsigned version's SHA-256 still identifies what was signed (the first ``signed_prefix``
bytes). ``verify`` checks a downloaded copy offline: the signature is intact, covers the whole file and, if trust
roots are given, chains to one of them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from workflow.errors import DomainError, ErrorKind

SIGNATURE_FIELD = "FirmaElectronica"


@dataclass(frozen=True)
class SignedPdf:
    pdf: bytes
    signer: str  # the certificate's subject, as people read it
    certificate_sha256: str
    signed_at: datetime


@dataclass(frozen=True)
class SignatureCheck:
    """What ``verify`` found in one signature."""

    field: str
    signer: str
    signed_at: datetime | None
    intact: bool  # the signed bytes are unchanged
    whole_file: bool  # nothing was added after the signature
    trusted: bool | None  # chains to a given trust root; None when none was given

    @property
    def ok(self) -> bool:
        return self.intact and self.whole_file and self.trusted is not False


def _subject(cert: object) -> str:
    return str(cert.subject.human_friendly)  # type: ignore[attr-defined]


def sign(pdf: bytes, pkcs12: bytes, passphrase: bytes | None, *, reason: str, location: str) -> SignedPdf:
    """Sign ``pdf`` with the key and certificate in ``pkcs12``. Refuses a wrong passphrase or a file without a key."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    try:
        signer = signers.SimpleSigner.load_pkcs12_data(pkcs12, other_certs=(), passphrase=passphrase)
    except (ValueError, TypeError) as exc:
        raise DomainError(ErrorKind.invalid, f"no se pudo abrir el archivo PKCS#12: {exc}") from None
    if signer is None or signer.signing_cert is None:
        raise DomainError(ErrorKind.invalid, "el archivo PKCS#12 no contiene un certificado con su llave privada")
    meta = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    out = signers.sign_pdf(writer, meta, signer=signer)
    cert = signer.signing_cert
    return SignedPdf(
        pdf=out.getvalue(),
        signer=_subject(cert),
        certificate_sha256=cert.sha256.hex(),
        signed_at=datetime.now(UTC),
    )


def verify(pdf: bytes, trust_roots: list[bytes] | None = None) -> list[SignatureCheck]:
    """Every signature of ``pdf`` checked offline (no certificate fetching). ``trust_roots``: DER or PEM
    certificates the signer must chain to; without them, integrity only (``trusted`` is None)."""
    from asn1crypto import pem, x509  # type: ignore[import-untyped]
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext
    from pyhanko_certvalidator.errors import ValidationError

    roots = []
    for data in trust_roots or []:
        der = pem.unarmor(data)[2] if pem.detect(data) else data
        roots.append(x509.Certificate.load(der))
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        embedded = list(reader.embedded_signatures)
    except Exception as exc:  # a damaged file is a failed check, not a crash
        raise DomainError(ErrorKind.invalid, f"el archivo no se puede leer como PDF firmado: {exc}") from None
    checks = []
    for sig in embedded:
        context = ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail")
        try:
            status = validate_pdf_signature(sig, context)
        except (SignatureValidationError, ValueError, ValidationError) as exc:
            checks.append(SignatureCheck(sig.field_name, str(exc), None, False, False, False if roots else None))
            continue
        checks.append(
            SignatureCheck(
                field=sig.field_name,
                signer=_subject(status.signing_cert),
                signed_at=status.signer_reported_dt,
                intact=bool(status.intact and status.valid),
                whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
                trusted=bool(status.trusted) if roots else None,
            )
        )
    return checks


def read_pkcs12(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise DomainError(ErrorKind.invalid, f"no se pudo leer {path}: {exc.strerror}") from None
