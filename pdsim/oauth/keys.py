"""The identity server's RS256 signing key, kept in the database so id_tokens verify across restarts."""

from __future__ import annotations

import hashlib
from typing import Any

from joserfc import jwt
from joserfc.jwk import RSAKey

from pdsim.store import Store


class SigningKey:
    def __init__(self, store: Store) -> None:
        with store.write() as conn:
            row = conn.execute("SELECT value FROM secrets WHERE name = 'rsa_key'").fetchone()
            if row is None:
                pem = RSAKey.generate_key(2048, private=True).as_pem(private=True).decode()
                conn.execute("INSERT INTO secrets VALUES ('rsa_key', ?)", (pem,))
            else:
                pem = row["value"]
        public = RSAKey.import_key(pem).as_dict(private=False)
        self.kid = hashlib.sha256(public["n"].encode()).hexdigest()[:16]
        self._key = RSAKey.import_key(pem, parameters={"kid": self.kid})

    def jwks(self) -> dict[str, Any]:
        public = self._key.as_dict(private=False)
        return {"keys": [{**public, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode({"alg": "RS256", "kid": self.kid, "typ": "JWT"}, claims, self._key)
