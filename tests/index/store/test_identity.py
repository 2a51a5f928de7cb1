"""The identities stored in indexes and caches must never change: a vector's key and the corpus fingerprint."""

from __future__ import annotations

import hashlib

from index.encoder import embed_hash
from index.store.manifest import corpus_fingerprint


def test_embed_hash_is_the_stored_key() -> None:
    assert embed_hash("model", "text") == hashlib.sha256(b"model\x1ftext").hexdigest()[:24]
    assert embed_hash("model", "text") != embed_hash("other", "text")


def test_corpus_fingerprint_ignores_order_and_keeps_its_value() -> None:
    """The eval cache keys its indexes by it, and a patch and a full build must agree on it."""
    fps = ["c3", "a1", "b2"]
    assert corpus_fingerprint(fps) == corpus_fingerprint(reversed(fps))
    assert corpus_fingerprint(fps) == hashlib.sha256(b"a1b2c3").hexdigest()[:32]
    assert corpus_fingerprint([]) == hashlib.sha256(b"").hexdigest()[:32]
