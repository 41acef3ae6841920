"""Keys derived from ``XINRONG_SECRET_KEY``: field encryption, look-up hashes and audit MACs.

One secret yields three independent keys through HKDF-SHA256. Each key has an id (the first
16 hex digits of a hash of the key) that is stored with what it produced, so that after a key
rotation (new ``XINRONG_SECRET_KEY``, old one moved to ``XINRONG_PREVIOUS_SECRET_KEYS``) old
ciphertexts still decrypt and old audit rows still verify.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_CIPHER_VERSION = "v1"
_NONCE_BYTES = 12


class KeyRingError(Exception):
    """A ciphertext names a key this keyring does not hold, or does not authenticate."""


def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"xinrong-keyring", info=purpose).derive(
        secret.encode("utf-8")
    )


def _key_id(key: bytes) -> str:
    return hashlib.sha256(b"xinrong-key-id" + key).hexdigest()[:16]


@dataclass(frozen=True)
class _KeySet:
    encryption: bytes
    lookup: bytes
    audit: bytes

    @property
    def key_id(self) -> str:
        return _key_id(self.encryption)


class KeyRing:
    """Encrypts personal data, hashes it for look-up and authenticates audit rows."""

    def __init__(self, secret_key: str, previous_secret_keys: tuple[str, ...] = ()) -> None:
        if not secret_key:
            raise ValueError("a secret key is required")
        sets = [self._derive_set(secret_key)]
        sets += [self._derive_set(old) for old in previous_secret_keys]
        self._current = sets[0]
        self._by_id = {key_set.key_id: key_set for key_set in sets}

    @staticmethod
    def _derive_set(secret: str) -> _KeySet:
        return _KeySet(
            encryption=_derive(secret, b"xinrong personal-data encryption v1"),
            lookup=_derive(secret, b"xinrong personal-data lookup v1"),
            audit=_derive(secret, b"xinrong audit chain v1"),
        )

    @property
    def current_key_id(self) -> str:
        """The id of the key new ciphertexts and audit rows use."""
        return self._current.key_id

    def encrypt(self, plaintext: str, *, context: str) -> str:
        """AES-256-GCM encrypt ``plaintext``, bound to ``context`` (associated data)."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = AESGCM(self._current.encryption).encrypt(
            nonce, plaintext.encode("utf-8"), context.encode("utf-8")
        )
        body = base64.urlsafe_b64encode(nonce + sealed).decode("ascii")
        return f"{_CIPHER_VERSION}.{self._current.key_id}.{body}"

    def decrypt(self, token: str, *, context: str) -> str:
        """Decrypt a value made by :meth:`encrypt` under any key this ring holds."""
        try:
            version, key_id, body = token.split(".", 2)
        except ValueError as exc:
            raise KeyRingError("malformed ciphertext") from exc
        key_set = self._by_id.get(key_id)
        if version != _CIPHER_VERSION or key_set is None:
            raise KeyRingError(f"unknown key id {key_id}")
        try:
            # Strict: the body must be canonical base64, nothing before or after it.
            raw = base64.b64decode(body.encode("ascii"), altchars=b"-_", validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
            raise KeyRingError("malformed ciphertext") from exc
        if base64.urlsafe_b64encode(raw).decode("ascii") != body:
            raise KeyRingError("malformed ciphertext")
        try:
            plain = AESGCM(key_set.encryption).decrypt(
                raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context.encode("utf-8")
            )
        except Exception as exc:  # cryptography raises InvalidTag; any failure means "not ours"
            raise KeyRingError("ciphertext does not authenticate") from exc
        return plain.decode("utf-8")

    def lookup_hash(self, value: str) -> str:
        """Keyed hash (HMAC-SHA256) of ``value`` under the current key, for equality look-ups."""
        return hmac.new(self._current.lookup, value.encode("utf-8"), hashlib.sha256).hexdigest()

    def lookup_hashes(self, value: str) -> set[str]:
        """Keyed hashes of ``value`` under every key held (matches rows from before a rotation)."""
        return {
            hmac.new(k.lookup, value.encode("utf-8"), hashlib.sha256).hexdigest()
            for k in self._by_id.values()
        }

    def audit_mac(self, data: bytes, key_id: str | None = None) -> str:
        """HMAC-SHA256 of an audit row's canonical bytes under ``key_id`` (default: current)."""
        key_set = self._current if key_id is None else self._by_id.get(key_id)
        if key_set is None:
            raise KeyRingError(f"unknown audit key id {key_id}")
        return hmac.new(key_set.audit, data, hashlib.sha256).hexdigest()
