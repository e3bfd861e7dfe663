"""E-mail: an outbox sent by jobs (forgotten passwords, address verification, notices)."""
