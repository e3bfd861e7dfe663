"""Site administration: users, roles and password reset links."""
