"""The keyring: AES-GCM field encryption bound to its column, key rotation, look-up hashes and
audit MACs."""

from __future__ import annotations

import base64

import pytest

from backend.security.keyring import KeyRing, KeyRingError

OLD_SECRET = "old-secret-key-0123456789-abcdefghijklmnop"
NEW_SECRET = "new-secret-key-9876543210-ponmlkjihgfedcba"
ID_CONTEXT = "enterprises.legal_rep_id"
ID_NUMBER = "371302198001011239"


@pytest.fixture
def ring() -> KeyRing:
    return KeyRing(OLD_SECRET)


@pytest.fixture
def rotated() -> KeyRing:
    return KeyRing(NEW_SECRET, (OLD_SECRET,))


def _replace_body(token: str, change) -> str:
    """``token`` with its base64 body decoded, changed by ``change`` and encoded again."""
    version, key_id, body = token.split(".", 2)
    raw = bytearray(base64.urlsafe_b64decode(body))
    change(raw)
    return f"{version}.{key_id}.{base64.urlsafe_b64encode(bytes(raw)).decode()}"


@pytest.mark.parametrize(
    "plaintext", [ID_NUMBER, "王建国", "临沂沂蒙顺达物流有限公司 (兰山区)", ""]
)
def test_encrypt_then_decrypt_gives_the_plaintext_back(ring, plaintext):
    # when
    token = ring.encrypt(plaintext, context=ID_CONTEXT)

    # then
    assert ring.decrypt(token, context=ID_CONTEXT) == plaintext
    assert token.startswith(f"v1.{ring.current_key_id}.")


def test_the_ciphertext_hides_the_plaintext_and_changes_every_time(ring):
    # when
    tokens = [ring.encrypt(ID_NUMBER, context=ID_CONTEXT) for _ in range(3)]

    # then
    assert len(set(tokens)) == 3
    for token in tokens:
        assert ID_NUMBER not in token
        assert ID_NUMBER.encode() not in base64.urlsafe_b64decode(token.split(".", 2)[2])
    nonces = {base64.urlsafe_b64decode(t.split(".", 2)[2])[:12] for t in tokens}
    assert len(nonces) == 3


def test_a_ciphertext_does_not_decrypt_under_another_context(ring):
    # given
    token = ring.encrypt(ID_NUMBER, context=ID_CONTEXT)

    # when / then
    with pytest.raises(KeyRingError, match="does not authenticate"):
        ring.decrypt(token, context="accounts.phone")


def test_a_ciphertext_does_not_decrypt_under_another_secret(ring):
    # given
    token = KeyRing(NEW_SECRET).encrypt(ID_NUMBER, context=ID_CONTEXT)

    # when / then
    with pytest.raises(KeyRingError, match="unknown key id"):
        ring.decrypt(token, context=ID_CONTEXT)


def _flip_last_byte(raw: bytearray) -> None:
    raw[-1] ^= 0x01


def _flip_first_nonce_byte(raw: bytearray) -> None:
    raw[0] ^= 0x80


def _flip_a_ciphertext_byte(raw: bytearray) -> None:
    raw[12] ^= 0x10


def _drop_the_tag(raw: bytearray) -> None:
    del raw[-16:]


@pytest.mark.parametrize(
    "change", [_flip_last_byte, _flip_first_nonce_byte, _flip_a_ciphertext_byte, _drop_the_tag]
)
def test_a_tampered_ciphertext_does_not_decrypt(ring, change):
    # given
    token = _replace_body(ring.encrypt(ID_NUMBER, context=ID_CONTEXT), change)

    # when / then
    with pytest.raises(KeyRingError, match="does not authenticate"):
        ring.decrypt(token, context=ID_CONTEXT)


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda t: t.replace("v1.", "v2.", 1), id="unknown-version"),
        pytest.param(lambda t: t.split(".", 1)[1], id="no-version"),
        pytest.param(lambda t: t.rsplit(".", 1)[0] + ".", id="empty-body"),
        pytest.param(lambda t: t[:-1], id="last-character-cut"),
        pytest.param(lambda t: t + "A", id="character-appended"),
        pytest.param(lambda t: t.rsplit(".", 1)[0] + ".密文", id="non-ascii-body"),
        pytest.param(lambda t: "garbage", id="garbage"),
    ],
)
def test_a_malformed_ciphertext_raises_keyring_error(ring, damage):
    # given: a ciphertext whose body ends in base64 padding (34 bytes: 12 nonce, 6 data, 16 tag)
    token = ring.encrypt("王建", context=ID_CONTEXT)
    assert token.endswith("=")
    damaged = damage(token)
    assert damaged != token

    # when / then: callers handle one exception type for "not a ciphertext of ours"
    with pytest.raises(KeyRingError):
        ring.decrypt(damaged, context=ID_CONTEXT)


def test_after_rotation_old_ciphertexts_decrypt_and_new_ones_use_the_new_key(ring, rotated):
    # given
    old_token = ring.encrypt(ID_NUMBER, context=ID_CONTEXT)

    # when
    new_token = rotated.encrypt(ID_NUMBER, context=ID_CONTEXT)

    # then
    assert rotated.decrypt(old_token, context=ID_CONTEXT) == ID_NUMBER
    assert rotated.decrypt(new_token, context=ID_CONTEXT) == ID_NUMBER
    assert rotated.current_key_id != ring.current_key_id
    assert old_token.split(".")[1] == ring.current_key_id
    assert new_token.split(".")[1] == rotated.current_key_id
    with pytest.raises(KeyRingError, match="unknown key id"):
        ring.decrypt(new_token, context=ID_CONTEXT)


def test_key_ids_are_stable_and_differ_between_secrets(ring):
    # then
    assert KeyRing(OLD_SECRET).current_key_id == ring.current_key_id
    assert KeyRing(NEW_SECRET).current_key_id != ring.current_key_id
    assert len(ring.current_key_id) == 16
    int(ring.current_key_id, 16)


def test_lookup_hash_is_deterministic_and_keyed(ring, rotated):
    # when
    first = ring.lookup_hash(ID_NUMBER)

    # then
    assert first == ring.lookup_hash(ID_NUMBER) == KeyRing(OLD_SECRET).lookup_hash(ID_NUMBER)
    assert first != ring.lookup_hash("371302198001011247")
    assert first != KeyRing(NEW_SECRET).lookup_hash(ID_NUMBER)
    assert ID_NUMBER not in first and len(first) == 64


def test_lookup_hashes_after_rotation_match_rows_written_before_it(ring, rotated):
    # given
    stored_before_rotation = ring.lookup_hash(ID_NUMBER)

    # when
    candidates = rotated.lookup_hashes(ID_NUMBER)

    # then
    assert candidates == {stored_before_rotation, rotated.lookup_hash(ID_NUMBER)}
    assert rotated.lookup_hash(ID_NUMBER) != stored_before_rotation
    assert ring.lookup_hashes(ID_NUMBER) == {stored_before_rotation}


def test_audit_mac_uses_the_named_key(ring, rotated):
    # given
    data = b'[1,"2026-11-21T00:00:00.000000Z","account.register"]'

    # when
    old_mac = ring.audit_mac(data)

    # then
    assert rotated.audit_mac(data, ring.current_key_id) == old_mac
    assert rotated.audit_mac(data) == rotated.audit_mac(data, rotated.current_key_id) != old_mac
    assert ring.audit_mac(data + b" ") != old_mac


def test_audit_mac_with_an_unknown_key_id_raises(ring, rotated):
    # when / then
    with pytest.raises(KeyRingError, match="unknown audit key id"):
        ring.audit_mac(b"row", rotated.current_key_id)
    with pytest.raises(KeyRingError):
        rotated.audit_mac(b"row", "0000000000000000")


def test_a_keyring_needs_a_secret():
    # when / then
    with pytest.raises(ValueError, match="secret key is required"):
        KeyRing("")
