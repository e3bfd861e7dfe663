"""Privacy: the public privacy page, a person's own data as JSON, and account anonymisation."""
