"""The domain services the controllers call, assembled once per application by the wiring (convoca.runtime)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from verification.audiencia import Audiencia
from verification.desk import ReviewDesk
from verification.progress import ProgressService
from verification.roll import RollStore
from verification.service import VerificationService
from verification.trail import Trail
from workflow.captures.service import CaptureService
from workflow.clock import Clock
from workflow.documents.service import DocumentService
from workflow.engine.store import CalendarStore
from workflow.participants.service import Participants
from workflow.storage.db import Database


@dataclass
class Services:
    db: Database
    clock: Clock
    calendars: CalendarStore
    documents: DocumentService
    participants: Participants
    captures: CaptureService
    progress: ProgressService
    rolls: RollStore
    verification: VerificationService
    desk: ReviewDesk
    audiencia: Audiencia
    trail: Trail
    # Called after an amendment is stored, so the engine re-plans at once (set when the engine runs in-process).
    on_calendar_applied: Callable[[], None] = field(default=lambda: None)
    # The portal's secret (32 bytes: its session cookie's encryption, its CSRF tokens), asked for once when the
    # application is made. The wiring derives it from the capture key, so every worker shares it; by default it is
    # new in each process (sessions then last as long as the process).
    portal_secret: Callable[[], bytes] = field(default=lambda: secrets.token_bytes(32))
