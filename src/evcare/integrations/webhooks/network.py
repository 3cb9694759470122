"""The SSRF guard: which addresses a webhook may reach, checked at creation and at every
attempt.

A URL's host is resolved once per attempt (:func:`vet`); every address it resolves to
must be public (not loopback, private, link-local, multicast, reserved or unspecified),
and the attempt then connects to the vetted address itself (:func:`pinned_request`), so
a name that resolves to a public address for the check and to 10.0.0.1 for the
connection (DNS rebinding) cannot slip through. ``webhook_allow_private_networks``
(development and tests) lets private addresses through; the scheme rule stays.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from evcare.core.errors import FieldError, WebhookUrlRefused

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# host, port -> the addresses the host resolves to.
Resolver = Callable[[str, int], Awaitable[list[str]]]

MAX_URL_LENGTH = 2048
# A name that does not resolve in this long is refused (the attempt's 15 s cover it too).
RESOLVE_SECONDS = 5.0


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    return [str(info[4][0]) for info in infos]


# The one resolver every check uses; tests point it at their own answers.
resolver: Resolver = system_resolver


@dataclass(frozen=True)
class VettedUrl:
    url: httpx.URL
    address: str  # the resolved address the attempt connects to


def _refused(reason: str) -> WebhookUrlRefused:
    return WebhookUrlRefused(f"Webhook URL refused: {reason}", fields=[FieldError("url", reason)])


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def check_form(raw: str, *, require_https: bool) -> httpx.URL:
    """The URL's shape alone: absolute http(s), a host, no credentials, bounded."""
    if len(raw) > MAX_URL_LENGTH:
        raise _refused(f"longer than {MAX_URL_LENGTH} characters")
    try:
        url = httpx.URL(raw)
    except httpx.InvalidURL as error:
        raise _refused("not a valid URL") from error
    if url.scheme not in ("https", "http") or not url.host:
        raise _refused("an absolute http(s) URL is required")
    if require_https and url.scheme != "https":
        raise _refused("https is required")
    if url.userinfo:
        raise _refused("credentials in the URL are not allowed")
    return url


async def vet(raw: str, *, require_https: bool, allow_private: bool) -> VettedUrl:
    """Resolve the URL's host once and refuse it unless every address is allowed; the
    first vetted address is the one to connect to."""
    url = check_form(raw, require_https=require_https)
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        literal: IPAddress | None = ipaddress.ip_address(url.host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            async with asyncio.timeout(RESOLVE_SECONDS):
                addresses = await resolver(url.host, port)
        except (OSError, UnicodeError, TimeoutError) as error:
            raise _refused(f"{url.host} does not resolve") from error
    if not addresses:
        raise _refused(f"{url.host} does not resolve")
    parsed = [ipaddress.ip_address(address.split("%", 1)[0]) for address in addresses]
    if not allow_private:
        for address in parsed:
            if not is_public(address):
                raise _refused(f"{url.host} resolves to a non-public address")
    return VettedUrl(url=url, address=str(parsed[0]))


def pinned_request(vetted: VettedUrl, *, content: bytes, headers: dict[str, str]) -> httpx.Request:
    """A POST to the vetted address with the URL's own Host header and TLS server name
    (SNI and certificate check against the name, not the address)."""
    url = vetted.url
    request = httpx.Request(
        "POST",
        url.copy_with(host=vetted.address),
        content=content,
        headers={**headers, "Host": url.netloc.decode("ascii")},
        extensions={"sni_hostname": url.host} if url.scheme == "https" else {},
    )
    return request
