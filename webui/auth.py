"""`POLICYQA_AUTH`: optional login for the app, as `user:password` pairs."""

from __future__ import annotations

from pydantic import SecretStr

from policyqa.errors import PolicyQAError


def parse_auth(value: SecretStr | str | None) -> list[tuple[str, str]] | None:
    """'alice:pw1,bob:pw2' -> [('alice', 'pw1'), ('bob', 'pw2')]; None when unset.

    A password may contain ':' (the first one separates); pairs are comma separated,
    so a password cannot contain ','. Error messages never include a password."""
    raw = value.get_secret_value() if isinstance(value, SecretStr) else value
    if raw is None or not raw.strip():
        return None
    pairs = []
    for n, item in enumerate(raw.split(","), 1):
        item = item.strip()
        user, sep, password = item.partition(":")
        user = user.strip()
        if not sep or not user or not password:
            raise PolicyQAError(
                f"POLICYQA_AUTH entry {n} is not 'user:password' with both parts non-empty; "
                "use user:password pairs separated by commas"
            )
        pairs.append((user, password))
    return pairs
