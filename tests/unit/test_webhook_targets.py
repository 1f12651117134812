"""Where a webhook may point and how strong its secret must be (the pure rules), and the
connection check that applies the address rule to what a host name resolves to."""

import ipaddress
import secrets
from collections.abc import Iterable

import httpcore
import pytest
from concord_notification.adapters.channels import PublicAddressesOnly, TargetRefused
from concord_notification.domain.webhook_secrets import new_secret, weakness_of_secret
from concord_notification.domain.webhook_targets import (
    literal_address,
    refusal_of_address,
    refusal_of_url,
)

NOT_PUBLIC = [
    ("127.0.0.1", "loopback"),
    ("127.255.0.9", "loopback"),
    ("0.0.0.0", "unspecified"),
    ("10.0.0.1", "private"),
    ("172.16.5.4", "private"),
    ("192.168.1.1", "private"),
    ("169.254.169.254", "link-local"),  # the cloud metadata endpoint
    ("100.64.0.1", "not public"),  # carrier-grade NAT
    ("224.0.0.1", "multicast"),
    ("240.0.0.1", "private"),  # reserved, which ipaddress counts as private too
    ("255.255.255.255", "private"),
    ("::1", "loopback"),
    ("::", "unspecified"),
    ("fe80::1", "link-local"),
    ("fc00::1", "private"),
    ("ff02::1", "multicast"),
    ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
    ("::ffff:10.1.2.3", "private"),
    ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
    ("64:ff9b::a9fe:a9fe", "link-local"),  # NAT64 of 169.254.169.254
    ("2001:db8::1", "private"),  # documentation
]


@pytest.mark.parametrize(("address", "kind"), NOT_PUBLIC)
def test_addresses_that_are_not_public_are_refused_with_their_kind(address: str, kind: str) -> None:
    reason = refusal_of_address(ipaddress.ip_address(address))
    assert reason is not None and reason.startswith(kind)


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "93.184.215.14", "2606:4700::1111", "::ffff:8.8.8.8"]
)
def test_public_addresses_pass(address: str) -> None:
    assert refusal_of_address(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),  # decimal
        ("0x7f.1", "127.0.0.1"),  # hex, short form
        ("0x7f000001", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),  # octal
        ("127.1", "127.0.0.1"),
        ("127.0.0.1.", "127.0.0.1"),  # trailing dot
        ("[::1]", "::1"),
        ("[::ffff:7f00:1]", "::ffff:127.0.0.1"),
        ("fe80::1%eth0", "fe80::1"),
    ],
)
def test_literal_addresses_are_read_in_every_form_a_resolver_accepts(
    host: str, address: str
) -> None:
    assert literal_address(host) == ipaddress.ip_address(address)


@pytest.mark.parametrize("host", ["example.org", "localhost", "hooks.land.gov.example", "deadbeef"])
def test_host_names_are_not_literal_addresses(host: str) -> None:
    assert literal_address(host) is None


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://hooks.land.gov.example/concord", "https"),
        ("https://127.0.0.1/hook", "loopback"),
        ("https://10.0.0.1/hook", "private"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
        ("https://2130706433/", "loopback"),
        ("https://0x7f.1/", "loopback"),
        ("https://[::1]:8443/", "loopback"),
        ("https://[::ffff:127.0.0.1]/", "loopback"),
        ("https://[fd00::5]/", "private"),
        ("https://224.1.1.1/", "multicast"),
        ("https://0.0.0.0/", "unspecified"),
        ("https://hook:pa55@hooks.land.gov.example/", "password"),
        ("https://hook@hooks.land.gov.example/", "user name"),
        ("ftp://hooks.land.gov.example/", "http(s)"),
        ("https:///nohost", "host"),
    ],
)
def test_outside_development_a_url_must_be_https_to_a_public_host(url: str, says: str) -> None:
    reason = refusal_of_url(url, development=False)
    assert reason is not None and says in reason


@pytest.mark.parametrize(
    "url",
    ["https://hooks.land.gov.example/concord", "https://8.8.8.8/x", "https://localhost:8443/"],
)
def test_https_to_a_public_address_or_a_host_name_is_registered(url: str) -> None:
    # A host name is checked when connecting, against what it then resolves to.
    assert refusal_of_url(url, development=False) is None


def test_development_allows_plain_http_to_loopback_but_never_credentials() -> None:
    assert refusal_of_url("http://127.0.0.1:8080/hook", development=True) is None
    assert refusal_of_url("http://localhost:8080/hook", development=True) is None
    reason = refusal_of_url("http://u:p@127.0.0.1:8080/hook", development=True)
    assert reason is not None and "password" in reason


@pytest.mark.parametrize(
    ("secret", "says"),
    [
        ("too-short-but-random-Zq8", "32 bytes"),
        ("a" * 40, "guess"),
        ("abc" * 12, "guess"),
        ("0123456789abcdefghijklmnopqrstuvwxyz", "guess"),
        ("passwordpasswordpasswordpassword12", "guess"),
        ("qwertyuiopasdfghjklzxcvbnm1234567890", "guess"),
        ("land" * 9, "guess"),
        ("a" * 200, "guess"),  # past the length zxcvbn estimates, still one character
    ],
)
def test_weak_secrets_are_refused(secret: str, says: str) -> None:
    reason = weakness_of_secret(secret, ["land"])
    assert reason is not None and says in reason


@pytest.mark.parametrize(
    "secret",
    [
        secrets.token_hex(16),  # `openssl rand -hex 16`
        secrets.token_hex(32),
        secrets.token_urlsafe(32),
        secrets.token_urlsafe(150),  # longer than zxcvbn's limit
        "a-secret-only-land-and-concord-know",  # a long passphrase
    ],
)
def test_random_secrets_and_long_passphrases_pass(secret: str) -> None:
    assert weakness_of_secret(secret, ["land"]) is None


def test_a_made_secret_is_strong_and_new_each_time() -> None:
    made = {new_secret() for _ in range(20)}
    assert len(made) == 20
    assert all(weakness_of_secret(s) is None for s in made)


class _Recorded(httpcore.AsyncNetworkBackend):
    """Stands in for the socket layer: records where it was asked to connect."""

    def __init__(self) -> None:
        self.connected: list[tuple[str, int]] = []

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 -- httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.connected.append((host, port))
        return httpcore.AsyncMockStream([])


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "2130706433", "0x7f.1", "::1"])
async def test_a_connection_to_what_resolves_to_loopback_is_refused_before_connecting(
    host: str,
) -> None:
    sockets = _Recorded()
    with pytest.raises(TargetRefused, match="loopback"):
        await PublicAddressesOnly(sockets).connect_tcp(host, 443, timeout=5)
    assert sockets.connected == []


async def test_a_public_address_is_connected_to_as_resolved() -> None:
    sockets = _Recorded()
    await PublicAddressesOnly(sockets).connect_tcp("93.184.215.14", 443, timeout=5)
    assert sockets.connected == [("93.184.215.14", 443)]


async def test_no_local_sockets() -> None:
    with pytest.raises(TargetRefused):
        await PublicAddressesOnly(_Recorded()).connect_unix_socket("/run/docker.sock")
