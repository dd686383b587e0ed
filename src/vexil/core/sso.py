"""Single sign-on with OpenID Connect (docs/people.md "Single sign-on"): the authorization code flow
with PKCE (S256), `state` and `nonce`, against a provider found by discovery.

The OAuth and JOSE work is authlib's (the authorization URL, the S256 challenge, the client's
authentication at the token endpoint, the ID token's claim checks) and its companion joserfc's (the
signature against the provider's published keys): nothing of it is written by hand here. What is
Vexil's is what a sign-in must hold between its two requests, and who the person is afterwards.

Between `/sso/login` and `/sso/callback` the browser carries a *pending sign-in*: the state, the
nonce, the PKCE verifier, the callback URL, the admin UI page to return to (`return_path`: only a
path of this server's `/ui/`, so never an open redirect) and when it expires, in an HttpOnly cookie signed with
a key derived from the client secret (HMAC-SHA256). Every replica can read it (they share the
client secret), none needs a table, and nobody without the secret can make one: a browser can only
present a pending sign-in that this server gave to a browser. The `state` of the callback must
equal the pending one, and a state is accepted once per process (`_used`); the code is single-use
at the provider anyway, so a replay on another replica fails there.

The ID token is checked for its signature (the provider's JWKS, fetched again once when a key is
unknown, for rotations), `iss`, `aud`, `azp`, `exp`, `iat` and the pending `nonce`. The claims are
then the ID token's, completed by the userinfo endpoint's (many providers put `email` or `groups`
only there) when its `sub` is the same. The role is computed on every sign-in from the claim named
by the settings, so a change of groups at the provider reaches Vexil at the next sign-in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.auth import ClientAuth
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from vexil.core.auth import PERSON_ROLES
from vexil.core.people import People, normal_email
from vexil.core.validation import InvalidInput
from vexil.store.errors import Conflict
from vexil.store.sql import SqlStore

log = logging.getLogger("vexil.sso")
# A sign-in started at the provider must come back within this many seconds.
PENDING_SECONDS = 600
# Leeway for the ID token's times against this server's clock.
LEEWAY_SECONDS = 60
# How long the provider's discovery document is kept before it is fetched again.
DISCOVERY_SECONDS = 3600
HTTP_TIMEOUT = 10.0
# Signature algorithms accepted for ID tokens: asymmetric ones only (never `none`, never a MAC
# keyed with the client secret).
SIGNING_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"}
)
ROLE_ORDER = tuple(role.value for role in PERSON_ROLES)  # lowest first
# What audit events of people made or changed by a sign-in name as their actor.
SSO_ACTOR = "vexil"
# Where a sign-in returns by default, and the prefix of every page it may return to.
UI_HOME = "/ui/"
MAX_RETURN_PATH = 512


class ProviderSettings(Protocol):
    """What a sign-in reads of the settings (`config.OidcSettings`, from `VEXIL_OIDC_*`)."""

    @property
    def issuer(self) -> str: ...
    @property
    def client_id(self) -> str: ...
    @property
    def client_secret(self) -> str: ...
    @property
    def scopes(self) -> str: ...
    @property
    def role_claim(self) -> str: ...
    @property
    def roles(self) -> Mapping[str, str]: ...
    @property
    def default_role(self) -> str | None: ...
    @property
    def create_people(self) -> bool: ...


class SsoRefused(Exception):
    """A sign-in refused, in words for the person signing in; `status` is the HTTP status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class Pending:
    """What a sign-in holds between its two requests (see the module)."""

    state: str
    nonce: str
    verifier: str
    redirect_uri: str
    expires: float
    then: str = UI_HOME  # the admin UI page to return to (`return_path`)


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the provider says signed in, and the Vexil role their claims map to."""

    subject: str
    email: str
    name: str
    role: str


class Sso:
    """One configured provider: starting a sign-in, finishing it, and the person it signs in."""

    def __init__(self, settings: ProviderSettings, *, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.clock = clock
        self._key = hashlib.sha256(b"vexil-sso-pending:" + settings.client_secret.encode()).digest()
        self._discovery: tuple[float, dict[str, Any]] | None = None
        self._keys: KeySet | None = None
        self._used: dict[str, float] = {}

    # --- the two requests -------------------------------------------------------------------

    async def start(self, redirect_uri: str, then: str = UI_HOME) -> tuple[str, str]:
        """The provider's authorization URL to send the browser to, and the signed pending sign-in
        to keep in its cookie; `then`, a checked `return_path`, is where the callback sends it."""
        provider = await self.provider()
        pending = Pending(
            state=generate_token(32),
            nonce=generate_token(32),
            verifier=generate_token(64),
            redirect_uri=redirect_uri,
            expires=self.clock() + PENDING_SECONDS,
            then=then,
        )
        url = prepare_grant_uri(
            provider["authorization_endpoint"],
            self.settings.client_id,
            "code",
            redirect_uri=redirect_uri,
            scope=self.settings.scopes,
            state=pending.state,
            nonce=pending.nonce,
            code_challenge=create_s256_code_challenge(pending.verifier),
            code_challenge_method="S256",
        )
        return url, self.seal(pending)

    async def finish(self, sealed: str | None, params: Mapping[str, str]) -> tuple[Identity, str]:
        """The identity of a callback's `params` (code, state, or the provider's error), given the
        pending sign-in's cookie `sealed`, and the page to return to; `SsoRefused` saying why not."""
        pending = self.open(sealed)
        state = params.get("state", "")
        if not hmac.compare_digest(state.encode(), pending.state.encode()):
            raise SsoRefused("this sign-in does not match the one this browser started: start again", 400)
        if "error" in params:
            # Quoted only once the state matched: a link made elsewhere cannot put words on the page.
            said = (params.get("error_description") or params["error"])[:200]
            raise SsoRefused(f"the identity provider refused the sign-in: {said}", 401)
        if self._used.get(pending.state) is not None:
            raise SsoRefused("this sign-in was already used: start again", 400)
        self._remember(pending)
        issuer = params.get("iss")
        if issuer is not None and issuer != self.settings.issuer:
            raise SsoRefused(f"the answer came from {issuer!r}, not the configured provider", 400)
        code = params.get("code")
        if not code:
            raise SsoRefused("the identity provider sent no authorization code: start again", 400)
        tokens = await self._exchange(code, pending)
        claims = await self._claims(tokens, pending.nonce)
        return self.identity(claims), pending.then

    # --- the pending sign-in ------------------------------------------------------------------

    def seal(self, pending: Pending) -> str:
        body = json.dumps(
            {
                "s": pending.state,
                "n": pending.nonce,
                "v": pending.verifier,
                "r": pending.redirect_uri,
                "e": pending.expires,
                "t": pending.then,
            },
            separators=(",", ":"),
        ).encode()
        return f"{_b64(body)}.{_b64(hmac.new(self._key, body, hashlib.sha256).digest())}"

    def open(self, sealed: str | None) -> Pending:
        """The pending sign-in of a cookie this server sealed, unexpired; `SsoRefused` otherwise."""
        if not sealed:
            raise SsoRefused("no sign-in was started in this browser (or its cookie expired): start again", 400)
        try:
            body_text, signature = sealed.split(".", 1)
            body = _unb64(body_text)
            if not hmac.compare_digest(_unb64(signature), hmac.new(self._key, body, hashlib.sha256).digest()):
                raise ValueError("signature")
            fields = json.loads(body)
            then = return_path(fields.get("t", UI_HOME))
            pending = Pending(fields["s"], fields["n"], fields["v"], fields["r"], float(fields["e"]), then)
        except (ValueError, KeyError, TypeError, SsoRefused) as exc:
            raise SsoRefused("this sign-in was not started by this server: start again", 400) from exc
        if self.clock() >= pending.expires:
            raise SsoRefused(f"this sign-in took longer than {PENDING_SECONDS // 60} minutes: start again", 400)
        return pending

    def _remember(self, pending: Pending) -> None:
        now = self.clock()
        for state in [state for state, expires in self._used.items() if expires <= now]:
            del self._used[state]
        self._used[pending.state] = pending.expires

    # --- the provider -------------------------------------------------------------------------

    async def provider(self) -> dict[str, Any]:
        """The provider's discovery document (`/.well-known/openid-configuration`), kept an hour."""
        now = self.clock()
        if self._discovery is not None and now - self._discovery[0] < DISCOVERY_SECONDS:
            return self._discovery[1]
        url = self.settings.issuer.rstrip("/") + "/.well-known/openid-configuration"
        document = await self._get_json(url, "its discovery document")
        if document.get("issuer") != self.settings.issuer:
            raise SsoRefused(
                f"the identity provider names itself {document.get('issuer')!r}, not {self.settings.issuer!r}: "
                "VEXIL_OIDC_ISSUER must be its issuer exactly",
                502,
            )
        for endpoint in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(document.get(endpoint), str):
                raise SsoRefused(f"the identity provider's discovery document has no {endpoint}", 502)
        self._discovery = (now, document)
        return document

    async def _get_json(self, url: str, what: str, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
        try:
            async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as http:
                response = await http.get(url, headers=headers)
        except httpx.HTTPError as exc:
            log.warning("single sign-on: %s unreachable for %s: %r", url, what, exc)
            raise SsoRefused(f"the identity provider could not be reached for {what}: try again later", 502) from exc
        return _json_answer(response, what)

    async def _exchange(self, code: str, pending: Pending) -> dict[str, Any]:
        """The token endpoint's answer for `code`, with the PKCE verifier and the client secret."""
        provider = await self.provider()
        body = urlencode(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": pending.redirect_uri,
                "code_verifier": pending.verifier,
            }
        )
        methods = provider.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
        method = "client_secret_basic" if "client_secret_basic" in methods else "client_secret_post"
        auth = ClientAuth(self.settings.client_id, self.settings.client_secret, method)
        headers = {"content-type": "application/x-www-form-urlencoded", "accept": "application/json"}
        url, headers, body = auth.prepare("POST", provider["token_endpoint"], headers, body)
        try:
            async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as http:
                response = await http.post(url, headers=headers, content=body)
        except httpx.HTTPError as exc:
            log.warning("single sign-on: %s unreachable for the token: %r", url, exc)
            raise SsoRefused("the identity provider could not be reached for the token: try again later", 502) from exc
        if response.status_code == 400:
            said = _json_or_empty(response)
            raise SsoRefused(
                f"the identity provider refused the code: {said.get('error_description') or said.get('error')}", 401
            )
        tokens = _json_answer(response, "the token")
        if not isinstance(tokens.get("id_token"), str):
            raise SsoRefused("the identity provider gave no ID token: include openid in VEXIL_OIDC_SCOPES", 502)
        return tokens

    async def _claims(self, tokens: Mapping[str, Any], nonce: str) -> dict[str, Any]:
        """The ID token's checked claims, completed by the userinfo endpoint's."""
        provider = await self.provider()
        algorithms = set(provider.get("id_token_signing_alg_values_supported") or ["RS256"]) & SIGNING_ALGORITHMS
        token = await self._decode(tokens["id_token"], algorithms or {"RS256"})
        claims = CodeIDToken(
            token.claims,
            token.header,
            options={"iss": {"essential": True, "value": self.settings.issuer}, "aud": {"essential": True}},
            params={"nonce": nonce, "client_id": self.settings.client_id, "access_token": tokens.get("access_token")},
        )
        try:
            claims.validate(now=int(self.clock()), leeway=LEEWAY_SECONDS)
        except JoseError as exc:
            raise SsoRefused(f"the ID token is not valid for this sign-in ({_why(exc)}): start again", 401) from exc
        audience = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if self.settings.client_id not in audience:
            raise SsoRefused("the ID token is not valid for this sign-in (it was issued to another client)", 401)
        found = dict(claims)
        userinfo = provider.get("userinfo_endpoint")
        access = tokens.get("access_token")
        if isinstance(userinfo, str) and isinstance(access, str):
            more = await self._get_json(userinfo, "the userinfo", {"authorization": f"Bearer {access}"})
            if more.get("sub") == found["sub"]:
                found = {**more, **found}
        return found

    async def _decode(self, id_token: str, algorithms: set[str]) -> jwt.Token:
        for fresh in (False, True):
            if fresh or self._keys is None:
                self._keys = await self._key_set()
            try:
                return jwt.decode(id_token, self._keys, algorithms=sorted(algorithms))
            except (JoseError, ValueError) as exc:
                if fresh:
                    raise SsoRefused(f"the ID token's signature is not valid ({_why(exc)})", 401) from exc
        raise AssertionError("unreachable")

    async def _key_set(self) -> KeySet:
        provider = await self.provider()
        published = await self._get_json(provider["jwks_uri"], "its signing keys")
        try:
            return KeySet.import_key_set(published)  # type: ignore[arg-type]
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise SsoRefused(f"the identity provider's signing keys cannot be read ({_why(exc)})", 502) from exc

    # --- who signed in ------------------------------------------------------------------------

    def identity(self, claims: Mapping[str, Any]) -> Identity:
        """The person of checked claims: email, name and role (`SsoRefused` when either is missing)."""
        if claims.get("email_verified") is False:
            raise SsoRefused("the identity provider has not verified this account's email: Vexil needs one", 403)
        try:
            email = normal_email(claims.get("email"))
        except InvalidInput as exc:
            raise SsoRefused(
                "the identity provider gave no email for this account: add the email scope "
                "(VEXIL_OIDC_SCOPES) or an email at the provider",
                403,
            ) from exc
        given = claims.get("name") or claims.get("preferred_username")
        name = (given.strip() if isinstance(given, str) else "") or email.split("@")[0]
        role = self.role(claims)
        if role is None:
            values = ", ".join(sorted(_claim_values(claims, self.settings.role_claim))) or "none"
            raise SsoRefused(
                f"{email} has no Vexil role: none of their {self.settings.role_claim} ({values}) is mapped to a "
                "role (VEXIL_OIDC_ROLES): ask an admin",
                403,
            )
        return Identity(str(claims["sub"]), email, name[:200], role)

    def role(self, claims: Mapping[str, Any]) -> str | None:
        """The highest role that a value of the role claim maps to, else the default role."""
        values = _claim_values(claims, self.settings.role_claim)
        mapped = {self.settings.roles[value] for value in values if value in self.settings.roles}
        for role in reversed(ROLE_ORDER):
            if role in mapped:
                return role
        return self.settings.default_role


async def person_for(identity: Identity, store: SqlStore, people: People, *, create: bool) -> dict[str, Any]:
    """The person `identity` signs in as: made on first sign-in when `create`, their name and role
    brought up to the provider's otherwise (audited, actor `vexil`); `SsoRefused` for a disabled or
    unknown person, or a change that would leave no admin."""
    found = await store.person_for_sign_in(identity.email)
    if found is None:
        if not create:
            raise SsoRefused(f"{identity.email} has no Vexil account: ask an admin to add them", 403)
        fields = {"email": identity.email, "name": identity.name, "role": identity.role}
        return await people.create(fields, actor=SSO_ACTOR)
    person = found[0]
    if person["disabled"]:
        raise SsoRefused(f"{identity.email} is disabled in Vexil: ask an admin", 403)
    changes = {key: value for key, value in (("name", identity.name), ("role", identity.role)) if person[key] != value}
    if not changes:
        return person
    try:
        return await people.update(person["id"], changes, actor=SSO_ACTOR)
    except Conflict as exc:
        raise SsoRefused(str(exc), 409) from exc


def return_path(value: Any) -> str:
    """`value` as the admin UI page a sign-in returns to: a path under `/ui/` of this server (its
    hash route included, `/ui/#/flags/checkout`), in visible ASCII without a backslash, at most
    `MAX_RETURN_PATH` characters; `SsoRefused` (400) otherwise. Starting with `/ui/`, it can name
    no other host or scheme: the sign-in can never send the browser elsewhere (no open redirect)."""
    if (
        not isinstance(value, str)
        or not value.startswith(UI_HOME)
        or len(value) > MAX_RETURN_PATH
        or any(not "!" <= char <= "~" or char == "\\" for char in value)
    ):
        raise SsoRefused(
            f"next: give a page of this admin UI to return to after signing in (a path starting with {UI_HOME}, "
            f"at most {MAX_RETURN_PATH} characters), not {str(value)[:80]!r}",
            400,
        )
    return value


def _claim_values(claims: Mapping[str, Any], path: str) -> set[str]:
    """The values of the claim at the dotted `path` (a string or a list of them)."""
    value: Any = claims
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    if isinstance(value, str):
        return {value}
    if isinstance(value, list):
        return {item for item in value if isinstance(item, str)}
    return set()


def _json_answer(response: httpx.Response, what: str) -> dict[str, Any]:
    answer = _json_or_empty(response)
    if response.status_code != 200 or not answer:
        raise SsoRefused(f"the identity provider answered {response.status_code} for {what}", 502)
    return answer


def _json_or_empty(response: httpx.Response) -> dict[str, Any]:
    try:
        answer = response.json()
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


def _why(exc: Exception) -> str:
    return getattr(exc, "description", None) or str(exc) or type(exc).__name__


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
