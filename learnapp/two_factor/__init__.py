"""Two-factor sign-in: TOTP (RFC 6238) codes from an authenticator app, and recovery codes."""
