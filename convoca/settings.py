"""Settings from the environment (prefix ``CONVOCA_``). Defaults are embedded and need no setup."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from verification.desk import DeskSettings
from verification.triage import TriageThresholds

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CONVOCA_", extra="ignore", env_nested_delimiter="__")

    data_dir: Path = Field(default=ROOT / "var", description="Where the SQLite database and stored files live.")
    database_url: str | None = Field(
        default=None, description="Any SQLAlchemy URL; default: SQLite (WAL) in data_dir/convoca.sqlite3."
    )
    calendars_dir: Path = Field(default=ROOT / "calendars", description="Calendars seeded at start-up.")
    capture_key: str | None = Field(
        default=None,
        description="Base64 of the 32-byte key that encrypts capture images; default: a key file in data_dir/keys/.",
    )
    late_tolerance_seconds: float = Field(
        default=60.0, description="A transition fired later than this after its instant is recorded as late."
    )
    action_lease_seconds: float = Field(
        default=600.0, description="How long a claimed action may run before another engine may retry it."
    )
    orphan_min_age_seconds: float = Field(
        default=600.0,
        ge=0,
        description="The start-up sweep removes unreferenced capture images only once this old: a younger one may "
        "belong to another worker's request in flight.",
    )
    poll_seconds: float = Field(
        default=5.0, description="Real seconds between checks for calendar amendments made by other processes."
    )

    dask_scheduler: str | None = Field(
        default=None,
        description="Address of a dask.distributed scheduler (tcp://host:8786) on which verification runs its roll "
        "join and image triage; default: in this process.",
    )
    triage: TriageThresholds = Field(
        default_factory=TriageThresholds,
        description="Image triage thresholds (CONVOCA_TRIAGE__BLUR_MIN=…); see verification/triage.py.",
    )
    triage_workers: int = Field(
        default=1, ge=0, description="Processes that triage images beside the server (0: in its own thread)."
    )
    review: DeskSettings = Field(
        default_factory=DeskSettings,
        description="The mesa de control's leases and images (CONVOCA_REVIEW__LEASE_MINUTES=…); see "
        "verification/desk.py.",
    )
    dictamen_refresh_seconds: float = Field(
        default=600.0,
        ge=0,
        description="Real seconds between regenerations of a dictamen while the mesa de control records decisions "
        "(at most; only when decisions changed). At the close of the audiencia it is regenerated at once.",
    )
    verification_poll_seconds: float = Field(
        default=60.0,
        description="Real seconds between passes of verification's background stage (triage of new captures, the "
        "day's preliminary report, the final run after the grace period).",
    )

    signing_p12: Path | None = Field(
        default=None,
        description="PKCS#12 (as the e.firma is distributed) of the signatory with which publishing a document signs "
        "it (PAdES); unset: publication does not sign.",
    )
    signing_passphrase_file: Path | None = Field(
        default=None, description="File holding the PKCS#12's passphrase (its first line); else signing_passphrase_env."
    )
    signing_passphrase_env: str = Field(
        default="CONVOCA_P12_PASSPHRASE",
        description="Environment variable holding the PKCS#12's passphrase. The passphrase itself is never a setting, "
        "so it is never printed with them, logged or stored.",
    )

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'convoca.sqlite3'}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
