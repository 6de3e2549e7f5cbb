"""The administrator's page: upload a calendar amendment, see before applying either its problems by line or the
dates it changes side by side, then apply it with the agreement that approves it."""

from __future__ import annotations

from dataclasses import dataclass

from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.response import Redirect, Template

from workflow.calendar.loader import CalendarError
from workflow.calendar.localtime import format_local
from workflow.calendar.model import Calendar
from workflow.calendar.timeline import timeline
from workflow.participants.records import Role
from workflow.participants.service import Principal

from ..schemas import ProcessId
from ..services import Services
from .web import Form, Upload, page, redirect, signed_in, to_sign_in

FIELD = "calendario"
MAX_BYTES = 1024 * 1024


@dataclass(frozen=True)
class DateChange:
    phase: str
    before: str
    after: str


def changes(old: Calendar, new: Calendar) -> list[DateChange]:
    """Each phase whose dates change, is added or is removed, in the new calendar's order."""

    def spans(cal: Calendar) -> dict[str, tuple[str, str]]:
        return {
            r.phase.id: (r.phase.name, f"{format_local(r.start, cal.tz)} – {format_local(r.end, cal.tz, is_end=True)}")
            for r in timeline(cal)
        }

    before, after = spans(old), spans(new)
    out = [
        DateChange(name, before[pid][1] if pid in before else "(no existía)", span)
        for pid, (name, span) in after.items()
        if before.get(pid, ("", ""))[1] != span
    ]
    out += [DateChange(name, span, "(se elimina)") for pid, (name, span) in before.items() if pid not in after]
    return out


def admin(request: Request, services: Services) -> Principal | None:
    return signed_in(request, services, Role.admin)


@get("/admin", name="portal:admin", sync_to_thread=True)
def admin_home(request: Request, services: NamedDependency[Services]) -> Template | Redirect:
    if admin(request, services) is None:
        return to_sign_in(request)
    processes = [(pid, services.calendars.active(pid)) for pid in services.calendars.process_ids()]
    return page("admin_home.html", processes=processes)


Problem = tuple[int, int, str, str]  # line, column, message, the line's text


def form(
    services: Services,
    process_id: str,
    errors: list[tuple[str, str]] | None = None,
    problems: list[Problem] | None = None,
    reason: str = "",
) -> Template:
    active = services.calendars.active(process_id)
    return page(
        "admin_calendar.html",
        status=422 if errors else 200,
        process_id=process_id,
        process_name=active.calendar.process.name,
        version=active.version.number,
        errors=errors or [],
        problems=problems or [],
        reason=reason,
    )


@get("/admin/procesos/{process_id:str}/calendario", sync_to_thread=True)
def amendment_form(request: Request, services: NamedDependency[Services], process_id: ProcessId) -> Template | Redirect:
    if admin(request, services) is None:
        return to_sign_in(request)
    return form(services, process_id)


@post("/admin/procesos/{process_id:str}/calendario", sync_to_thread=True, status_code=200)
def amendment_preview(
    request: Request,
    services: NamedDependency[Services],
    process_id: ProcessId,
    data: Upload,
) -> Template | Redirect:
    if admin(request, services) is None:
        return to_sign_in(request)
    reason = str(data.get("motivo") or "").strip()
    upload = data.get(FIELD)
    content = upload.file.read(MAX_BYTES + 1) if isinstance(upload, UploadFile) else b""
    errors = []
    if not reason:
        errors.append(("Escriba el acuerdo o motivo que aprueba el cambio.", "motivo"))
    if not content:
        errors.append(("Elija el archivo YAML del calendario.", FIELD))
    elif len(content) > MAX_BYTES:
        errors.append(("El archivo pesa más de 1 MB: no parece un calendario.", FIELD))
    if errors:
        return form(services, process_id, errors, reason=reason)
    try:
        text = content.decode("utf-8")
        new = services.calendars.check(text, file=FIELD, now=services.clock.now(), process_id=process_id)
    except UnicodeDecodeError:
        return form(services, process_id, [("El archivo no está en UTF-8.", FIELD)], reason=reason)
    except CalendarError as e:
        lines = text.splitlines()
        problems = [
            (p.line, p.column, p.message, lines[p.line - 1] if 0 < p.line <= len(lines) else "") for p in e.problems
        ]
        summary = [
            (f"Línea {p.line}, columna {p.column}: {p.message}", f"problema-{i}") for i, p in enumerate(e.problems)
        ]
        return form(services, process_id, summary, problems, reason)
    active = services.calendars.active(process_id)
    return page(
        "admin_preview.html",
        process_id=process_id,
        process_name=active.calendar.process.name,
        version=active.version.number,
        changes=changes(active.calendar, new.calendar),
        text=text,
        reason=reason,
    )


@post("/admin/procesos/{process_id:str}/calendario/aplicar", sync_to_thread=True, status_code=303)
def amendment_apply(
    request: Request,
    services: NamedDependency[Services],
    process_id: ProcessId,
    data: Form,
) -> Template | Redirect:
    principal = admin(request, services)
    if principal is None:
        return to_sign_in(request)
    try:
        services.calendars.apply(
            data.get(FIELD, ""),
            file=FIELD,
            author=f"portal:token-{principal.token_id}",
            reason=data.get("motivo", ""),
            now=services.clock.now(),
            process_id=process_id,
        )
    except CalendarError as e:  # the calendar changed, or the clock moved past a date, since the preview
        summary = [(f"Línea {p.line}, columna {p.column}: {p.message}", FIELD) for p in e.problems]
        return form(services, process_id, summary, reason=data.get("motivo", ""))
    services.on_calendar_applied()
    return redirect(f"/procesos/{process_id}")


HANDLERS = [admin_home, amendment_form, amendment_preview, amendment_apply]
