"""Cross-cutting security: keys and encryption, password hashing, tokens, throttling, actors."""
