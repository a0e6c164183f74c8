"""Webhooks v3: subscriptions' payloads, signatures and a background delivery thread."""
