"""Digital signatures of the official documents: PAdES (ETSI EN 319 142) with the signatory's certificate and key
in a PKCS#12 file, as Mexico's e.firma is distributed, using pyHanko.

The signature is an incremental update: the signed document keeps its PDF/A identification and its bytes up to
the signature, so the unsigned version's SHA-256 still identifies what was signed (the first ``signed_prefix``
bytes). ``verify`` checks a downloaded copy offline: the signature is intact, covers the whole file and, if trust
roots are given, chains to one of them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

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
    whole_file: bool  # nothing was added after the signature but later signatures
    trusted: bool | None  # chains to a given trust root; None when none was given

    @property
    def ok(self) -> bool:
        return self.intact and self.whole_file and self.trusted is not False


def _subject(cert: object) -> str:
    return str(cert.subject.human_friendly)  # type: ignore[attr-defined]


def signer_name(cert: object) -> str:
    """Who signs, as the document list shows it: the certificate's common name. An e.firma's subject also carries
    the signatory's CURP and RFC, personal data a public list must not show."""
    name = cert.subject.native.get("common_name")  # type: ignore[attr-defined]
    if isinstance(name, list):  # a repeated attribute
        name = " ".join(name)
    return str(name) if name else "(certificado sin nombre común)"


@dataclass(frozen=True)
class SigningIdentity:
    """A signatory's certificate and private key, opened once from their PKCS#12. The key stays in memory and is
    never printed (``repr`` leaves it out); ``name`` and ``certificate_sha256`` say who signs."""

    signer: Any = field(repr=False)  # pyHanko's SimpleSigner
    name: str
    certificate_sha256: str


def open_identity(pkcs12: bytes, passphrase: bytes | None) -> SigningIdentity:
    """The identity in ``pkcs12``. Refuses a wrong passphrase or a file without a key."""
    from pyhanko.sign import signers

    try:
        signer = signers.SimpleSigner.load_pkcs12_data(pkcs12, other_certs=(), passphrase=passphrase)
    except (ValueError, TypeError):
        raise DomainError(
            ErrorKind.invalid,
            "no se pudo abrir el archivo PKCS#12: la contraseña no corresponde o el archivo está dañado",
        ) from None
    if signer is None or signer.signing_cert is None:
        raise DomainError(ErrorKind.invalid, "el archivo PKCS#12 no contiene un certificado con su llave privada")
    cert = signer.signing_cert
    return SigningIdentity(signer, signer_name(cert), cert.sha256.hex())


def sign(pdf: bytes, identity: SigningIdentity, *, reason: str, location: str) -> SignedPdf:
    """Sign ``pdf`` as ``identity``; a ``pdf`` already signed gets one more signature (each its own field), so
    co-signatories sign one file. ``signed_at`` is the signing time the signature itself states."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign import fields, signers

    earlier = len(PdfFileReader(io.BytesIO(pdf)).embedded_signatures)
    meta = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD if not earlier else f"{SIGNATURE_FIELD}{earlier + 1}",
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    out = signers.sign_pdf(writer, meta, signer=identity.signer).getvalue()
    # pyHanko stamps the time on its own; the row records the one the signature states.
    signed_at = PdfFileReader(io.BytesIO(out)).embedded_signatures[-1].self_reported_timestamp
    if signed_at is None:  # pyHanko always writes the signing time; a signature without one is a bug here
        raise RuntimeError("la firma no indica su fecha")
    return SignedPdf(pdf=out, signer=identity.name, certificate_sha256=identity.certificate_sha256, signed_at=signed_at)


def verify(pdf: bytes, trust_roots: list[bytes] | None = None) -> list[SignatureCheck]:
    """Every signature of ``pdf`` checked offline (no certificate fetching). ``trust_roots``: DER or PEM
    certificates the signer must chain to; without them, integrity only (``trusted`` is None)."""
    from asn1crypto import pem, x509  # type: ignore[import-untyped]
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.diff_analysis import ModificationLevel
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
    for n, sig in enumerate(embedded, start=1):
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
                # The last signature covers the whole file; an earlier one, its revision followed only by
                # later signatures (a co-signatory's), which pyHanko's diff analysis tells from other changes.
                whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE
                or (
                    n < len(embedded)
                    and status.coverage == SignatureCoverageLevel.ENTIRE_REVISION
                    and status.modification_level is not None
                    and status.modification_level <= ModificationLevel.FORM_FILLING
                ),
                trusted=bool(status.trusted) if roots else None,
            )
        )
    if checks and not checks[-1].whole_file:  # something follows the last signature: it follows every one
        checks = [replace(c, whole_file=False) for c in checks]
    return checks


def read_pkcs12(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise DomainError(ErrorKind.invalid, f"no se pudo leer {path}: {exc.strerror}") from None
