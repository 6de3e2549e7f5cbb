"""Published official documents, for anyone to download; each stored version stays available."""

from __future__ import annotations

from datetime import UTC
from typing import Annotated
from zoneinfo import ZoneInfo

from litestar import Controller, HttpMethod, Request, Response, get, post, route
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from workflow.calendar.localtime import format_local
from workflow.documents.context import DOCUMENT_KINDS, family_of, known_kinds
from workflow.documents.records import DocumentSignature, DocumentVersion
from workflow.documents.service import ForcedPublication
from workflow.errors import Detail, DomainError, ErrorKind
from workflow.participants.service import Role

from ..auth import SECURITY, requires
from ..errors import documented, not_found
from ..schemas import DocumentOut, ProcessId, PublishIn, RowId, SignatureOut
from ..services import Services

# A document in a sentence, with the agreement it asks: «la convocatoria … publicada», «el protocolo … publicado»;
# a dictamen by its kind: «el documento «dictamen-gubernatura»».
NAMED = {"convocatoria": ("la convocatoria", "publicada"), "protocolo": ("el protocolo", "publicado")}


def signature_out(sig: DocumentSignature, tz: ZoneInfo) -> SignatureOut:
    signed_at = sig.signed_at if sig.signed_at.tzinfo else sig.signed_at.replace(tzinfo=UTC)  # SQLite: naive UTC
    return SignatureOut(
        signer=sig.signer,
        signed_at=signed_at.astimezone(tz),
        signed_local=format_local(signed_at, tz),
        sha256=sig.sha256,
        size=sig.size,
    )


def signatures_out(services: Services, process_id: str) -> dict[int, list[SignatureOut]]:
    """Who signed each version of a process and when (local time), by document id: for the API and the portal."""
    tz = services.calendars.active(process_id).calendar.tz
    return {
        doc: [signature_out(sig, tz) for sig in sigs] for doc, sigs in services.documents.signatures(process_id).items()
    }


def out(v: DocumentVersion, signatures: list[SignatureOut] | None = None) -> DocumentOut:
    return DocumentOut(
        id=v.id,
        kind=v.kind,
        number=v.number,
        title=v.title,
        calendar_version=v.calendar_version,
        sha256=v.sha256,
        size=v.size,
        generated_at=v.generated_at,
        published_at=v.published_at,
        url=f"/api/v1/documents/{v.id}",
        draft=v.draft,
        forced_reason=v.forced_reason,
        signatures=signatures or [],
    )


def not_modified(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 §13.1.2: ``*`` matches any current representation; otherwise the weak comparison (``W/"x"`` and
    ``"x"`` are the same tag) against each entity tag of the list."""
    if not if_none_match:
        return False
    tags = [t.strip() for t in if_none_match.split(",")]
    return "*" in tags or etag in (t.removeprefix("W/") for t in tags)


def pdf_response(services: Services, request: Request, v: DocumentVersion) -> Response:
    """The signed PDF when the version has a signature (the latest carries every co-signatory's), else the
    unsigned one. ``ETag`` and ``X-Content-SHA256`` name the bytes served."""
    signature = services.documents.latest_signature(v)
    sha256 = signature.sha256 if signature is not None else v.sha256
    etag = f'"{sha256}"'
    name = v.file_name.removesuffix(".pdf") + "-firmado.pdf" if signature is not None else v.file_name
    headers = {
        "ETag": etag,
        "X-Content-SHA256": sha256,
        "Cache-Control": "public, max-age=300",
        "Content-Disposition": f'attachment; filename="{name}"',
    }
    if not_modified(request.headers.get("if-none-match"), etag):
        return Response(b"", status_code=304, headers=headers)
    body = services.documents.signed_pdf(signature) if signature is not None else services.documents.pdf(v)
    return Response(body, media_type="application/pdf", headers=headers)


class DocumentController(Controller):
    tags = ["Documentos"]

    @get(
        "/processes/{process_id:str}/documents",
        summary="Versiones publicadas de los documentos de un proceso",
        responses=documented(400, 404),
        sync_to_thread=True,
    )
    def list_documents(self, services: NamedDependency[Services], process_id: ProcessId) -> list[DocumentOut]:
        services.calendars.active(process_id)  # 404 for a process that does not exist
        signatures = signatures_out(services, process_id)
        return [out(v, signatures.get(v.id or 0)) for v in services.documents.versions(process_id, published=True)]

    @route(
        "/processes/{process_id:str}/documents/{kind:str}",
        summary="PDF de un documento: la última versión publicada, u otra con ?version=N",
        media_type="application/pdf",
        http_method=[HttpMethod.GET, HttpMethod.HEAD],
        responses=documented(400, 404),
        sync_to_thread=True,
    )
    def latest_document(
        self,
        services: NamedDependency[Services],
        request: Request,
        process_id: ProcessId,
        kind: FromPath[str],
        version: Annotated[
            int | None, QueryParameter(ge=1, le=2**31, description="Número de versión; por omisión, la última.")
        ] = None,
    ) -> Response:
        services.calendars.active(process_id)  # 404 for a process that does not exist
        if family_of(kind) is None:
            raise not_found(f"no hay documento «{kind}»; documentos: {known_kinds()}")
        versions = [v for v in services.documents.versions(process_id, published=True) if v.kind == kind]
        chosen = (
            versions[-1] if versions and version is None else next((v for v in versions if v.number == version), None)
        )
        if chosen is None:
            named, published = NAMED.get(kind, (f"el documento «{kind}»", "publicado"))
            raise not_found(
                f"{named} de {process_id} aún no está {published}"
                if version is None
                else f"no existe la versión {version} publicada de {named}"
            )
        return pdf_response(services, request, chosen)

    @post(
        "/processes/{process_id:str}/documents/{kind:str}/publish",
        summary="Publicar la última versión de la convocatoria o del protocolo",
        description="Un PROYECTO (su calendario tiene valores sin confirmar) se rechaza con 409, salvo que una persona "
        "administradora lo fuerce con «force: true» y un «reason», que quedan registrados con la versión.",
        guards=[requires(Role.admin)],
        security=SECURITY,
        status_code=200,
        responses=documented(400, 401, 403, 404, 409, 422),
        sync_to_thread=True,
    )
    def publish_document(
        self,
        services: NamedDependency[Services],
        request: Request,
        process_id: ProcessId,
        kind: FromPath[str],
        data: JSONBody[PublishIn],
    ) -> DocumentOut:
        services.calendars.active(process_id)  # 404 for a process that does not exist
        if kind not in DOCUMENT_KINDS:
            raise not_found(f"no hay documento «{kind}» que publicar; documentos: {', '.join(DOCUMENT_KINDS)}")
        if data.force and not (data.reason or "").strip():
            raise DomainError(
                ErrorKind.invalid,
                "publicar un proyecto requiere el motivo («reason»), que queda registrado",
                details=[Detail("obligatorio con force", "reason")],
            )
        author = f"api:token-{request.state.principal.token_id}"
        forced = ForcedPublication(data.reason or "", author) if data.force else None
        (version,) = services.documents.publish(process_id, [kind], services.clock.now(), forced=forced) or (None,)
        if version is None:
            raise not_found(f"{NAMED[kind][0]} de {process_id} aún no se ha generado")
        return out(version, signatures_out(services, process_id).get(version.id or 0))

    @route(
        "/documents/{document_id:int}",
        summary="PDF de una versión de un documento",
        media_type="application/pdf",
        http_method=[HttpMethod.GET, HttpMethod.HEAD],
        responses=documented(400, 404),
        sync_to_thread=True,
    )
    def document(self, services: NamedDependency[Services], request: Request, document_id: RowId) -> Response:
        v = services.documents.get(document_id)
        if v is None or v.published_at is None:
            raise not_found(f"no existe el documento publicado {document_id}")
        return pdf_response(services, request, v)
