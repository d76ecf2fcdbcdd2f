"""The access key pair that signs requests: given, or made once and kept in the data folder."""

import json
import os
import secrets
import string
from dataclasses import dataclass
from pathlib import Path

from customlabels.config import Settings


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str
    created: bool = False


def load_credentials(settings: Settings) -> Credentials:
    if settings.access_key_id and settings.secret_access_key:
        return Credentials(settings.access_key_id, settings.secret_access_key)
    path = settings.data_dir / "credentials.json"
    if path.exists():
        stored = json.loads(path.read_text())
        return Credentials(stored["access_key_id"], stored["secret_access_key"])
    made = Credentials(_random("AKCL", string.ascii_uppercase + string.digits, 16), _random("", _SECRET_ALPHABET, 40), True)
    _write_private(path, json.dumps({"access_key_id": made.access_key_id, "secret_access_key": made.secret_access_key}))
    return made


_SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"


def _random(prefix: str, alphabet: str, length: int) -> str:
    return prefix + "".join(secrets.choice(alphabet) for _ in range(length))


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
