"""A socket.io handshake signed in by the web console's cookie, from its own pages only."""

from __future__ import annotations

from evcare.realtime.access import cookie_token


def test_the_cookie_of_a_same_origin_handshake_is_its_token() -> None:
    environ = {
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_ORIGIN": "http://127.0.0.1:8000",
        "HTTP_COOKIE": "evcare_csrf=abc; evcare_access=the.token",
    }
    assert cookie_token(environ) == "the.token"


def test_a_handshake_without_origin_may_use_the_cookie() -> None:
    assert cookie_token({"HTTP_HOST": "h", "HTTP_COOKIE": "evcare_access=t"}) == "t"


def test_a_handshake_from_another_origin_cannot_borrow_the_cookie() -> None:
    environ = {
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_ORIGIN": "https://evil.example",
        "HTTP_COOKIE": "evcare_access=the.token",
    }
    assert cookie_token(environ) is None


def test_no_cookie_or_a_malformed_one_is_no_token() -> None:
    assert cookie_token({"HTTP_HOST": "h"}) is None
    assert cookie_token({"HTTP_HOST": "h", "HTTP_COOKIE": "evcare_access="}) is None
