"""Tokens of the submission API and the web portal, stored only as salted scrypt hashes.

Two roles: ``contact`` (a country's contact point; the token belongs to one ISO3 country and can
only submit and read for it) and ``compiler`` (the inventory team: no country; signs in to the
portal's compiler pages, never submits through the API).

A token reads ``soc_<token_id>_<secret>``: ``token_id`` (8 hex characters) is public and names
the store record; ``secret`` (32 random bytes, URL-safe base64) is shown once by
:func:`create_token` and never stored. The store is one JSON file, by default
``<lake root>/config/tokens.json`` (:func:`store_path`; ``$SOILC_TOKENS`` overrides it), mode 0600::

    {"version": 1, "tokens": [{"token_id", "country", "role", "kdf", "salt", "hash", "n", "r",
                               "p", "issued_at", "revoked_at"}]}

A record without ``role`` (written before roles existed) is a ``contact`` token.

Hashing: ``hashlib.scrypt(secret, salt=16 random bytes, n=2**14, r=8, p=1, dklen=32)``, the
interactive-login parameters recommended by Percival (2009), "Stronger key derivation via
sequential memory-hard functions", section 7, and RFC 7914 section 2. The secret already has
256 bits of entropy, so the KDF is defence in depth for a leaked store file, not the only
barrier. Comparison uses :func:`hmac.compare_digest` (constant time).

Admin: :func:`create_token`, :func:`revoke_token`, :func:`list_tokens`; the command line is
``soc-inventory token create ISO3 | create --admin | revoke TOKEN_ID | list``.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from inventory.core import countries, settings
from inventory.core.errors import UserError
from inventory.lake.zones import utc_now, write_json_atomic

TOKEN_PREFIX = "soc"
KDF = "scrypt"
# Percival (2009) section 7 / RFC 7914 section 2: N=2**14, r=8, p=1 for interactive use (16 MiB).
SCRYPT_N, SCRYPT_R, SCRYPT_P, DKLEN = 2**14, 8, 1, 32
SALT_BYTES, SECRET_BYTES = 16, 32
_TOKEN_RE = re.compile(r"^soc_(?P<token_id>[0-9a-f]{8})_(?P<secret>[A-Za-z0-9_-]{20,100})$")
CONTACT, COMPILER = "contact", "compiler"
ROLES = (CONTACT, COMPILER)


class TokenError(UserError, ValueError):
    """A token operation got an invalid argument (unknown id, malformed country code)."""


@dataclass(frozen=True)
class Identity:
    """Who a valid token belongs to: its public id, role and (contact points) country."""

    token_id: str
    role: str
    country: str | None


def store_path(lake_root: str | Path | None = None) -> Path:
    """``$SOILC_TOKENS``, else ``<lake_root>/config/tokens.json`` (the lake is git-ignored)."""
    return settings.get_settings().tokens_path(lake_root)


def _hash(secret: str, salt: bytes, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P):
    return hashlib.scrypt(secret.encode(), salt=salt, n=n, r=r, p=p, dklen=DKLEN, maxmem=64 << 20)


def _load(store: Path) -> dict:
    if not store.exists():
        return {"version": 1, "tokens": []}
    return json.loads(store.read_text(encoding="utf-8"))


def _save(store: Path, data: dict) -> None:
    write_json_atomic(store, data)
    os.chmod(store, 0o600)


@contextmanager
def _locked(store: Path) -> Iterator[dict]:
    """Read-modify-write of the store under an exclusive lock on a sibling lock file."""
    store.parent.mkdir(parents=True, exist_ok=True)
    with open(store.with_name(store.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = _load(store)
        yield data
        _save(store, data)


def normalise_country(country: str) -> str:
    code = countries.country_code(country)
    if code is None:
        raise TokenError(
            f"country must be an ISO 3166-1 alpha-3 code like KEN (got {country!r}); "
            "tokens are only issued for countries a submission can name"
        )
    return code


LABEL_MAX = 80  # characters of a token's label (one line in a listing)


def create_token(store: str | Path, country: str | None, *, role: str = CONTACT,
                 label: str = "") -> str:  # fmt: skip
    """Create a token; return the plaintext (shown once, stored only hashed).

    A ``contact`` token needs ``country`` (ISO3); a ``compiler`` token has none. ``label``
    says whose it is or what it is for (e.g. "Ana Pérez, land-use unit"), shown in listings.
    """
    label = " ".join(str(label).split())
    if len(label) > LABEL_MAX:
        raise TokenError(f"a token label takes at most {LABEL_MAX} characters "
                         f"(got {len(label)}): shorten it")  # fmt: skip
    if role not in ROLES:
        raise TokenError(f"role must be one of {', '.join(ROLES)} (got {role!r})")
    if role == COMPILER and country:
        raise TokenError("a compiler (--admin) token belongs to no country; leave the country out")
    country = normalise_country(country or "") if role == CONTACT else None
    secret, salt = secrets.token_urlsafe(SECRET_BYTES), secrets.token_bytes(SALT_BYTES)
    with _locked(Path(store)) as data:
        taken = {t["token_id"] for t in data["tokens"]}
        token_id = next(i for i in iter(lambda: secrets.token_hex(4), None) if i not in taken)
        data["tokens"].append({
            "token_id": token_id, "country": country, "role": role, "kdf": KDF, "salt": salt.hex(),
            "hash": _hash(secret, salt).hex(), "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P,
            "issued_at": utc_now().isoformat(), "revoked_at": None, "label": label,
        })  # fmt: skip
    return f"{TOKEN_PREFIX}_{token_id}_{secret}"


def revoke_token(store: str | Path, token_id: str) -> bool:
    """Revoke a token by its id (or its full plaintext); False when it was already revoked."""
    match = _TOKEN_RE.match(token_id)
    token_id = match["token_id"] if match else token_id
    with _locked(Path(store)) as data:
        for record in data["tokens"]:
            if record["token_id"] == token_id:
                if record["revoked_at"]:
                    return False
                record["revoked_at"] = utc_now().isoformat()
                return True
    raise TokenError(f"no token with id {token_id!r} (see `soc-inventory token list`)")


def token_id_of(token: str) -> str | None:
    """The public id part of a well-formed token, else None."""
    match = _TOKEN_RE.match(token or "")
    return match["token_id"] if match else None


def _record(store: Path, token_id: str) -> dict | None:
    if not store.exists():
        return None
    return next((r for r in _load(store)["tokens"] if r["token_id"] == token_id), None)


def identify(store: str | Path, token: str) -> Identity | None:
    """The identity of a valid, unrevoked token of either role, else None."""
    match = _TOKEN_RE.match(token or "")
    record = _record(Path(store), match["token_id"]) if match else None
    if match is None or record is None or record["revoked_at"] or record["kdf"] != KDF:
        return None
    digest = _hash(match["secret"], bytes.fromhex(record["salt"]),
                   n=record["n"], r=record["r"], p=record["p"])  # fmt: skip
    if not hmac.compare_digest(digest.hex(), record["hash"]):
        return None
    return Identity(record["token_id"], record.get("role", CONTACT), record["country"])


def verify(store: str | Path, token: str) -> str | None:
    """The country a valid, unrevoked contact-point token belongs to, else None."""
    identity = identify(store, token)
    return identity.country if identity is not None and identity.role == CONTACT else None


def is_active(store: str | Path, token_id: str) -> bool:
    """True while the token ``token_id`` exists and is not revoked (no hashing: a cheap check)."""
    record = _record(Path(store), token_id)
    return record is not None and not record["revoked_at"]


def list_tokens(store: str | Path) -> list[dict]:
    """Token records without salt and hash (``role`` filled in for records that predate it)."""
    hidden = {"salt", "hash", "n", "r", "p", "kdf"}
    return [{"role": CONTACT, **{k: v for k, v in t.items() if k not in hidden}}
            for t in _load(Path(store))["tokens"]]  # fmt: skip
