"""The engine actions that produce and publish documents. Registered at start-up by the wiring (convoca.runtime)."""

from __future__ import annotations

from typing import Any

from workflow.engine.registry import ActionContext, ActionRegistry

from .context import DOCUMENT_KINDS, family_of
from .service import DocumentService


def _kinds(ctx: ActionContext) -> list[str]:
    """The calendar documents to generate. A dictamen is never generated here: it needs a verification run, and
    the verification generates it."""
    kinds = ctx.params.get("documents") or list(DOCUMENT_KINDS)
    supplemented = [k for k in kinds if k not in DOCUMENT_KINDS and family_of(k) is not None]
    if supplemented:
        raise ValueError(
            f"{', '.join(supplemented)}: se genera al terminar la verificación, no desde el calendario; "
            f"documentos del calendario: {', '.join(DOCUMENT_KINDS)}"
        )
    unknown = [k for k in kinds if k not in DOCUMENT_KINDS]
    if unknown:
        raise ValueError(f"documentos desconocidos: {', '.join(unknown)}; documentos: {', '.join(DOCUMENT_KINDS)}")
    return list(kinds)


def register_document_actions(registry: ActionRegistry, service: DocumentService) -> None:
    def generate_documents(ctx: ActionContext) -> dict[str, Any]:
        out = {}
        for kind in _kinds(ctx):
            version, created = service.generate(ctx.process_id, kind, ctx.now)
            out[kind] = {"version": version.number, "sha256": version.sha256, "new": created}
        return out

    def publish(ctx: ActionContext) -> dict[str, Any]:
        kinds = ctx.params.get("documents")
        published = service.publish(ctx.process_id, kinds, ctx.now)
        return {v.kind: v.number for v in published}

    def refresh_documents(ctx: ActionContext) -> dict[str, Any]:
        return {v.kind: v.number for v in service.refresh(ctx.process_id, ctx.now)}

    registry.register("generate_documents", generate_documents)
    registry.register("publish", publish)
    registry.register("refresh_documents", refresh_documents, on_amendment=True)
