"""The Jinja environment of every report page, and how a chart is embedded in it.

Every page extends templates/base.html.j2 (one style sheet, one header, the table and figure
macros of templates/macros.html.j2), so the single-run, compare, claims and sweep reports look
alike. Pages are self-contained: inline CSS, charts as PNG data URIs, no script, no link.
"""

from __future__ import annotations

import base64
from functools import lru_cache
from pathlib import Path

import jinja2

__all__ = ["TEMPLATE_DIRS", "environment", "png_data_uri", "render_page"]

TEMPLATE_DIRS = (Path(__file__).resolve().parent.parent / "templates",)


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    # Templates are named *.html.j2: ".j2" must be listed or autoescaping would be off.
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in TEMPLATE_DIRS]),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "htm", "xml", "j2"), default=True
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def png_data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def render_page(template: str, **context: object) -> str:
    return environment().get_template(template).render(**context)
