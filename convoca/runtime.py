"""The composition root: the one place that builds every service, for the server and for every command alike.

``build`` opens the database (bringing its schema up to date), then assembles the domain services, their rules
(e.g. the participants' amendment check, so no entry point can skip it), the actions the engine may fire and the
engine itself. Nothing else constructs a service.
"""

from __future__ import annotations

import itertools
import os
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import make_url

from capture_api.services import Services
from convoca.settings import Settings, get_settings
from verification.actions import register_verification_actions
from verification.audiencia import Audiencia
from verification.desk import ReviewDesk
from verification.distributed import Dask, in_process
from verification.progress import ProgressService
from verification.roll import RollStore
from verification.service import VerificationService
from verification.trail import Trail
from verification.triage_stage import TriageStage
from workflow.captures.actions import register_capture_actions
from workflow.captures.service import CaptureService
from workflow.clock import Clock, SystemClock
from workflow.documents.actions import register_document_actions
from workflow.documents.render import DocumentRenderer
from workflow.documents.service import DocumentService
from workflow.documents.signing import SigningIdentity, open_identity, read_pkcs12
from workflow.engine.engine import Engine
from workflow.engine.registry import ActionRegistry
from workflow.engine.store import CalendarStore
from workflow.errors import DomainError
from workflow.participants.service import Participants
from workflow.storage.db import Database
from workflow.storage.files import BlobStore, SealedBlobStore, configured_key, load_or_create_key
from workflow.storage.keys import Keyring
from workflow.storage.migrate import upgrade


@dataclass
class Runtime:
    settings: Settings
    services: Services
    engine: Engine

    def close(self) -> None:
        self.services.db.dispose()


def settings_for(database_url: str | None = None, settings: Settings | None = None) -> Settings:
    """The settings in force, with the database a command's ``--database`` option names, if any."""
    settings = settings or get_settings()
    return settings.model_copy(update={"database_url": database_url}) if database_url else settings


def private_data_dir(settings: Settings) -> None:
    """The data folder holds citizens' personal data: only its owner may enter it (0700), and the SQLite file,
    whose journal files SQLite creates with its mode, is 0600."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(settings.data_dir, 0o700)
    url = make_url(settings.resolved_database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        path = Path(url.database)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600, exist_ok=True)
        os.chmod(path, 0o600)


def open_database(settings: Settings) -> Database:
    private_data_dir(settings)
    db = Database(settings.resolved_database_url)
    upgrade(db, keyring=migration_keyring(settings))
    return db


def key_file(settings: Settings) -> Path:
    return settings.data_dir / "keys" / "captures.key"


def capture_key(settings: Settings) -> bytes | Callable[[], bytes]:
    """A configured key is checked now, so a wrong one stops the start-up instead of failing every capture; the
    key file is read (or created) when a capture first needs it, not by commands that never do."""
    if settings.capture_key:
        return configured_key(settings.capture_key)
    return lambda: load_or_create_key(key_file(settings))


def migration_keyring(settings: Settings) -> Keyring | None:
    """The key a migration may seal stored personal data with: only one that already exists. A new key made here
    would seal them under a key the captures' images do not share (e.g. `db upgrade --database` run from another
    data folder), so without one a migration that needs it refuses instead."""
    if settings.capture_key or key_file(settings).is_file():
        return Keyring(capture_key(settings))
    return None


def signing_identity(settings: Settings) -> SigningIdentity | None:
    """The signatory with which publication signs, opened now so that a wrong file or passphrase stops the start-up
    (``ValueError``, in Spanish) instead of failing every publication. The passphrase is read here and kept nowhere
    else; it is never part of the settings."""
    if settings.signing_p12 is None:
        return None
    try:
        if settings.signing_passphrase_file is not None:
            try:
                lines = settings.signing_passphrase_file.read_text(encoding="utf-8").splitlines()
            except OSError as exc:
                raise ValueError(f"no se pudo leer {settings.signing_passphrase_file}: {exc.strerror}") from None
            secret: str | None = lines[0] if lines else ""
        else:
            secret = os.environ.get(settings.signing_passphrase_env)
        return open_identity(read_pkcs12(settings.signing_p12), secret.encode() if secret is not None else None)
    except (DomainError, ValueError) as exc:
        raise ValueError(f"CONVOCA_SIGNING_P12 ({settings.signing_p12}): {getattr(exc, 'message', exc)}") from None


def crash_for_tests() -> Callable[[str], None]:
    """Test-only: ``CONVOCA_TEST_CRASH_AT=POINT:N`` makes this process SIGKILL itself the N-th time a capture reaches
    ``POINT`` (``images_written`` or ``committed``; see ``CaptureService.checkpoint``), so the crash tests hit the
    two instants that matter every time instead of by luck. Unset (always, outside those tests), it does nothing.
    Deliberately undocumented for users."""
    spec = os.environ.get("CONVOCA_TEST_CRASH_AT")
    if not spec:
        return lambda point: None
    target, _, count = spec.partition(":")
    remaining = itertools.count(int(count or 1), -1)
    lock = threading.Lock()

    def checkpoint(point: str) -> None:
        if point == target:
            with lock:
                if next(remaining) == 1:
                    os.kill(os.getpid(), signal.SIGKILL)

    return checkpoint


def build_registry(services: Services) -> ActionRegistry:
    """Every action this installation provides. Packages add theirs here as they are built."""
    registry = ActionRegistry()
    register_document_actions(registry, services.documents)
    register_capture_actions(registry, services.db)
    register_verification_actions(registry, services.verification, services.audiencia)
    return registry


def build(clock: Clock, settings: Settings | None = None) -> Runtime:
    settings = settings or get_settings()
    key = capture_key(settings)  # a wrong configured key stops here, before anything is opened
    keyring = Keyring(key)
    identity = signing_identity(settings)  # likewise a wrong signing certificate or passphrase
    db = open_database(settings)
    calendars = CalendarStore(db, recorder=SystemClock())
    participants = Participants(db, calendars, keyring)
    calendars.amendment_checks.append(participants.amendment_problems)
    data = settings.data_dir
    rolls = RollStore(db, data, keyring, calendars)
    classifier = Dask(settings.dask_scheduler) if settings.dask_scheduler else in_process
    documents = DocumentService(
        db, calendars, BlobStore(data / "files"), DocumentRenderer(settings.calendars_dir), identity
    )
    capture_blobs = SealedBlobStore(data / "captures", keyring)
    captures = CaptureService(db, calendars, capture_blobs, keyring, crash_for_tests(), secciones=rolls.secciones)
    objection_images = SealedBlobStore(data / "objections", keyring)
    desk = ReviewDesk(db, calendars, captures, objection_images, settings.review)
    triage = TriageStage(
        db,
        capture_blobs,
        settings.triage,
        workers=settings.triage_workers,
        executor=classifier.executor if isinstance(classifier, Dask) else None,
    )
    verification = VerificationService(
        db,
        calendars,
        rolls,
        data / "verification",
        thresholds_version=settings.triage.version,
        classifier=classifier,
        documents=documents,
        triage=triage,
        desk=desk,
    )
    services = Services(
        db=db,
        clock=clock,
        calendars=calendars,
        documents=documents,
        participants=participants,
        captures=captures,
        progress=ProgressService(db, calendars, verification),
        rolls=rolls,
        verification=verification,
        desk=desk,
        audiencia=Audiencia(db, calendars, objection_images),
        trail=Trail(db, calendars),
        portal_secret=lambda: keyring.subkey("convoca/portal"),
    )
    engine = Engine(
        db,
        calendars,
        build_registry(services),
        late_tolerance=timedelta(seconds=settings.late_tolerance_seconds),
        lease=timedelta(seconds=settings.action_lease_seconds),
        rate=clock.rate,
    )
    return Runtime(settings, services, engine)
