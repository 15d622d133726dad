"""A real OpenID Connect provider on loopback (npm `oidc-provider`, tests/oidc/server.mjs).

`make test` installs it (npm ci in tests/oidc). The provider signs with a key the test makes,
so tests can also sign tokens of their own with the provider's real key (to show that only
the claim they changed is what gets a token refused).
"""

from __future__ import annotations

import html
import json
import os
import re
import selectors
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

OIDC_DIR = Path(__file__).resolve().parent.parent / "oidc"
CLIENT_ID = "plan-tracker"
CLIENT_SECRET = "loopback-client-secret-0123456789"  # noqa: S105 - a test provider's client


def provider_missing() -> str | None:
    """Why the loopback provider cannot run here, or None."""
    if shutil.which("node") is None:
        return "node is not installed (apt-get install nodejs)"
    if not (OIDC_DIR / "node_modules" / "oidc-provider").is_dir():
        return "oidc-provider is not installed: run `make test` (or `npm ci` in tests/oidc)"
    return None


def skip_or_fail_without_provider() -> None:
    """Skip with the reason on a laptop; in CI a missing provider is a failure, not a skip."""
    reason = provider_missing()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


def new_key(kid: str) -> RSAKey:
    """A fresh RSA signing key (2048 bits) with a key id."""
    return RSAKey.generate_key(2048, parameters={"kid": kid, "alg": "RS256", "use": "sig"}, private=True)


@dataclass
class LoopbackProvider:
    """A running oidc-provider: its issuer URL, signing key and accounts (sub -> claims)."""

    issuer: str
    key: RSAKey
    accounts: dict[str, dict[str, Any]]
    process: subprocess.Popen[str]
    log: list[str] = field(default_factory=list)

    def sign(self, claims: dict[str, Any], *, key: RSAKey | None = None) -> str:
        """An ID token signed with the provider's own key (or another one)."""
        use = key or self.key
        return jwt.encode({"alg": "RS256", "kid": use.kid}, claims, use)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_provider(*, redirect_uris: list[str], accounts: dict[str, dict[str, Any]]) -> LoopbackProvider:
    """Start `node tests/oidc/server.mjs` on a free loopback port and wait until it listens."""
    key = new_key("provider-key-1")
    config = {
        "port": 0,
        "client": {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": redirect_uris},
        "accounts": accounts,
        "jwks": {"keys": [key.as_dict(private=True)]},
    }
    process = subprocess.Popen(  # noqa: S603 - our own script
        ["node", str(OIDC_DIR / "server.mjs"), json.dumps(config)], cwd=OIDC_DIR,
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + 30
    line = ""
    while time.monotonic() < deadline and not line:
        if selector.select(timeout=0.5):
            line = process.stdout.readline()
        if process.poll() is not None:
            break
    selector.close()
    match = re.match(r"listening (\d+)", line)
    if not match:
        process.kill()
        raise RuntimeError(f"the loopback OpenID provider did not start: {line!r}")
    return LoopbackProvider(issuer=f"http://127.0.0.1:{match.group(1)}", key=key, accounts=accounts,
                            process=process)


async def sign_in_at_provider(provider_client: Any, authorization_url: str, *, login: str,
                              app_base: str) -> str:
    """Be the person at the provider: follow its redirects, submit its login and consent forms.

    Returns the URL the provider finally sends the browser to (our callback, with code and state).
    """
    response = await provider_client.get(authorization_url)
    for _ in range(12):
        if response.is_redirect:
            location = urljoin(str(response.url), response.headers["location"])
            if location.startswith(app_base):
                return location
            response = await provider_client.get(location)
            continue
        assert response.status_code == 200, f"provider answered {response.status_code}: {response.text[:500]}"
        action = re.search(r'<form[^>]*action="([^"]+)"', response.text)
        prompt = re.search(r'name="prompt" value="(\w+)"', response.text)
        assert action and prompt, f"no form on the provider's page: {response.text[:500]}"
        data = {"prompt": prompt.group(1)}
        if prompt.group(1) == "login":
            data.update(login=login, password="any password: the loopback provider does not check it")
        response = await provider_client.post(urljoin(str(response.url), html.unescape(action.group(1))),
                                              data=data)
    raise AssertionError("the provider never sent the browser back")
