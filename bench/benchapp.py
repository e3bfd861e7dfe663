"""WSGI entry point for the benchmarks: the real app plus one static folder for the ceiling.

``BENCH_STATIC_DIR`` names a folder served at ``/bench-static/`` through Flask's own static
file view (a blueprint static folder, the same code path as ``/static/``), so the ceiling is a
static file of a lesson page's size served by the same gunicorn, Flask stack included.
"""

from __future__ import annotations

import os

from flask import Blueprint

from learnapp import create_app

app = create_app()

if static_dir := os.environ.get("BENCH_STATIC_DIR"):
    app.register_blueprint(
        Blueprint(
            "bench_static",
            __name__,
            static_folder=static_dir,
            static_url_path="/bench-static",
        )
    )
