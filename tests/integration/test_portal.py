"""The portal over HTTP, without a browser: its security headers, CSRF check and cookie session, all scoped to the
portal so the JSON API is untouched; no personal data on a public page. (The browser tests: tests/browser/.)"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from tests.helpers import utc
from tests.integration.api_server import DURANGO, ApiServer, Registered, register, start_server
from workflow.participants.records import Role

PUBLIC = ["/", f"/procesos/{DURANGO}", f"/procesos/{DURANGO}/documentos", "/entrar"]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    server = start_server(tmp_path_factory.mktemp("portal"), utc("2022-01-20T18:00:00Z"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def person(api: ApiServer) -> Registered:
    admin = api.services.participants.issue_token(Role.admin, api.clock.now(), label="test").token
    return register(api.url, admin, name="Ana Portal", gestor_name="Gestor Privado Ejemplar")


class Browserish:
    """An httpx client that keeps the portal's cookies as a browser on a secure origin would (httpx sends no Secure
    cookie over plain http)."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=30, follow_redirects=False)
        self.jar: dict[str, str] = {}

    def request(self, method: str, path: str, **kw: object) -> httpx.Response:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.jar.items())} if self.jar else {}
        r = self.http.request(method, path, headers=headers, **kw)  # type: ignore[arg-type]
        for header in r.headers.get_list("set-cookie"):
            name, _, rest = header.partition("=")
            value = rest.split(";")[0]
            if "Max-Age=0" in header or value in ("", "null"):
                self.jar.pop(name, None)
            else:
                self.jar[name] = value
        return r

    def csrf(self, path: str = "/entrar") -> str:
        page = self.request("GET", path).text
        match = re.search(r'name="_csrf_token" value="([^"]+)"', page)
        assert match, page
        return match.group(1)

    def sign_in(self, token: str) -> httpx.Response:
        return self.request("POST", "/entrar", data={"_csrf_token": self.csrf(), "token": token})


def test_every_portal_page_has_the_security_headers_and_the_api_does_not(api: ApiServer) -> None:
    with httpx.Client(base_url=api.url) as c:
        for path in [*PUBLIC, "/procesos/no-existe"]:
            r = c.get(path)
            assert r.status_code == (404 if "no-existe" in path else 200), path
            assert r.headers["content-type"].startswith("text/html"), path
            csp = r.headers["content-security-policy"]
            assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp and "default-src 'none'" in csp
            assert r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff"
            assert " style=" not in r.text and "<style" not in r.text
            scripts = re.findall(r"<script[^>]*>", r.text)
            if path == f"/procesos/{DURANGO}":  # a window is open: the countdown's file, and only it
                assert scripts == ['<script src="/static/cuenta.js" defer>'] and "script-src 'self'" in csp
            else:
                assert scripts == [] and "script-src" not in csp
        assert "No encontramos esta página" in c.get("/procesos/no-existe").text
        api_response = c.get(f"/api/v1/processes/{DURANGO}")
        assert "content-security-policy" not in api_response.headers and "set-cookie" not in api_response.headers


def test_portal_routes_stay_out_of_the_openapi(api: ApiServer) -> None:
    with httpx.Client(base_url=api.url) as c:
        paths = c.get("/schema/openapi.json").json()["paths"]
    assert all(p.startswith("/api/v1/") for p in paths)


def test_a_form_without_its_csrf_token_is_refused_in_spanish(api: ApiServer, person: Registered) -> None:
    b = Browserish(api.url)
    b.csrf()  # the CSRF cookie is set
    for form in [{"token": person.aspirante}, {"token": person.aspirante, "_csrf_token": "falso"}]:
        r = b.request("POST", "/entrar", data=form)
        assert r.status_code == 403 and "El formulario venció" in r.text
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
        assert "convoca_sesion" not in b.jar
    # A form posted from elsewhere, without the cookie, is refused too.
    other = httpx.post(f"{api.url}/entrar", data={"_csrf_token": b.csrf(), "token": person.aspirante})
    assert other.status_code == 403


def test_csrf_cookie_and_session_cookie_are_http_only_secure_and_strict(api: ApiServer, person: Registered) -> None:
    b = Browserish(api.url)
    first = b.request("GET", "/entrar")
    signed = b.sign_in(person.aspirante)
    assert signed.status_code == 303 and signed.headers["location"] == "/aspirante"
    for header in [*first.headers.get_list("set-cookie"), *signed.headers.get_list("set-cookie")]:
        lowered = header.lower()
        assert "httponly" in lowered and "secure" in lowered and "samesite=strict" in lowered, header
    assert person.aspirante not in str(signed.headers) and person.aspirante not in signed.headers["location"]
    page = b.request("GET", "/aspirante")
    assert page.status_code == 200 and "Su avance, Ana Portal" in page.text
    assert person.aspirante not in page.text


def test_the_api_with_bearer_tokens_needs_no_csrf_token(api: ApiServer, person: Registered) -> None:
    with httpx.Client(base_url=api.url + "/api/v1", headers={"Authorization": f"Bearer {person.aspirante}"}) as c:
        r = c.post(f"/aspirantes/{person.aspirante_id}/gestores", json={"name": "Otro", "clave_elector": "x"})
    assert r.status_code == 422  # validated by the API, not refused by a CSRF check


def test_a_revoked_token_or_a_tampered_cookie_ends_the_session(api: ApiServer) -> None:
    admin = api.services.participants.issue_token(Role.admin, api.clock.now(), label="test").token
    other = register(api.url, admin, name="Berta Revocada")
    b = Browserish(api.url)
    assert b.sign_in(other.aspirante).status_code == 303
    assert b.request("GET", "/aspirante").status_code == 200
    tampered = Browserish(api.url)
    tampered.jar = {**b.jar, "convoca_sesion": b.jar["convoca_sesion"][:-4] + "AAAA"}
    assert tampered.request("GET", "/aspirante").headers.get("location") == "/entrar"
    principal = api.services.participants.authenticate(other.aspirante, api.clock.now())
    assert principal is not None
    api.services.participants.revoke(principal.token_id, api.clock.now())
    gone = b.request("GET", "/aspirante")
    assert gone.status_code == 303 and gone.headers["location"] == "/entrar"


def test_no_public_page_shows_personal_data(api: ApiServer, person: Registered) -> None:
    with httpx.Client(base_url=api.url) as c:
        for path in PUBLIC:
            text = c.get(path).text
            for secret in [person.aspirante, person.gestor, person.clave, "Gestor Privado Ejemplar", "Ana Portal"]:
                assert secret not in text, (path, secret)


def test_the_desk_and_the_administration_need_their_role(api: ApiServer, person: Registered) -> None:
    anonymous = Browserish(api.url)
    for path in ["/mesa", f"/mesa/{DURANGO}", "/admin", f"/admin/procesos/{DURANGO}/calendario", "/admin/motor",
                 "/admin/verificaciones", "/aspirante", "/aspirante/rechazos/1"]:  # fmt: skip
        r = anonymous.request("GET", path)
        assert r.status_code == 303 and r.headers["location"] == "/entrar", path
    assert anonymous.request("GET", "/mesa/imagenes/1/anverso").status_code == 401
    b = Browserish(api.url)
    assert b.sign_in(person.aspirante).headers["location"] == "/aspirante"
    for path in ["/mesa", "/admin", "/admin/motor"]:  # an aspirante's session opens none: it is ended
        assert b.request("GET", path).headers["location"] == "/entrar", path
    assert b.request("GET", "/mesa/imagenes/1/anverso").status_code == 401
    refused = Browserish(api.url).sign_in(person.gestor)
    assert refused.status_code == 422 and "no abre ninguna página del portal" in refused.text


def test_an_unknown_address_is_an_html_page_for_a_browser_and_json_for_the_api(api: ApiServer) -> None:
    html = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    with httpx.Client(base_url=api.url) as c:
        page = c.get("/no-existe/tampoco", headers=html)
        assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
        assert "No encontramos esta página" in page.text and "revise que esté bien escrita" in page.text
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        wrong_method = c.delete("/entrar", headers=html)
        assert wrong_method.status_code == 405 and "Método no permitido" in wrong_method.text
        for path, headers in [("/api/v1/no-existe", html), ("/no-existe", {"Accept": "application/json"})]:
            r = c.get(path, headers=headers)
            assert r.status_code == 404 and r.json()["detail"] == "no existe el recurso solicitado", path


def test_the_aspirante_page_shows_the_pace_and_their_gestores(api: ApiServer, person: Registered) -> None:
    b = Browserish(api.url)
    b.sign_in(person.aspirante)
    text = b.request("GET", "/aspirante").text
    assert "Gestor Privado Ejemplar" in text  # theirs, on their signed-in page only (never on a public one)
    assert "Todavía no ha llegado ningún apoyo. Para reunir los 13,079 que faltan antes del cierre" in text
    assert "La garantía de audiencia abre el 2022-02-15 00:00 CST" in text
    r = b.request("GET", "/aspirante/rechazos/1/imagenes/foto")
    assert r.status_code == 404 and "no-store" in r.headers["cache-control"]
    assert Browserish(api.url).request("GET", "/aspirante/rechazos/1/imagenes/foto").status_code == 401
