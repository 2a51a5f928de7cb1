"""Discord's size limits on messages, embeds, components and autocomplete choices.

The real API rejects oversize payloads with HTTP 400 / code 50035 ("Invalid Form Body");
a bot that only ever talked to mocks would find that out in production. The fake runs
every message body the bot sends (messages, interaction responses, follow-ups, edits)
through :func:`check_message`, and every autocomplete result through
:func:`check_choices`, and answers with the same error shape, so discord.py raises a
genuine ``HTTPException``. Tests that build messages without the fake check them the
same way: :func:`message_body` turns discord.py objects into the JSON body.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .payloads import Payload

CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELDS_MAX = 25
EMBED_FIELD_NAME_MAX = 256
EMBED_FIELD_VALUE_MAX = 1024
EMBED_FOOTER_MAX = 2048
EMBED_AUTHOR_MAX = 256
EMBED_TOTAL_MAX = 6000
ACTION_ROWS_MAX = 5
ROW_COMPONENTS_MAX = 5
COMPONENTS_MAX = 25  # all components of a message, rows included for components v2
CUSTOM_ID_MAX = 100
BUTTON_LABEL_MAX = 80
SELECT_OPTIONS_MAX = 25
SELECT_PLACEHOLDER_MAX = 150
CHOICES_MAX = 25
CHOICE_NAME_MAX = 100
CHOICE_VALUE_MAX = 100


@dataclass(frozen=True)
class Violation:
    """One broken limit. ``field`` is a dotted path such as ``embeds.0.fields.3.value``."""

    method: str
    path: str
    field: str
    message: str
    limit: int | None = None
    actual: int | None = None


Problem = tuple[str, str, int | None, int | None]  # field, message, limit, actual


def _length(value: Any) -> int:
    return len(value) if isinstance(value, str) else 0


def _max(problems: list[Problem], field: str, value: Any, limit: int) -> None:
    size = _length(value)
    if size > limit:
        problems.append((field, f"Must be {limit} or fewer in length.", limit, size))


def _check_embed(problems: list[Problem], index: int, embed: Mapping[str, Any]) -> int:
    """Check one embed and return its character count toward the 6,000 total."""
    base = f"embeds.{index}"
    _max(problems, f"{base}.title", embed.get("title"), EMBED_TITLE_MAX)
    _max(problems, f"{base}.description", embed.get("description"), EMBED_DESCRIPTION_MAX)
    footer = embed.get("footer") or {}
    author = embed.get("author") or {}
    _max(problems, f"{base}.footer.text", footer.get("text"), EMBED_FOOTER_MAX)
    _max(problems, f"{base}.author.name", author.get("name"), EMBED_AUTHOR_MAX)
    fields = embed.get("fields") or []
    if len(fields) > EMBED_FIELDS_MAX:
        message = f"Must be {EMBED_FIELDS_MAX} or fewer in length."
        problems.append((f"{base}.fields", message, EMBED_FIELDS_MAX, len(fields)))
    total = sum(_length(embed.get(k)) for k in ("title", "description"))
    total += _length(footer.get("text")) + _length(author.get("name"))
    for i, fld in enumerate(fields):
        name, value = fld.get("name"), fld.get("value")
        for key, val, limit in (("name", name, EMBED_FIELD_NAME_MAX), ("value", value, EMBED_FIELD_VALUE_MAX)):
            if not isinstance(val, str) or not val.strip():
                problems.append((f"{base}.fields.{i}.{key}", "This field is required", None, None))
            _max(problems, f"{base}.fields.{i}.{key}", val, limit)
        total += _length(name) + _length(value)
    if total > EMBED_TOTAL_MAX:
        problems.append((f"{base}", f"Embed size exceeds maximum size of {EMBED_TOTAL_MAX}", EMBED_TOTAL_MAX, total))
    return total


def _check_components(problems: list[Problem], components: list[Mapping[str, Any]]) -> None:
    rows = [c for c in components if c.get("type") == 1]
    if len(rows) > ACTION_ROWS_MAX:
        problems.append(("components", f"Must be {ACTION_ROWS_MAX} or fewer in length.", ACTION_ROWS_MAX, len(rows)))
    children_count = sum(len(row.get("components") or []) for row in rows)
    if children_count > COMPONENTS_MAX:
        problems.append(("components", f"Must be {COMPONENTS_MAX} or fewer components in total.", COMPONENTS_MAX,
                         children_count))
    seen: set[str] = set()
    for r, row in enumerate(components):
        if row.get("type") != 1:
            continue  # components v2 containers are not validated beyond this point
        children = row.get("components") or []
        if len(children) > ROW_COMPONENTS_MAX:
            problems.append((f"components.{r}.components", f"Must be {ROW_COMPONENTS_MAX} or fewer in length.",
                             ROW_COMPONENTS_MAX, len(children)))
        for c, child in enumerate(children):
            base = f"components.{r}.components.{c}"
            custom_id = child.get("custom_id")
            is_link = child.get("type") == 2 and child.get("style") in (5, 6)
            if custom_id is None and not is_link:
                problems.append((f"{base}.custom_id", "A custom id is required", None, None))
            _max(problems, f"{base}.custom_id", custom_id, CUSTOM_ID_MAX)
            if isinstance(custom_id, str):
                if custom_id in seen:
                    problems.append((f"{base}.custom_id", "Component custom id cannot be duplicated", None, None))
                seen.add(custom_id)
            if child.get("type") == 2:
                _max(problems, f"{base}.label", child.get("label"), BUTTON_LABEL_MAX)
            else:
                _max(problems, f"{base}.placeholder", child.get("placeholder"), SELECT_PLACEHOLDER_MAX)
                options = child.get("options") or []
                if len(options) > SELECT_OPTIONS_MAX:
                    problems.append((f"{base}.options", f"Must be {SELECT_OPTIONS_MAX} or fewer in length.",
                                     SELECT_OPTIONS_MAX, len(options)))


def check_message(body: Mapping[str, Any]) -> list[Problem]:
    """Return every limit ``body`` (a message create/edit JSON body) breaks."""
    problems: list[Problem] = []
    _max(problems, "content", body.get("content"), CONTENT_MAX)
    embeds = body.get("embeds") or []
    if len(embeds) > EMBEDS_MAX:
        problems.append(("embeds", f"Must be {EMBEDS_MAX} or fewer in length.", EMBEDS_MAX, len(embeds)))
    total = sum(_check_embed(problems, i, e) for i, e in enumerate(embeds))
    if total > EMBED_TOTAL_MAX and len(embeds) > 1:
        problems.append(("embeds", f"Embed size exceeds maximum size of {EMBED_TOTAL_MAX}", EMBED_TOTAL_MAX, total))
    _check_components(problems, body.get("components") or [])
    return problems


def check_choices(data: Mapping[str, Any]) -> list[Problem]:
    """Return every limit an autocomplete result (callback type 8's ``data``) breaks."""
    problems: list[Problem] = []
    choices = data.get("choices") or []
    if len(choices) > CHOICES_MAX:
        problems.append(("data.choices", f"Must be {CHOICES_MAX} or fewer in length.", CHOICES_MAX, len(choices)))
    for i, choice in enumerate(choices):
        name, value = choice.get("name"), choice.get("value")
        size = len(name) if isinstance(name, str) else 0
        if not 1 <= size <= CHOICE_NAME_MAX:
            problems.append((f"data.choices.{i}.name", f"Must be between 1 and {CHOICE_NAME_MAX} in length.",
                             CHOICE_NAME_MAX, size))
        if value is None:
            problems.append((f"data.choices.{i}.value", "This field is required", None, None))
        elif isinstance(value, str) and len(value) > CHOICE_VALUE_MAX:
            problems.append((f"data.choices.{i}.value", f"Must be {CHOICE_VALUE_MAX} or fewer in length.",
                             CHOICE_VALUE_MAX, len(value)))
    return problems


def message_body(content: str | None = None, embed: Any = None, embeds: Any = None, view: Any = None,
                 **_ignored: Any) -> dict[str, Any]:
    """The JSON body discord.py would send for these send/edit arguments (embeds and a view as objects).

    Accepts the keyword arguments of ``send``/``edit_original_response`` as the bot builds them
    (``allowed_mentions`` and the like are ignored), so a test checks them with
    ``check_message(message_body(**kwargs))`` without a running client.
    """
    body: dict[str, Any] = {}
    if content is not None:
        body["content"] = str(content)
    objects = [embed] if embed is not None else list(embeds or [])
    if objects:
        body["embeds"] = [e.to_dict() if hasattr(e, "to_dict") else dict(e) for e in objects]
    if view is not None:
        body["components"] = view.to_components() if hasattr(view, "to_components") else list(view)
    return body


def is_empty_message(body: Mapping[str, Any], has_files: bool) -> bool:
    """Discord refuses to create a message with nothing in it (code 50006)."""
    return not (
        (body.get("content") or "").strip()
        or body.get("embeds")
        or body.get("components")
        or body.get("sticker_ids")
        or body.get("poll")
        or has_files
    )


def invalid_form_body(problems: list[Problem]) -> Payload:
    """The 50035 error body with Discord's nested ``errors`` tree (discord.py flattens it)."""
    errors: Payload = {}
    for field, message, _limit, _actual in problems:
        node = errors
        for part in field.split("."):
            node = node.setdefault(part, {})
        node.setdefault("_errors", []).append({"code": "BASE_TYPE_MAX_LENGTH" if _limit else "BASE_TYPE_INVALID",
                                               "message": message})
    return {"message": "Invalid Form Body", "code": 50035, "errors": errors}
