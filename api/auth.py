"""Bearer-key auth for the HTTP APIs: `POLICYQA_API_KEY`, one key or several, comma separated.

Once any key is set, every API request needs one (`Authorization: Bearer <key>`), and a
request that changes the collection needs one of the admin keys (`POLICYQA_ADMIN_KEY`). A server
that listens beyond loopback with no key refuses to start: an open question-answering
endpoint on a network leaks the documents to anyone who can reach it. Keys are compared
in constant time and never logged, echoed or put into an error message.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re

from fastapi import Request
from pydantic import SecretStr
from starlette.datastructures import Headers

from api.errors import APIError
from policyqa.errors import PolicyQAError
from policyqa.settings import Settings

LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}
USER_HEADER = "X-PolicyQA-User"
_USER_NAME = re.compile(r"[\w.@+-]{1,100}")


def parse_keys(value: SecretStr | str | None) -> tuple[str, ...]:
    raw = value.get_secret_value() if isinstance(value, SecretStr) else value
    return tuple(k.strip() for k in (raw or "").split(",") if k.strip())


def is_loopback(host: str) -> bool:
    host = host.strip().strip("[]")
    if host.casefold() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name or a wildcard ("0.0.0.0" parses; "" does not)


def all_keys(settings: Settings) -> tuple[str, ...]:
    """Every key the API accepts: the API keys and the admin keys."""
    return parse_keys(settings.api_key) + parse_keys(settings.admin_key)


def check_exposure(settings: Settings) -> None:
    """Refuse to serve the API beyond loopback without a key (see the module docstring)."""
    if not is_loopback(settings.host) and not all_keys(settings):
        raise PolicyQAError(
            f"the API would listen on {settings.host} with no key: set POLICYQA_API_KEY (one key or several, "
            "comma separated) or bind to 127.0.0.1 (POLICYQA_HOST)"
        )


class KeyCheck:
    """The request's bearer key must be one of `keys` (none set: open). A FastAPI dependency,
    and `guard(app)` for a plain ASGI app (the MCP server over HTTP)."""

    def __init__(self, keys: tuple[str, ...]):
        self._keys = [k.encode() for k in keys]

    def __call__(self, request: Request) -> None:
        self.check(request.headers.get("authorization", ""))

    def check(self, authorization: str) -> str | None:
        """The key the request carries, once it is one of ours (None when the API is open)."""
        if not self._keys:
            return None
        scheme, _, token = authorization.partition(" ")
        if scheme.casefold() != "bearer" or not token.strip():
            raise APIError(
                401,
                "this server needs an API key: send it as 'Authorization: Bearer <key>'",
                code="missing_api_key",
                headers={"WWW-Authenticate": "Bearer"},
            )
        given = token.strip().encode()
        # Every key is compared, so the time taken does not say which one came close.
        matched = [hmac.compare_digest(given, key) for key in self._keys]
        if not any(matched):
            raise APIError(
                401, "the API key is not valid", code="invalid_api_key", headers={"WWW-Authenticate": "Bearer"}
            )
        return given.decode()

    def owner(self, request: Request) -> str:
        """Whose saved conversations a request reaches: its API key's (by a digest, never the
        key itself), or everyone's on an open loopback server; narrowed to one of the key's
        own users when the client names one in `X-PolicyQA-User` (a backend serving many
        people with one key keeps their conversations apart)."""
        key = self.check(request.headers.get("authorization", ""))
        owner = "api:" + (hashlib.sha256(key.encode()).hexdigest()[:24] if key else "open")
        user = request.headers.get(USER_HEADER)
        if user is None:
            return owner
        if not _USER_NAME.fullmatch(user):
            raise APIError(
                400,
                f"{USER_HEADER} must be 1-100 letters, digits or . _ @ + -",
                code="invalid_user",
                param=USER_HEADER,
            )
        return f"{owner}:user:{user}"

    def guard(self, app):
        """`app` behind the key check."""

        async def guarded(scope, receive, send):
            if scope["type"] == "http":
                headers = Headers(scope=scope)
                try:
                    self.check(headers.get("authorization", ""))
                except APIError as exc:
                    return await exc.response()(scope, receive, send)
            return await app(scope, receive, send)

        return guarded


class AdminCheck:
    """A FastAPI dependency for requests that change the collection: with no key set at all
    (an open loopback server) anyone may, as in the app; once any key is set, only an
    admin key may (see the module docstring)."""

    def __init__(self, settings: Settings):
        admins = parse_keys(settings.admin_key)
        self._open = not all_keys(settings)
        self._admins = KeyCheck(admins) if admins else None

    def __call__(self, request: Request) -> None:
        if self._open:
            return
        if self._admins is None:
            raise APIError(
                403,
                "this server does not let API keys change the collection: set POLICYQA_ADMIN_KEY and use one of those keys",
                code="read_only",
            )
        try:
            self._admins.check(request.headers.get("authorization", ""))
        except APIError as exc:
            raise APIError(
                403, "changing the collection needs an admin key (POLICYQA_ADMIN_KEY)", code="not_admin"
            ) from exc
