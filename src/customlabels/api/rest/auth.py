"""Who is calling: a console session (signed cookie, with a CSRF token for changes) or HTTP Basic keys.

Both use the server's one access key pair. Sessions are signed with a key derived from the secret,
so changing the secret ends every session; logging out revokes the session until it would expire.
"""

import base64
import binascii
import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from customlabels.credentials import Credentials

SESSION_COOKIE = "customlabels_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_SECONDS = 12 * 3600


@dataclass(frozen=True)
class Caller:
    session_id: str | None  # None for HTTP Basic callers, who need no CSRF token


class NotSignedIn(Exception):
    pass


class CsrfRejected(Exception):
    pass


@dataclass
class Authenticator:
    credentials: Credentials
    lifetime: int = SESSION_SECONDS
    clock: Callable[[], float] = time.time
    _revoked: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def _key(self) -> bytes:
        return hmac.new(self.credentials.secret_access_key.encode(), b"customlabels console session", hashlib.sha256).digest()

    def keys_match(self, access_key_id: str, secret_access_key: str) -> bool:
        return hmac.compare_digest(access_key_id.encode(), self.credentials.access_key_id.encode()) & hmac.compare_digest(
            secret_access_key.encode(), self.credentials.secret_access_key.encode()
        )

    def open_session(self) -> str:
        """A new cookie value: session id, expiry and signature."""
        body = f"{secrets.token_urlsafe(18)}.{int(self.clock()) + self.lifetime}"
        return f"{body}.{self._sign(body)}"

    def session_id(self, cookie: str | None) -> str | None:
        if not cookie or cookie.count(".") != 2:
            return None
        body, signature = cookie.rsplit(".", 1)
        if not hmac.compare_digest(signature, self._sign(body)):
            return None
        session_id, expires = body.split(".")
        if not expires.isdigit() or int(expires) < self.clock():
            return None
        with self._lock:
            if session_id in self._revoked:
                return None
        return session_id

    def close_session(self, cookie: str | None) -> None:
        session_id = self.session_id(cookie)
        if session_id is None or cookie is None:
            return
        expires = int(cookie.split(".")[1])
        with self._lock:
            now = self.clock()
            self._revoked = {sid: until for sid, until in self._revoked.items() if until > now}
            self._revoked[session_id] = expires

    def csrf_token(self, session_id: str) -> str:
        return self._sign(f"csrf.{session_id}")

    def csrf_matches(self, session_id: str, token: str | None) -> bool:
        return token is not None and hmac.compare_digest(token, self.csrf_token(session_id))

    def caller(self, *, method: str, authorization: str | None, cookie: str | None, csrf_token: str | None) -> Caller:
        """The caller of a request, or NotSignedIn / CsrfRejected."""
        if authorization:
            if not self._basic_ok(authorization):
                raise NotSignedIn("The access key id or secret access key is wrong.")
            return Caller(None)
        session_id = self.session_id(cookie)
        if session_id is None:
            raise NotSignedIn("Sign in, or send the access key pair with HTTP Basic authentication.")
        if method not in SAFE_METHODS and not self.csrf_matches(session_id, csrf_token):
            raise CsrfRejected("The request has no valid CSRF token; reload the page and try again.")
        return Caller(session_id)

    def _basic_ok(self, authorization: str) -> bool:
        scheme, _, encoded = authorization.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        key_id, _, secret = decoded.partition(":")
        return self.keys_match(key_id, secret)

    def _sign(self, text: str) -> str:
        digest = hmac.new(self._key, text.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")
