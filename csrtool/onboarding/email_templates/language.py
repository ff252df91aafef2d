"""The placeholder language of a partner's email templates.

A template is text with named placeholders, `{{ first_name }}`, and nothing else:
no filters (`{{ link|safe }}`), no attribute access (`{{ partner.api_key }}`), no
tags (`{% load %}`), no comments. It is never compiled as a Django template:
rendering replaces each placeholder with its value in one pass (a value that
itself looks like a placeholder stays as typed), HTML-escaped in the HTML part.
"""

import re

from django.utils.html import escape

PLACEHOLDER = re.compile(r"\{\{\s*([a-z][a-z0-9_]*)\s*\}\}")
# Anything between braces that might have been meant as template syntax.
_BRACED = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_TAG = re.compile(r"\{%.*?%\}|\{%", re.DOTALL)
_COMMENT = re.compile(r"\{#.*?#\}|\{#", re.DOTALL)


def _shown(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def problems(source: str, *, allowed, required=()) -> list[str]:
    """Why `source` cannot be used as a template with these placeholders, one
    message per problem, each naming what it refuses; empty when it can."""
    found: list[str] = []
    messages: list[str] = []
    for tag in _TAG.finditer(source):
        messages.append(
            f"{_shown(tag.group())} is not allowed: templates have placeholders "
            "such as {{ first_name }}, and no tags."
        )
    for comment in _COMMENT.finditer(source):
        messages.append(f"{_shown(comment.group())} is not allowed: no comments.")
    for braced in _BRACED.finditer(source):
        inner = braced.group(1).strip()
        shown = _shown(braced.group())
        if re.fullmatch(r"[a-z][a-z0-9_]*", inner):
            found.append(inner)
        elif "|" in inner:
            messages.append(
                f"{shown} is not allowed: placeholders take no filters; write "
                f"{{{{ {inner.split('|')[0].strip()} }}}}."
            )
        elif "." in inner or "[" in inner:
            messages.append(
                f"{shown} is not allowed: a placeholder is one name from the list, "
                "with nothing after it."
            )
        else:
            messages.append(
                f"{shown} is not a placeholder: use a name from the list, "
                "such as {{ first_name }}."
            )
    unclosed = _BRACED.sub("", source)
    if "{{" in unclosed:
        messages.append("A {{ has no closing }}.")
    unknown = sorted({name for name in found if name not in allowed})
    for name in unknown:
        messages.append(
            f"{{{{ {name} }}}} is not a placeholder of this email; it offers "
            + ", ".join(f"{{{{ {a} }}}}" for a in allowed)
            + "."
        )
    for name in required:
        if name not in found:
            messages.append(f"{{{{ {name} }}}} is required: this email needs it.")
    return messages


def names(source: str) -> set[str]:
    return set(PLACEHOLDER.findall(source))


def render(source: str, values: dict, *, html: bool = False) -> str:
    """`source` with each placeholder replaced by its value (escaped when `html`).
    A name without a value (one no longer offered) becomes empty."""

    def value(match):
        text = str(values.get(match.group(1), ""))
        return escape(text) if html else text

    return PLACEHOLDER.sub(value, source)


def mask(source: str) -> tuple[str, dict[str, str]]:
    """`source` with each placeholder replaced by a plain word no text contains,
    so that an HTML sanitiser treats it as an ordinary value (a colour in a style
    attribute, an address in href); `unmask` puts them back."""
    masks: dict[str, str] = {}
    counter = 0

    def word(match):
        nonlocal counter
        counter += 1
        token = f"csrtoolplaceholder{counter}x"
        while token in source:
            token += "x"
        masks[token] = match.group(0)
        return token

    return PLACEHOLDER.sub(word, source), masks


def unmask(source: str, masks: dict[str, str]) -> str:
    if not masks:
        return source
    pattern = re.compile("|".join(re.escape(t) for t in sorted(masks, key=len)[::-1]))
    return pattern.sub(lambda m: masks[m.group(0)], source)
