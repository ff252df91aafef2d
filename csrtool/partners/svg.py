"""An uploaded SVG made harmless before it is stored.

The file is parsed with defusedxml (no DTD, so no entities: neither external ones
nor the "billion laughs"), then copied element by element into a new document
that keeps only drawing elements and presentation attributes from an allow-list.
Everything else is dropped: script, foreignObject, animation (which can rewrite
an href), event handlers (on…), links, embedded images, references outside the
file (an href or url() not starting with #) and style sheets that import or
fetch anything. What cannot be parsed is refused.
"""

import re
from xml.etree import ElementTree as ET

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from csrtool.errors import DomainError

SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"
XML = "http://www.w3.org/XML/1998/namespace"
MAX_ELEMENTS = 10_000
MAX_DEPTH = 100

ELEMENTS = frozenset(
    {
        "svg", "g", "defs", "title", "desc", "symbol", "use", "style",
        "path", "rect", "circle", "ellipse", "line", "polyline", "polygon",
        "text", "tspan", "textPath",
        "linearGradient", "radialGradient", "stop", "pattern",
        "clipPath", "mask", "marker",
        "filter", "feBlend", "feColorMatrix", "feComponentTransfer",
        "feComposite", "feDropShadow", "feFlood", "feFuncA", "feFuncB",
        "feFuncG", "feFuncR", "feGaussianBlur", "feMerge", "feMergeNode",
        "feMorphology", "feOffset",
    }
)  # fmt: skip
# Elements whose text is content (the others' text is only layout whitespace).
TEXT_ELEMENTS = frozenset({"title", "desc", "style", "text", "tspan", "textPath"})
ATTRIBUTES = frozenset(
    {
        "id", "class", "style", "href", "version", "viewBox", "preserveAspectRatio",
        "width", "height", "x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "r",
        "rx", "ry", "fx", "fy", "fr", "d", "points", "pathLength", "transform",
        "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width",
        "stroke-linecap", "stroke-linejoin", "stroke-miterlimit",
        "stroke-dasharray", "stroke-dashoffset", "stroke-opacity", "opacity",
        "color", "display", "visibility", "overflow", "paint-order",
        "vector-effect", "shape-rendering", "text-rendering", "color-interpolation",
        "color-interpolation-filters", "clip-path", "clip-rule", "mask", "filter",
        "offset", "stop-color", "stop-opacity", "gradientUnits",
        "gradientTransform", "spreadMethod", "patternUnits", "patternContentUnits",
        "patternTransform", "clipPathUnits", "maskUnits", "maskContentUnits",
        "markerWidth", "markerHeight", "markerUnits", "refX", "refY", "orient",
        "marker-start", "marker-mid", "marker-end", "font-family", "font-size",
        "font-weight", "font-style", "font-variant", "text-anchor",
        "dominant-baseline", "alignment-baseline", "baseline-shift",
        "letter-spacing", "word-spacing", "text-decoration", "dx", "dy",
        "rotate", "textLength", "lengthAdjust", "startOffset", "filterUnits",
        "primitiveUnits", "in", "in2", "result", "stdDeviation", "mode", "type",
        "values", "operator", "k1", "k2", "k3", "k4", "radius", "flood-color",
        "flood-opacity", "tableValues", "slope", "intercept", "amplitude",
        "exponent", f"{{{XML}}}space",
    }
)  # fmt: skip
_URL = re.compile(r"url\(\s*['\"]?\s*([^)'\"\s]*)", re.IGNORECASE)
_UNSAFE_CSS = re.compile(r"@import|expression\s*\(|javascript:|\\|behavior\s*:", re.I)


def _refused(message: str) -> DomainError:
    return DomainError(message, field="file", code="invalid_image")


def sanitise_svg(data: bytes) -> bytes:
    """The SVG's harmless copy, as UTF-8 bytes; DomainError when it is not one."""
    try:
        root = SafeET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        raise _refused(
            "The SVG declares a DTD or entities, which are refused: an SVG image "
            "needs neither."
        ) from None
    except (ET.ParseError, ValueError, LookupError) as e:
        raise _refused(f"The SVG could not be read as XML ({e}).") from None
    if root.tag != f"{{{SVG}}}svg":
        raise _refused(
            "This is not an SVG image: its first element must be <svg> in the SVG "
            'namespace (xmlns="http://www.w3.org/2000/svg").'
        )
    if sum(1 for _ in root.iter()) > MAX_ELEMENTS:
        raise _refused(f"The SVG has more than {MAX_ELEMENTS:,} elements.")
    clean = _element(root, 0)
    # The copy's elements carry no namespace; the root declares SVG's as the default.
    clean.set("xmlns", SVG)
    return ET.tostring(clean, encoding="utf-8")


def _element(element: ET.Element, depth: int) -> ET.Element | None:
    """A copy of an allowed element with its allowed attributes and children."""
    if depth > MAX_DEPTH:
        raise _refused(f"The SVG nests its elements more than {MAX_DEPTH} deep.")
    tag = element.tag
    if not isinstance(tag, str) or not tag.startswith(f"{{{SVG}}}"):
        return None
    name = tag[len(SVG) + 2 :]
    if name not in ELEMENTS:
        return None
    if name == "style" and not _safe_css(element.text or ""):
        return None
    copy = ET.Element(name)
    for key, value in element.attrib.items():
        kept = _attribute(key, value)
        if kept:
            copy.set(*kept)
    if name in TEXT_ELEMENTS:
        copy.text = element.text
    for child in element:
        child_copy = _element(child, depth + 1)
        if child_copy is not None:
            if name in TEXT_ELEMENTS:
                child_copy.tail = child.tail
            copy.append(child_copy)
    return copy


def _attribute(key: str, value: str) -> tuple[str, str] | None:
    if key == f"{{{XLINK}}}href":
        key = "href"  # SVG 2 reads a plain href; no xlink namespace to declare
    if key not in ATTRIBUTES:
        return None  # on… handlers and anything unknown
    if key == "href" and not value.strip().startswith("#"):
        return None  # only references inside the file
    if not _safe_css(value):
        return None
    return key, value


def _safe_css(text: str) -> bool:
    """No import, script, escape (which could hide either) or reference outside
    the file (every url() points at #an-id)."""
    if _UNSAFE_CSS.search(text):
        return False
    return all(target.startswith("#") for target in _URL.findall(text))
