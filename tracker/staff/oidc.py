"""Single sign-on with OpenID Connect: the authorization code flow with PKCE, state and nonce.

The flow, for one browser:

1. `begin()` makes a fresh `state`, `nonce` and PKCE verifier, stores them in `oidc_flow`
   (the state hashed, bound to a cookie of this browser, for 10 minutes) and returns the
   provider's authorization URL (with the S256 code challenge).
2. The provider sends the browser back to `/signin/oidc/callback` with a code and the state.
   `finish()` takes the flow row (deleting it, so a state works once, on any instance), checks
   the browser's cookie, swaps the code and verifier for tokens at the token endpoint, and
   verifies the ID token: signature against the issuer's published keys (JWKS, cached, fetched
   again when a token names a key we do not know), `iss`, `aud`, `azp`, `exp`, `iat`, `nonce`
   and, when present, `at_hash`.
3. `tracker.people.single_sign_on.account_for_claims()` finds the person (an active account
   linked to this subject, or with this email and not linked to another subject; with
   `OIDC_CREATE_USERS`, a new professional). Anyone else is refused with a kind message.

Discovery, JWKS and token requests go to the issuer with httpx; the JOSE work is authlib's
(joserfc signatures and key sets, authlib's OpenID Connect ID token claims).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from authlib.oauth2.auth import ClientAuth
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry
from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from tracker.people.single_sign_on import REFUSED, OidcRefused
from tracker.settings import Settings
from tracker.staff.tables import OidcFlow
from tracker.tokens import hash_token

log = logging.getLogger("tracker.staff")

FLOW_VALID_FOR = timedelta(minutes=10)
BROWSER_COOKIE = "tracker_oidc"
# Asymmetric signatures only: a token MACed with the client secret (HS256) or unsigned ("none")
# is refused whatever the provider advertises.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
LEEWAY_SECONDS = 60
METADATA_TTL_SECONDS = 3600
JWKS_TTL_SECONDS = 3600
# A token naming an unknown key fetches the JWKS again, but at most this often (so a stream
# of forged tokens cannot make us hammer the provider).
JWKS_REFETCH_SECONDS = 30
HTTP_TIMEOUT_SECONDS = 10.0

START_AGAIN = ("This sign-in had expired or had already been used. "
               "Please start again with your organisation's account.")
CANCELLED = ("Signing in with your organisation's account did not finish. "
             "Please try again, or ask your administrator for help.")
UNAVAILABLE = ("Your organisation's sign-in service did not answer. "
               "Please try again in a few minutes.")
PASSWORD_SIGNIN_OFF = (
    "Password sign-in is turned off here: please sign in with your organisation's account.")  # noqa: S105


@dataclass(frozen=True)
class Started:
    """Where to send the browser, and the cookie value that binds the flow to it."""

    authorization_url: str
    browser_token: str


def require_password_signin(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard for password sign-in and reset: refused when PASSWORD_SIGNIN is off."""
    settings: Settings = connection.app.state["settings"]
    if not settings.password_signin:
        raise PermissionDeniedException(PASSWORD_SIGNIN_OFF)


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


class OidcClient:
    """One configured OpenID provider: its discovery document and keys, cached per process."""

    def __init__(self, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self.issuer = settings.oidc_issuer
        self.client_id = settings.oidc_client_id
        self._transport = transport
        self._metadata: dict[str, Any] | None = None
        self._metadata_at = 0.0
        self._keys: KeySet | None = None
        self._keys_at = 0.0
        self._lock = asyncio.Lock()

    def _http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=HTTP_TIMEOUT_SECONDS, transport=self._transport,
                                 follow_redirects=False)

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            async with self._http() as http:
                response = await http.get(url, headers={"Accept": "application/json"})
            response.raise_for_status()
            data = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise OidcRefused(UNAVAILABLE, f"fetching {url} failed: {exc!r}", status=503) from exc
        if not isinstance(data, dict):
            raise OidcRefused(UNAVAILABLE, f"{url} did not answer a JSON object", status=503)
        return data

    async def metadata(self) -> dict[str, Any]:
        """The issuer's discovery document (cached an hour); its issuer must match exactly."""
        if self._metadata is not None and time.monotonic() - self._metadata_at < METADATA_TTL_SECONDS:
            return self._metadata
        url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
        data = await self._get_json(url)
        if data.get("issuer") != self.issuer:
            raise OidcRefused(UNAVAILABLE, "the discovery document names another issuer", status=503)
        for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(data.get(key), str) or urlsplit(data[key]).scheme not in {"https", "http"}:
                raise OidcRefused(UNAVAILABLE, f"the discovery document has no usable {key}", status=503)
        methods = data.get("code_challenge_methods_supported")
        if isinstance(methods, list) and "S256" not in methods:
            raise OidcRefused(UNAVAILABLE, "the provider does not support PKCE with S256", status=503)
        self._metadata, self._metadata_at = data, time.monotonic()
        return data

    async def key_set(self, *, refresh: bool = False) -> KeySet:
        """The issuer's published signing keys, cached; `refresh` fetches them again (rate-limited)."""
        async with self._lock:
            age = time.monotonic() - self._keys_at
            stale = self._keys is None or age >= JWKS_TTL_SECONDS
            if stale or (refresh and age >= JWKS_REFETCH_SECONDS):
                metadata = await self.metadata()
                data = await self._get_json(metadata["jwks_uri"])
                try:
                    self._keys = KeySet.import_key_set(data)  # type: ignore[arg-type]  # provider JSON; joserfc checks it
                except (JoseError, ValueError, TypeError, KeyError) as exc:
                    raise OidcRefused(UNAVAILABLE, f"the JWKS could not be read: {exc!r}", status=503) from exc
                self._keys_at = time.monotonic()
            assert self._keys is not None
            return self._keys

    async def begin(self, *, next_path: str, browser_token: str | None, now: datetime) -> Started:
        """Store a new flow for this browser and return the provider's authorization URL."""
        metadata = await self.metadata()
        if not browser_token or len(browser_token) > 100:
            browser_token = secrets.token_urlsafe(32)
        state = secrets.token_urlsafe(32)
        nonce = secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(64)  # 86 characters, within RFC 7636's 43-128
        # Housekeeping: flows nobody finished are of no use once expired.
        await OidcFlow.delete().where(OidcFlow.expires_at < now)
        await OidcFlow.insert(OidcFlow(
            state_hash=hash_token(state), browser_hash=hash_token(browser_token), nonce=nonce,
            code_verifier=verifier, next_path=next_path[:2000], created_at=now,
            expires_at=now + FLOW_VALID_FOR,
        ))
        url = prepare_grant_uri(
            metadata["authorization_endpoint"], self.client_id, "code",
            redirect_uri=self.settings.oidc_redirect_uri, scope=self.settings.oidc_scopes, state=state,
            nonce=nonce, code_challenge=create_s256_code_challenge(verifier),
            code_challenge_method="S256",
        )
        return Started(authorization_url=url, browser_token=browser_token)

    async def finish(self, *, params: Mapping[str, str], browser_token: str | None,
                     now: datetime) -> tuple[dict[str, Any], str]:
        """Take the flow named by `state`, swap the code, verify the ID token.

        Returns the verified claims and the local path to go on to. Raises OidcRefused.
        """
        state = params.get("state", "")
        if not state or len(state) > 200:
            raise OidcRefused(START_AGAIN, "callback without a state")
        # Taking the row deletes it: a state is good for one callback, on whichever instance.
        taken = await OidcFlow.delete().where(OidcFlow.state_hash == hash_token(state)).returning(
            OidcFlow.browser_hash, OidcFlow.nonce, OidcFlow.code_verifier, OidcFlow.next_path,
            OidcFlow.expires_at,
        )
        if not taken:
            raise OidcRefused(START_AGAIN, "unknown or already used state")
        flow = taken[0]
        if now >= flow["expires_at"]:
            raise OidcRefused(START_AGAIN, "expired state")
        if not browser_token or not _same(hash_token(browser_token), flow["browser_hash"]):
            raise OidcRefused(START_AGAIN, "state from another browser")
        if "iss" in params and params["iss"] != self.issuer:
            # RFC 9207: a response from another provider (mix-up) is refused.
            raise OidcRefused(REFUSED, "authorization response from another issuer")
        if params.get("error"):
            raise OidcRefused(CANCELLED, f"provider answered error={params['error'][:60]!r}")
        code = params.get("code", "")
        if not code or len(code) > 2000:
            raise OidcRefused(REFUSED, "callback without a code")
        tokens = await self.exchange_code(code, verifier=flow["code_verifier"])
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise OidcRefused(REFUSED, "token response without an ID token")
        access_token = tokens.get("access_token")
        claims = await self.verify_id_token(
            id_token, nonce=flow["nonce"], now=now,
            access_token=access_token if isinstance(access_token, str) else None)
        return claims, flow["next_path"]

    async def exchange_code(self, code: str, *, verifier: str) -> dict[str, Any]:
        """The token request (client_secret_basic, with the PKCE verifier)."""
        metadata = await self.metadata()
        url = metadata["token_endpoint"]
        body = prepare_token_request("authorization_code", code=code,
                                     redirect_uri=self.settings.oidc_redirect_uri, code_verifier=verifier)
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
        auth = ClientAuth(self.client_id, self.settings.oidc_client_secret, "client_secret_basic")
        url, headers, body = auth.prepare("POST", url, headers, body)
        try:
            async with self._http() as http:
                response = await http.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise OidcRefused(UNAVAILABLE, f"token request failed: {exc!r}", status=503) from exc
        try:
            data = response.json()
        except ValueError:
            data = {}
        if response.status_code != 200 or not isinstance(data, dict):
            error = data.get("error") if isinstance(data, dict) else None
            raise OidcRefused(REFUSED, f"token endpoint answered {response.status_code} error={error!r}")
        return data

    async def verify_id_token(self, id_token: str, *, nonce: str, now: datetime,
                              access_token: str | None = None) -> dict[str, Any]:
        """Verify an ID token: signature by the issuer's keys, then iss, aud, exp, iat, nonce."""
        metadata = await self.metadata()
        advertised = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
        algorithms = [alg for alg in advertised if alg in ALGORITHMS]
        if not algorithms:
            raise OidcRefused(UNAVAILABLE, f"no acceptable signing algorithm in {advertised!r}", status=503)
        registry = JWSRegistry(algorithms=algorithms)
        try:
            try:
                token = jwt.decode(id_token, await self.key_set(), registry=registry)
            except InvalidKeyIdError:
                # The provider may have rolled its keys since we last fetched them.
                token = jwt.decode(id_token, await self.key_set(refresh=True), registry=registry)
            params: dict[str, Any] = {"nonce": nonce, "client_id": self.client_id}
            if access_token:
                params["access_token"] = access_token
            claims = CodeIDToken(
                token.claims, token.header,
                {"iss": {"essential": True, "value": self.issuer},
                 "aud": {"essential": True, "value": self.client_id},
                 "nonce": {"essential": True}},
                params,
            )
            claims.validate(now=int(now.timestamp()), leeway=LEEWAY_SECONDS)
        except (JoseError, ValueError, TypeError) as exc:
            raise OidcRefused(REFUSED, f"ID token refused: {type(exc).__name__}: {exc}") from exc
        return dict(claims)


def client_for(app_state: Any) -> OidcClient:
    """The app's OpenID client (one per app, so its caches are shared by requests)."""
    client = app_state.get("oidc_client")
    if not isinstance(client, OidcClient):
        client = OidcClient(app_state["settings"])
        app_state["oidc_client"] = client
    return client
