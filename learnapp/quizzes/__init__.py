"""Quizzes feature package; kept import-free so the pure graders never pull in Flask."""
