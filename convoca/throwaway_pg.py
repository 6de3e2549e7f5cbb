"""A throwaway PostgreSQL server in a temporary folder, from the local binaries (Debian's ``postgresql`` package,
which `make test` installs), and empty databases on it: for the integration tests and the benchmarks, never for a
deployment."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def pg_bin() -> Path | None:
    """The folder of the newest installed PostgreSQL's programs, or None when none is installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).resolve().parent if pg_ctl else None


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now: for a throwaway server (this one, or a test's or a benchmark's)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def throwaway_postgres(*, durable: bool) -> Iterator[str]:
    """Start a server; yields its base URL without a database name (``postgresql+psycopg://convoca@host:port``);
    stops and deletes it on exit. ``durable=False`` turns fsync off (tests); benchmarks measure with it on."""
    bindir = pg_bin()
    if bindir is None:
        raise RuntimeError("PostgreSQL no está instalado: `make test` lo instala (paquete postgresql de Debian)")
    root = Path(tempfile.mkdtemp(prefix="convoca-pg-"))
    data, port = root / "data", free_port()
    prefix: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        shutil.chown(root, "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [*prefix, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "convoca", "--no-sync"],
        check=True,
        capture_output=True,
    )
    opts = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c max_connections=200"
    opts += "" if durable else " -c fsync=off"
    try:
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(root / "log"), "-w", "start"],
            check=True,
            capture_output=True,
        )
        yield f"postgresql+psycopg://convoca@127.0.0.1:{port}"
    finally:
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def empty_database(base: str) -> Iterator[str]:
    """A new, empty database on the server at ``base`` (from ``throwaway_postgres``, or any server the caller may
    create databases on); yields its URL and drops it on exit, closing whatever is still connected."""
    from sqlalchemy import create_engine, text  # here: starting a server needs no SQLAlchemy

    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
