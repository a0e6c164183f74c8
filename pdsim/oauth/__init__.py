"""The OAuth 2.0 identity server: consent page, token endpoint, JWKS and id_tokens (API-NOTES §5)."""
