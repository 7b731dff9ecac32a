"""Small SVG writers for a task's pictures (`Task.pictures`): a drawing, its rectangles and text."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr


def _attrs(attrs: dict[str, object]) -> str:
    return "".join(f" {key.rstrip('_').replace('_', '-')}={quoteattr(str(value))}"
                   for key, value in attrs.items() if value is not None)


def drawing(width: float, height: float, body: list[str] | str, **attrs: object) -> str:
    """An SVG document of `width` x `height` pixels holding `body` (elements as text)."""
    inner = "".join(body) if isinstance(body, list) else body
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:g}" height="{height:g}" '
            f'viewBox="0 0 {width:g} {height:g}"{_attrs(attrs)}>{inner}</svg>')


def rect(x: float, y: float, width: float, height: float, **attrs: object) -> str:
    """A rectangle; keyword arguments are its attributes (`class_="wall"`, `stroke_width=2`)."""
    return f'<rect x="{x:g}" y="{y:g}" width="{width:g}" height="{height:g}"{_attrs(attrs)}/>'


def line(x1: float, y1: float, x2: float, y2: float, **attrs: object) -> str:
    """A straight line."""
    return f'<line x1="{x1:g}" y1="{y1:g}" x2="{x2:g}" y2="{y2:g}"{_attrs(attrs)}/>'


def text(x: float, y: float, content: str, **attrs: object) -> str:
    """Text at (x, y) (the baseline; `text_anchor="middle"` centres it)."""
    return f"<text x=\"{x:g}\" y=\"{y:g}\"{_attrs(attrs)}>{escape(content)}</text>"
