"""Where a webhook may point, on the real broker and store: a second notification instance
runs as in production (DEVELOPMENT=false, in a namespace and database of its own, with long
random keys) and refuses to register plain-http, loopback, private, link-local and
credential-carrying endpoints and weak secrets; a host name that resolves to loopback is
registered but refused when the connection would open -- without connecting -- and the
delivery fails at once with the reason. The session's development instance does not follow
redirects.

No test here ever connects to an address outside loopback: the refused addresses are refused
before any connection, and `localhost` stands in for a name that resolves somewhere private.
"""

import base64
import json
import secrets
import socket
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
import pytest_asyncio
from concord_shared.enums import NoticeKind, RecipientKind
from concord_shared.provision import declared_topics, delete_namespace, provision
from concord_shared.topics import NOTIFY_REQUESTS
from pymongo import AsyncMongoClient

from tests.support.access import grant_access, revoke_access
from tests.support.kafka import send
from tests.support.notifying import notice_request, request_id
from tests.support.security import SECURITY
from tests.support.sinks import HttpRecorder
from tests.support.stack import (
    ADMIN_AUTH,
    KAFKA,
    LAND_KEY,
    MONGO,
    OPERATOR_KEY,
    ServiceProcess,
    Services,
)
from tests.support.wait import eventually

pytestmark = pytest.mark.real

# The production-like instance's keys: long and random, as its start-up check demands.
STRICT_OPERATOR_KEY = secrets.token_urlsafe(32)
STRICT_LAND_KEY = secrets.token_urlsafe(32)
STRONG_SECRET = secrets.token_urlsafe(32)


@dataclass
class Strict:
    process: ServiceProcess
    namespace: str

    @property
    def url(self) -> str:
        return self.process.url


@pytest_asyncio.fixture(scope="module")
async def strict(services: Services) -> AsyncIterator[Strict]:
    namespace = f"w{uuid.uuid4().hex[:10]}"
    await provision(KAFKA, namespace, declared_topics(), auth=ADMIN_AUTH)
    await grant_access(namespace)  # the service principals' ACLs, on this namespace too
    with pytest.MonkeyPatch.context() as env:
        # Dead letters are sealed with a key every service shares (no service prefix).
        env.setenv("CONCORD_DLQ_KEY", base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
        process = services.start_instance(
            "notification",
            "strict",
            {
                "DEVELOPMENT": "false",
                "TOPIC_NAMESPACE": namespace,
                "MONGO_DB": f"{namespace}_notification",
                "API_KEYS": json.dumps(
                    {
                        STRICT_OPERATOR_KEY: {"role": "operator"},
                        STRICT_LAND_KEY: {"role": "department", "department": "land"},
                    }
                ),
                "INTAKE_API_KEY": secrets.token_urlsafe(32),
            },
        )
    try:
        yield Strict(process, namespace)
    finally:
        process.stop()
        await revoke_access(namespace)
        await delete_namespace(KAFKA, namespace, auth=ADMIN_AUTH)
        client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(MONGO)
        await client.drop_database(f"{namespace}_notification")
        await client.close()


async def _remove_subscriptions(client: httpx.AsyncClient, operator_key: str) -> None:
    listing = await client.get(
        "/subscriptions", params={"department": "land"}, headers={"X-API-Key": operator_key}
    )
    for sub in listing.json():
        await client.delete(f"/subscriptions/{sub['id']}", headers={"X-API-Key": operator_key})


@pytest_asyncio.fixture
async def strict_api(strict: Strict) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=strict.url, timeout=10) as client:
        yield client
        await _remove_subscriptions(client, STRICT_OPERATOR_KEY)


@pytest_asyncio.fixture
async def dev_api(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=services["notification"].url, timeout=10) as client:
        yield client
        await _remove_subscriptions(client, OPERATOR_KEY)


async def register(
    api: httpx.AsyncClient, key: str, url: str, secret: str | None = STRONG_SECRET
) -> httpx.Response:
    body: dict[str, Any] = {"url": url, "event_types": ["NotificationRequested"]}
    if secret is not None:
        body["secret"] = secret
    return await api.post("/subscriptions", json=body, headers={"X-API-Key": key})


def refused_field(response: httpx.Response) -> tuple[str, str]:
    """The field a 422 names and what it says about it."""
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    return error["loc"][-1], error["msg"]


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://hooks.land.gov.example/concord", "https"),
        ("https://127.0.0.1/concord", "loopback"),
        ("https://10.0.0.1/concord", "private"),
        ("https://192.168.0.10/concord", "private"),
        ("https://169.254.169.254/latest/meta-data/", "link-local"),
        ("https://2130706433/", "loopback"),  # 127.0.0.1 in decimal
        ("https://0x7f.1/", "loopback"),  # and in hex
        ("https://0177.0.0.1/", "loopback"),  # and in octal
        ("https://[::1]/concord", "loopback"),
        ("https://[::ffff:127.0.0.1]/concord", "loopback"),
        ("https://[fe80::1]/concord", "link-local"),
        ("https://[ff02::1]/concord", "multicast"),
        ("https://0.0.0.0/concord", "unspecified"),
        ("https://hook:pa55word@hooks.land.gov.example/concord", "password"),
    ],
)
async def test_outside_development_an_endpoint_it_may_not_reach_is_refused(
    strict_api: httpx.AsyncClient, url: str, says: str
) -> None:
    response = await register(strict_api, STRICT_LAND_KEY, url)
    SECURITY.bad_input(f"POST /subscriptions url={url} (DEVELOPMENT=false)", response.status_code)
    field, message = refused_field(response)
    assert field == "url" and says in message
    assert "pa55word" not in response.text and STRONG_SECRET not in response.text
    listing = await strict_api.get("/subscriptions", headers={"X-API-Key": STRICT_LAND_KEY})
    assert listing.json() == []


@pytest.mark.parametrize(
    "secret",
    ["short-Zq8vT1", "x" * 40, "abc" * 12, "passwordpasswordpasswordpassword12", "land" * 9],
)
async def test_a_weak_secret_is_refused(strict_api: httpx.AsyncClient, secret: str) -> None:
    response = await register(
        strict_api, STRICT_LAND_KEY, "https://hooks.land.gov.example/concord", secret
    )
    SECURITY.bad_input("POST /subscriptions weak secret (DEVELOPMENT=false)", response.status_code)
    field, message = refused_field(response)
    assert field == "secret" and ("32 bytes" in message or "guess" in message)
    assert secret not in response.text  # a refused secret is not echoed


async def test_without_a_secret_a_strong_one_is_made_and_shown_once(
    strict_api: httpx.AsyncClient,
) -> None:
    made = await register(strict_api, STRICT_LAND_KEY, "https://hooks.land.gov.example/c", None)
    assert made.status_code == 201, made.text
    secret = made.json()["secret"]
    assert len(secret.encode()) >= 32 and len(set(secret)) > 16
    again = await strict_api.get(
        f"/subscriptions/{made.json()['id']}", headers={"X-API-Key": STRICT_LAND_KEY}
    )
    assert again.json()["secret"] is None
    given = await register(strict_api, STRICT_LAND_KEY, "https://hooks.land.gov.example/d")
    assert given.status_code == 201 and given.json()["secret"] == STRONG_SECRET


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A TCP port on loopback that would see a connection if one were made (the kernel
    completes it in the backlog even before `accept`)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        sock.setblocking(False)
        yield sock


def connections(sock: socket.socket) -> int:
    count = 0
    while True:
        try:
            conn, _ = sock.accept()
        except BlockingIOError:
            return count
        conn.close()
        count += 1


async def test_a_name_that_resolves_to_loopback_is_refused_at_connect_time(
    strict: Strict, strict_api: httpx.AsyncClient, listener: socket.socket
) -> None:
    port = listener.getsockname()[1]
    registered = await register(strict_api, STRICT_LAND_KEY, f"https://localhost:{port}/concord")
    assert registered.status_code == 201, registered.text  # a host name: checked when used
    case_id = str(uuid.uuid4())
    raw = notice_request(case_id, NoticeKind.DEADLINE_REMINDER, RecipientKind.DEPARTMENT, "land")
    await send(NOTIFY_REQUESTS.full_name(strict.namespace), [raw], key=case_id.encode())

    async def failed() -> list[dict[str, Any]]:
        response = await strict_api.get(
            f"/cases/{case_id}/deliveries", headers={"X-API-Key": STRICT_OPERATOR_KEY}
        )
        assert response.status_code == 200, response.text
        return [
            d
            for d in response.json()
            if d["request_event_id"] == request_id(raw) and d["status"] == "failed"
        ]

    [entry] = await eventually(failed)
    assert entry["channel"] == "webhook" and entry["attempts"] == 1  # no retries
    assert "refused" in entry["last_error"] and "loopback" in entry["last_error"]
    assert connections(listener) == 0
    sub = await strict_api.get(
        f"/subscriptions/{registered.json()['id']}", headers={"X-API-Key": STRICT_LAND_KEY}
    )
    assert sub.json()["consecutive_failures"] == 1


class _Redirector(BaseHTTPRequestHandler):
    location = ""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(307)
        self.send_header("Location", self.location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


async def test_a_redirect_is_not_followed(services: Services, dev_api: httpx.AsyncClient) -> None:
    target = HttpRecorder().start()
    handler = type("Redirect", (_Redirector,), {"location": f"{target.url}/elsewhere"})
    redirector = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=redirector.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{redirector.server_address[1]}/concord"
        assert (await register(dev_api, LAND_KEY, url)).status_code == 201
        case_id = str(uuid.uuid4())
        raw = notice_request(case_id, NoticeKind.MAJOR_CASE, RecipientKind.DEPARTMENT, "land")
        await send(NOTIFY_REQUESTS.full_name(services.namespace), [raw], key=case_id.encode())

        async def failed() -> list[dict[str, Any]]:
            response = await dev_api.get(
                f"/cases/{case_id}/deliveries", headers={"X-API-Key": OPERATOR_KEY}
            )
            return [
                d
                for d in response.json()
                if d["request_event_id"] == request_id(raw) and d["status"] == "failed"
            ]

        [entry] = await eventually(failed)
    finally:
        redirector.shutdown()
        redirector.server_close()
        target.stop()
    assert entry["attempts"] == 1 and "redirects are not followed" in entry["last_error"]
    assert target.requests == []


async def test_in_development_credentials_in_the_url_are_refused_too(
    dev_api: httpx.AsyncClient,
) -> None:
    response = await register(dev_api, LAND_KEY, "http://hook:pa55word@127.0.0.1:9/concord")
    SECURITY.bad_input("POST /subscriptions url with user-info (development)", response.status_code)
    field, message = refused_field(response)
    assert field == "url" and "password" in message and "pa55word" not in response.text
