from __future__ import annotations

import pytest
from pydantic import SecretStr

from policyqa.errors import PolicyQAError
from webui.auth import parse_auth


def test_parse_auth():
    assert parse_auth(None) is None and parse_auth(SecretStr("  ")) is None
    assert parse_auth(SecretStr("alice:pw1, bob:p:w2")) == [("alice", "pw1"), ("bob", "p:w2")]


@pytest.mark.parametrize("bad", ["alice", "alice:", ":pw", "alice:pw,,bob:x"])
def test_bad_auth_is_a_clear_error_without_the_secret(bad):
    with pytest.raises(PolicyQAError) as err:
        parse_auth(SecretStr(bad))
    assert "pw" not in str(err.value) and "alice" not in str(err.value)
