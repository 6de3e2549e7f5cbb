"""Assembly at the edge: the database, the action registry and the engine, for every command and server."""

from __future__ import annotations

from datetime import timedelta

from capture_api.services import Services
from convoca.blobs import BlobStore, SealedBlobStore, load_or_create_key
from convoca.db import Database
from convoca.settings import Settings, get_settings
from workflow.captures.actions import register_capture_actions
from workflow.captures.service import CaptureService
from workflow.clock import Clock
from workflow.documents.actions import register_document_actions
from workflow.documents.render import DocumentRenderer
from workflow.documents.service import DocumentService
from workflow.engine.engine import Engine
from workflow.engine.registry import ActionRegistry
from workflow.engine.store import CalendarStore
from workflow.participants.service import Participants


def open_database(url: str | None = None, settings: Settings | None = None) -> Database:
    settings = settings or get_settings()
    db = Database(url or settings.resolved_database_url)
    db.create_all()
    return db


def document_service(
    db: Database, settings: Settings | None = None, store: CalendarStore | None = None
) -> DocumentService:
    settings = settings or get_settings()
    return DocumentService(
        db, store or CalendarStore(db), BlobStore(settings.data_dir / "files"), DocumentRenderer(settings.calendars_dir)
    )


def build_registry(services: Services) -> ActionRegistry:
    """Every action this installation provides. Packages add theirs here as they are built."""
    registry = ActionRegistry()
    register_document_actions(registry, services.documents)
    register_capture_actions(registry, services.db)
    return registry


def build_engine(services: Services, settings: Settings | None = None) -> Engine:
    settings = settings or get_settings()
    return Engine(
        services.db,
        build_registry(services),
        store=services.calendars,
        late_tolerance=timedelta(seconds=settings.late_tolerance_seconds),
        lease=timedelta(seconds=settings.action_lease_seconds),
        rate=services.clock.rate,
    )


def build_services(
    db: Database, clock: Clock, settings: Settings | None = None, store: CalendarStore | None = None
) -> Services:
    """The domain services behind the HTTP API."""
    settings = settings or get_settings()
    store = store or CalendarStore(db)
    participants = Participants(db, store)
    store.amendment_checks.append(participants.amendment_problems)
    return Services(
        db=db,
        clock=clock,
        calendars=store,
        documents=document_service(db, settings, store),
        participants=participants,
        captures=CaptureService(
            db,
            store,
            SealedBlobStore(
                settings.data_dir / "captures",
                load_or_create_key(settings.data_dir / "keys" / "captures.key", settings.capture_key),
            ),
        ),
    )
