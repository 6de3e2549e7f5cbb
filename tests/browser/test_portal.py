"""The portal in a real browser: Playwright drives Debian's Chromium (``/usr/bin/chromium``, installed by
``make test``; never a browser Playwright downloads) against a live server.

Screenshots of every page at phone and desktop widths are written to ``out/test-output/portal/``
(``CONVOCA_TEST_OUTPUT`` elsewhere)."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect, sync_playwright

from convoca.gestor.client import CaptureQueue, GestorClient
from convoca.gestor.synthetic import CaptureGenerator
from tests.helpers import utc
from tests.integration.api_server import DURANGO, ROOT, ApiServer, Registered, register, start_server
from tests.integration.api_server import image as image_bytes
from tests.integration.test_review import Desk, _desk
from workflow.documents.service import ForcedPublication
from workflow.participants.records import Role

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path(os.environ.get("CONVOCA_CHROMIUM", "/usr/bin/chromium"))
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run"]  # fmt: skip
OUTPUT = Path(os.environ.get("CONVOCA_TEST_OUTPUT", ROOT / "out" / "test-output")) / "portal"
WIDTHS = {"telefono": (390, 844), "escritorio": (1280, 900)}
CAPTURES = 12


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    """Durango on 20 January 2022 at noon: captación open, the convocatoria published (a PROYECTO, forced)."""
    api = start_server(tmp_path_factory.mktemp("portal"), utc("2022-01-20T18:00:00Z"))
    now = api.clock.now()
    api.services.documents.generate(DURANGO, "convocatoria", now)
    api.services.documents.publish(
        DURANGO, ["convocatoria"], now, forced=ForcedPublication("Acuerdo IEPC/CG001/2021 (prueba)", "test")
    )
    yield api
    api.stop()


@pytest.fixture(scope="module")
def aspirante(server: ApiServer, tmp_path_factory: pytest.TempPathFactory) -> Registered:
    """An aspirante to the Gubernatura whose gestor sent a dozen captures through the reference client."""
    admin = server.services.participants.issue_token(Role.admin, server.clock.now(), label="test").token
    person = register(server.url, admin, name="Ana Portal")
    queue = CaptureQueue(tmp_path_factory.mktemp("queue"), sync=False)
    stats = GestorClient(server.url, person.gestor, queue).simulate(
        CaptureGenerator(7), CAPTURES, utc("2022-01-20T17:00:00Z")
    )
    assert stats.acknowledged == CAPTURES
    return person


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"no está {CHROMIUM}: `make test` instala el paquete chromium de Debian")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser, server: ApiServer) -> Iterator[Page]:
    context = browser.new_context(base_url=server.url, accept_downloads=True, locale="es-MX")
    pg = context.new_page()
    yield pg
    context.close()


def screenshots(page: Page, name: str) -> None:
    """The page as it is, at a phone's and a desktop's width (the viewport is put back afterwards)."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    before = page.viewport_size
    for label, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=OUTPUT / f"{name}-{label}.png", full_page=True)
    if before:
        page.set_viewport_size(before)


def test_a_visitor_downloads_the_convocatoria_and_its_hash_matches_the_page(page: Page) -> None:
    page.goto("/")
    expect(page).to_have_title(re.compile("Procesos electorales"))
    screenshots(page, "inicio")
    page.get_by_role("link", name="Proceso Electoral Local 2021-2022", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Proceso Electoral Local 2021-2022")
    expect(page.get_by_role("img", name=re.compile("Línea de tiempo"))).to_be_visible()
    expect(page.get_by_text("hoy, 20/01/2022")).to_be_visible()
    screenshots(page, "proceso")
    page.get_by_role("link", name="Ver los documentos oficiales").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Documentos oficiales")
    screenshots(page, "documentos")
    shown = page.locator('code.hash[data-kind="convocatoria"]').first.inner_text().strip()
    assert re.fullmatch(r"[0-9a-f]{64}", shown)
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Descargar PDF")).first.click()
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    assert hashlib.sha256(pdf).hexdigest() == shown


def test_an_aspirante_signs_in_with_their_token_and_sees_their_progress(
    page: Page, aspirante: Registered, server: ApiServer
) -> None:
    page.goto("/aspirante")
    expect(page).to_have_url(re.compile("/entrar$"))
    page.get_by_role("button", name="Entrar").click()
    expect(page).to_have_title(re.compile("^Error: "))
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Escriba su token de acceso")
    summary.get_by_role("link").click()
    expect(page.get_by_label("Token de acceso")).to_be_focused()
    screenshots(page, "entrar-error")
    page.get_by_label("Token de acceso").fill("no-es-un-token")
    page.get_by_role("button", name="Entrar").click()
    expect(summary).to_contain_text("no es válido")
    page.get_by_label("Token de acceso").fill(aspirante.gestor)  # a gestor's token does not open this page
    page.get_by_role("button", name="Entrar").click()
    expect(summary).to_contain_text("no abre ninguna página del portal")

    page.get_by_label("Token de acceso").fill(aspirante.aspirante)
    page.get_by_role("button", name="Entrar").click()
    expect(page).to_have_url(re.compile("/aspirante$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Su avance, Ana Portal")
    expect(page.get_by_text(f"{CAPTURES} de 13,079 apoyos")).to_be_visible()
    expect(page.get_by_text("Abierta", exact=True)).to_be_visible()
    # The pace: a dozen apoyos in the week is far from the quota; it says the daily rate needed.
    expect(page.get_by_role("heading", name="Su ritmo")).to_be_visible()
    expect(
        page.get_by_text(
            re.compile(
                r"^Al ritmo de los últimos días, unos 1\.7 apoyos recibidos al día, no "
                r"alcanzaría .*: faltan 13,067; necesita unos 608 apoyos válidos al día\.$"
            )
        )
    ).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(f"Gestor .* {CAPTURES}$"))).to_be_visible()
    expect(page.get_by_text(re.compile("La garantía de audiencia abre el 2022-02-15 00:00 CST"))).to_be_visible()
    screenshots(page, "avance")
    # The token is in no URL and no page; the session cookie is encrypted, http-only, secure and same-site.
    assert aspirante.aspirante not in page.url and aspirante.aspirante not in page.content()
    cookies = {c["name"]: c for c in page.context.cookies()}
    session = cookies["convoca_sesion"]
    assert session["httpOnly"] and session["secure"] and session["sameSite"] == "Strict"
    assert aspirante.aspirante not in session["value"]

    page.get_by_role("button", name="Salir").click()
    expect(page).to_have_url(re.compile("/entrar"))
    page.goto("/aspirante")
    expect(page).to_have_url(re.compile("/entrar$"))


def focused(page: Page) -> str:
    return page.evaluate(
        "() => { const e = document.activeElement; return (e.id ? '#' + e.id + ' ' : '') + "
        "(e.getAttribute('href') || e.tagName) + ' ' + (e.innerText || '').trim().slice(0, 60) }"
    )


def tab_to(page: Page, text: str, most: int = 30) -> None:
    """Press Tab until the focused element's description holds ``text``."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if text in focused(page):
            return
    raise AssertionError(f"«{text}» no se alcanzó con {most} tabulaciones; foco en {focused(page)}")


def test_keyboard_only_from_the_home_page_to_the_documents_and_the_sign_in(page: Page, aspirante: Registered) -> None:
    page.goto("/")
    page.keyboard.press("Tab")
    assert "Saltar al contenido principal" in focused(page)
    skip = page.evaluate("() => getComputedStyle(document.activeElement).backgroundColor")
    assert skip == "rgb(255, 191, 71)"  # the focus colour: visible
    page.keyboard.press("Enter")
    assert focused(page).startswith("#contenido")
    tab_to(page, "/procesos/")  # the first link of the content is the process
    assert focused(page).startswith("/procesos/durango-2021-2022 ")
    link = page.evaluate("() => getComputedStyle(document.activeElement).backgroundColor")
    assert link == "rgb(255, 191, 71)"
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile("/procesos/durango-2021-2022$"))
    tab_to(page, "Ver los documentos oficiales")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile("/documentos$"))
    tab_to(page, "Descargar PDF")

    page.goto("/entrar")
    tab_to(page, "#token")
    page.keyboard.type(aspirante.aspirante)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Su avance, Ana Portal")


def serious(page: Page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_no_serious_accessibility_violation_on_any_page(page: Page, aspirante: Registered) -> None:
    found = {}
    for path in ["/", f"/procesos/{DURANGO}", f"/procesos/{DURANGO}/documentos", "/entrar", "/procesos/x",
                 "/no-existe"]:  # fmt: skip
        page.goto(path)
        found[path] = serious(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("No encontramos esta página")
    screenshots(page, "no-encontrado")
    page.goto("/entrar")
    page.get_by_role("button", name="Entrar").click()
    found["entrar con error"] = serious(page)
    page.get_by_label("Token de acceso").fill(aspirante.aspirante)
    page.get_by_role("button", name="Entrar").click()
    found["/aspirante"] = serious(page)
    assert found == {k: [] for k in found}


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    """A final run whose sample sent a quarter of an aspirante's 30 valid apoyos to the mesa de control."""
    yield from _desk(tmp_path, f"sqlite:///{tmp_path / 'convoca.sqlite3'}", "5eed" * 8)


def test_a_reviewer_decides_three_apoyos_by_keyboard(browser: Browser, desk: Desk) -> None:
    context = browser.new_context(base_url=desk.api.url, locale="es-MX")
    page = context.new_page()
    try:
        token = desk.reviewer("Rita Revisora")
        page.goto("/mesa")
        expect(page).to_have_url(re.compile("/entrar$"))
        page.get_by_label("Token de acceso").fill(token)
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile("/mesa$"))
        before = len([i for i in desk.items() if i.decision_id is None])
        assert before >= 3
        prepared: list[str] = []
        page.on(
            "response",
            lambda r: prepared.append(r.url) if "anticipada" in (r.headers.get("server-timing") or "") else None,
        )
        page.get_by_role("link", name="Proceso Electoral Local 2021-2022").click()
        folios = []
        for n, key in enumerate(["a", "1", "a"]):
            heading = page.get_by_role("heading", level=1)
            expect(heading).to_have_text(re.compile(r"^Apoyo "))
            folios.append(heading.inner_text())
            shown = page.locator("img").first.evaluate("i => i.src")
            # The four images load, behind the session.
            page.wait_for_function(
                "() => document.images.length === 4 && [...document.images].every(i => i.complete && i.naturalWidth)",
                timeout=15000,
            )
            if n == 0:
                screenshots(page, "mesa")
                assert serious(page) == []
            if n:  # the apoyo leased ahead on the previous page: its images were prepared while that one was decided
                assert {i.rsplit("/", 1)[0] for i in prepared} == {shown.rsplit("/", 1)[0]} and len(prepared) == 4
            prepared.clear()
            page.locator("body").press(key)  # the decision's key checks it…
            expect(page.locator(f'input[name="decision"][data-key="{key}"]')).to_be_checked()
            with page.expect_navigation():
                page.keyboard.press("Enter")  # …and Enter records it; the next apoyo comes
            expect(page.get_by_role("alert")).to_have_count(0)
            expect(page.get_by_role("heading", level=1)).not_to_have_text(folios[-1])

        assert len(set(folios)) == 3
        decided = [i for i in desk.items() if i.decision_id is not None]
        assert len(decided) == 3
        # «otro» needs a note: refused, the same apoyo shown again with the error linked to the note.
        folio = page.get_by_role("heading", level=1).inner_text()
        page.get_by_label(re.compile("Otro")).check()
        page.get_by_role("button", name="Registrar decisión").click()
        expect(page.get_by_role("alert")).to_be_visible()
        expect(page.get_by_role("heading", level=1)).to_have_text(folio)
        screenshots(page, "mesa-error")
    finally:
        context.close()


def test_an_administrator_sees_a_broken_calendar_by_line_then_applies_an_amendment(
    browser: Browser, tmp_path: Path
) -> None:
    api = start_server(tmp_path, utc("2022-01-20T18:00:00Z"))
    context = browser.new_context(base_url=api.url, locale="es-MX")
    page = context.new_page()
    try:
        text = (ROOT / "calendars" / f"{DURANGO}.yaml").read_text()
        lines = text.splitlines(keepends=True)
        line = next(i for i, t in enumerate(lines) if t.strip() == "end: 2022-03-29") + 1  # registro-ayuntamientos
        broken = "".join([*lines[: line - 1], "    end: 2022-13-45\n", *lines[line:]])
        amended = "".join([*lines[: line - 1], "    end: 2022-03-31\n", *lines[line:]])

        token = api.services.participants.issue_token(Role.admin, api.clock.now(), label="test").token
        page.goto("/entrar")
        page.get_by_label("Token de acceso").fill(token)
        page.get_by_role("button", name="Entrar").click()
        expect(page).to_have_url(re.compile("/admin$"))
        page.get_by_role("link", name=re.compile("Modificar el calendario")).click()

        def upload(content: str) -> None:
            page.get_by_label("Archivo del calendario (YAML)").set_input_files(
                files=[{"name": "durango.yaml", "mimeType": "application/yaml", "buffer": content.encode()}]
            )
            page.get_by_label("Acuerdo o motivo del cambio").fill("Acuerdo IEPC/CG015/2022 (prueba)")
            page.get_by_role("button", name="Revisar el cambio").click()

        upload(broken)
        expect(page).to_have_title(re.compile("^Error: "))
        expect(page.get_by_role("alert")).to_contain_text(f"Línea {line}, columna")
        expect(page.locator(".problems")).to_contain_text("2022-13-45")
        screenshots(page, "admin-calendario-error")
        assert serious(page) == []

        upload(amended)
        expect(page.get_by_role("heading", level=1)).to_have_text("Revisar el cambio antes de aplicarlo")
        row = page.get_by_role("row", name=re.compile("Solicitud de registro de candidaturas independientes \\(Ayunt"))
        expect(row).to_contain_text("2022-03-22 00:00 CST – 2022-03-29 24:00 CST")
        expect(row).to_contain_text("2022-03-22 00:00 CST – 2022-03-31 24:00 CST")
        expect(page.get_by_role("row")).to_have_count(2)  # the header and the one phase that changes
        screenshots(page, "admin-calendario-cambios")
        assert api.services.calendars.active(DURANGO).version.number == 1  # nothing applied yet

        page.get_by_role("button", name="Aplicar el cambio").click()
        expect(page).to_have_url(re.compile(f"/procesos/{DURANGO}$"))
        assert api.services.calendars.active(DURANGO).version.number == 2
        expect(page.get_by_role("row", name=re.compile("Solicitud de registro.*Ayuntamientos"))).to_contain_text(
            "2022-03-31 24:00 CST"
        )
        title = page.locator("svg g title", has_text="Solicitud de registro de candidaturas independientes (Ayunt")
        expect(title).to_contain_text("2022-03-31 24:00 CST")
    finally:
        context.close()
        api.stop()


def test_the_countdown_counts_from_the_servers_clock_and_speaks_rarely(browser: Browser, server: ApiServer) -> None:
    for motion, seconds in [("no-preference", True), ("reduce", False)]:
        context = browser.new_context(base_url=server.url, locale="es-MX", reduced_motion=motion)  # type: ignore[arg-type]
        page = context.new_page()
        page.clock.install()  # the page's timers, run forward at will
        try:
            page.goto(f"/procesos/{DURANGO}")
            box = page.locator(".countdown").first
            # The server's words, in local time, are there without the script; the script refines the time left
            # from the server's clock (20 Jan 2022, 12:00 CST; the device's clock says otherwise).
            expect(box.locator("time")).to_have_text("2022-02-10 24:00 CST")
            left = box.locator(".countdown-remaining")
            if seconds:
                expect(left).to_have_text(re.compile(r"^21 días, 11 horas, 59 minutos y \d+ segundos$"))
                first = left.inner_text()
                page.clock.run_for(1500)
                expect(left).not_to_have_text(first)  # it moves each second…
            else:
                # …or, with reduced motion, by minutes
                expect(left).to_have_text(re.compile(r"^21 días, (12 horas y 0|11 horas y 59) minutos$"))
            live = box.locator("[aria-live=polite]")
            expect(live).to_have_text("")  # nothing announced at each tick…
            page.clock.run_for(59 * 60 * 1000)
            expect(live).to_have_text("")
            page.clock.run_for(2 * 60 * 1000)  # …but once the hour changes
            expect(live).to_have_text(re.compile(r"^Faltan 21 días, 10 horas y 5\d minutos\.$"))
        finally:
            context.close()


def sign_in(page: Page, token: str) -> None:
    page.goto("/entrar")
    page.get_by_label("Token de acceso").fill(token)
    page.get_by_role("button", name="Entrar").click()


def test_during_the_audiencia_an_aspirante_contests_a_rejected_apoyo_by_keyboard(browser: Browser, desk: Desk) -> None:
    from tests.integration.test_review import AUDIENCIA, BAJA

    desk.api.clock.set(AUDIENCIA)
    context = browser.new_context(base_url=desk.api.url, locale="es-MX")
    page = context.new_page()
    try:
        sign_in(page, desk.aspirante_token)
        expect(page.get_by_role("heading", level=1)).to_have_text("Su avance, Ana Gubernatura")
        expect(page.get_by_text(re.compile("La garantía de audiencia está abierta hasta el 2022-02-17 24:00 CST"))
               ).to_be_visible()  # fmt: skip
        expect(page.get_by_text(re.compile("^El periodo de captación cerró el 2022-02-10 24:00 CST con 30 de"))
               ).to_be_visible()  # fmt: skip
        rows = page.locator("#audiencia ~ table tbody tr")
        expect(rows).to_have_count(2)  # the baja and the duplicate
        expect(page.get_by_role("row", name=re.compile("^IEPC-.* Baja"))).to_contain_text("Sin objeción")
        screenshots(page, "avance-audiencia")
        assert serious(page) == []

        # Keyboard only: to the baja's page, the form, an error, then the objection.
        baja = desk.captures[BAJA.clave]
        page.locator("#audiencia").focus()
        tab_to(page, f"/aspirante/rechazos/{baja}")
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("^Apoyo rechazado "))
        page.wait_for_function(
            "() => document.images.length === 4 && [...document.images].every(i => i.complete && i.naturalWidth)",
            timeout=15000,
        )
        image = page.request.get(f"/aspirante/rechazos/{baja}/imagenes/foto")
        assert image.status == 200 and "no-store" in image.headers["cache-control"]
        screenshots(page, "rechazo")
        assert serious(page) == []
        tab_to(page, "Presentar la objeción")
        page.keyboard.press("Enter")
        expect(page).to_have_title(re.compile("^Error: "))
        summary = page.get_by_role("alert")
        expect(summary).to_contain_text("Escriba por qué el apoyo debe computarse")
        tab_to(page, "#argumento")  # the summary's link leads to the field
        screenshots(page, "rechazo-error")
        assert serious(page) == []
        page.keyboard.press("Enter")
        expect(page.get_by_label("Por qué el apoyo debe computarse")).to_be_focused()
        page.keyboard.type("La persona vive y votó en 2021; la baja es un error del padrón.")
        page.get_by_label(re.compile("Imagen nueva")).set_input_files(
            files=[{"name": "credencial.jpg", "mimeType": "image/jpeg", "buffer": image_bytes(seed=77)}]
        )
        tab_to(page, "Presentar la objeción")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(r"/aspirante\?objecion=.*#audiencia$"))
        expect(page.get_by_role("status").filter(has_text="quedó registrada")).to_be_visible()
        expect(page.get_by_role("row", name=re.compile("^IEPC-.* Baja"))).to_contain_text("Objeción presentada")
        objections = desk.runtime.services.audiencia.objections(desk.aspirante.id or 0)
        assert [(o.capture_id, o.image_sha256 is not None) for o in objections] == [(baja, True)]
        # Another aspirante's rejected apoyo is neither listed nor served.
        assert page.request.get(f"/aspirante/rechazos/{desk.captures['beto-baja']}/imagenes/foto").status == 404
        assert page.request.get(f"/aspirante/rechazos/{desk.captures['beto-baja']}").status == 404
    finally:
        context.close()


def test_an_administrator_sees_the_engines_transitions_and_failures_and_the_verification_runs(
    browser: Browser, desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.integration.test_review import FINAL

    registry = desk.runtime.engine.registry

    def broken(ctx: object) -> dict:
        raise RuntimeError("el servicio de documentos no respondió")

    monkeypatch.setitem(registry._actions, "generate_documents", broken)
    desk.runtime.engine.reconcile(FINAL)
    context = browser.new_context(base_url=desk.api.url, locale="es-MX")
    page = context.new_page()
    try:
        sign_in(page, desk.admin)
        page.get_by_role("link", name="Transiciones y fallas del motor").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Motor de fases")
        failures = page.locator("#fallas ~ table").first
        expect(failures).to_contain_text("RuntimeError: el servicio de documentos no respondió")
        expect(failures).to_contain_text("Generar documentos")
        recent = page.locator("#transiciones ~ table")
        expect(recent).to_contain_text("Emisión y difusión de la convocatoria")
        expect(recent).to_contain_text("Cerrar la captación: Completada")
        screenshots(page, "admin-motor")
        assert serious(page) == []
        page.get_by_role("link", name="Administración").click()
        page.get_by_role("link", name="Verificaciones y sus resultados").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Verificaciones")
        row = page.get_by_role("row").nth(1)
        expect(row).to_contain_text("Final")
        expect(row).to_contain_text("Terminada")
        expect(row).to_contain_text("Válido en la Lista Nominal: 31")  # both aspirantes of the cargo
        screenshots(page, "admin-verificaciones")
        assert serious(page) == []
    finally:
        context.close()
