"""The edge: every request's path, query and body checked before a handler sees it.

What no handler should have to think about is refused here, once, for the JSON API and the
web forms alike: ids beyond the database's integer range (404 in a path, 400 elsewhere),
text with NUL or other control characters, bytes that are not UTF-8, JSON not sent as
`application/json` (415), JSON with duplicate keys or nested absurdly deep, and JSON whose
types are only nearly right ("false" for false, "12" for 12): Litestar converts bodies
leniently, so the declared body type is decoded strictly here first. The services then check
meaning (a date in range, text that fits its column) with tracker.validate.

Registered as the app's `before_request`: it runs after routing (so it knows the handler's
declared parameters) and before the handler's arguments are parsed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, NoReturn, get_args
from urllib.parse import unquote_to_bytes

import msgspec
from litestar import Request
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException, ValidationException

from tracker.errors import NotFound
from tracker.validate import ID_MAX, is_id, text_problem

MAX_JSON_DEPTH = 32
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def refuse(errors: dict[str, str], detail: str = "Please check the fields named below.") -> NoReturn:
    """Answer 400 with one message per field (forms show a page; the API, JSON)."""
    raise ValidationException(detail=detail, extra=[{"key": k, "message": v} for k, v in errors.items()])


async def check_request(request: Request[Any, Any, Any]) -> None:
    """Refuse what cannot be right whatever the route; None lets the handler run."""
    _check_path(request)
    _check_query(request)
    if request.method in BODY_METHODS:
        await _check_body(request)


# ---------------------------------------------------------------- path and query


def _check_path(request: Request[Any, Any, Any]) -> None:
    """An id no row can have, or a token with control characters, is simply not found."""
    for value in request.path_params.values():
        if isinstance(value, int) and not is_id(value):
            raise NotFound("an id outside the database's range")
        if isinstance(value, str) and text_problem(value, multiline=False):
            raise NotFound("a path with control characters")


def _int_params(request: Request[Any, Any, Any]) -> set[str]:
    """The handler's query parameters declared as whole numbers."""
    names = set()
    for name, field in request.route_handler.parsed_fn_signature.parameters.items():
        if field.annotation is int or int in get_args(field.annotation):
            names.add(name)
    return names


def _check_query(request: Request[Any, Any, Any]) -> None:
    raw = request.scope.get("query_string", b"")
    if not raw:
        return
    errors: dict[str, str] = {}
    pairs = _decode_pairs(raw, errors, where="query")
    ints = _int_params(request)
    # The JSON API names its query parameters in its OpenAPI document; one it does not know
    # (a misspelt `famly_id`) is refused rather than ignored, which would answer unfiltered.
    known = request.route_handler.parsed_fn_signature.parameters
    api = request.url.path.startswith("/api/")
    for key, value in pairs:
        if api and key not in known:
            errors.setdefault(key or "query", "This query parameter is not one this address takes.")
            continue
        problem = text_problem(value, multiline=False)
        if problem is None and key in ints and value != "":
            problem = _whole_number_problem(key, value)
        if problem:
            errors.setdefault(key, problem)
    if errors:
        refuse(errors)


def _whole_number_problem(key: str, value: str) -> str | None:
    digits = value[1:] if value.startswith("-") else value
    if not (digits.isascii() and digits.isdigit()):
        return "Enter a whole number, in the digits 0 to 9."
    if key.endswith("_id") and not is_id(int(value)):
        return f"Enter an id from 1 to {ID_MAX}."
    return None


def _decode_pairs(raw: bytes, errors: dict[str, str], *, where: str) -> list[tuple[str, str]]:
    """`a=1&b=2` as (name, value) text pairs; bytes that are not UTF-8 are an error, not '�'."""
    pairs: list[tuple[str, str]] = []
    for part in raw.split(b"&"):
        if not part:
            continue
        name_raw, _, value_raw = part.partition(b"=")
        try:
            name = unquote_to_bytes(name_raw.replace(b"+", b" ")).decode("utf-8")
            value = unquote_to_bytes(value_raw.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            errors[where] = "This was not sent as UTF-8 text: please type it again."
            continue
        if problem := text_problem(name, multiline=False):
            errors[where] = f"A field name is not usable: {problem}"
            continue
        pairs.append((name, value))
    return pairs


# ---------------------------------------------------------------- body


async def _check_body(request: Request[Any, Any, Any]) -> None:
    if request.url.path.startswith("/webhooks/"):
        # A provider's signed report: refusing it would lose a family's text. The receiving
        # code strips what cannot be stored instead (tracker.notify.inbound).
        return
    media_type, _ = request.content_type
    data_field = request.route_handler.parsed_data_field
    declared = getattr(getattr(data_field, "kwarg_definition", None), "media_type", None)
    if data_field is not None and declared in (None, RequestEncodingType.JSON):
        if media_type != "application/json":
            raise HTTPException(status_code=415, detail="Send the body as JSON, with "
                                                        "Content-Type: application/json.")
        await _check_json(request, data_field.annotation)
    elif media_type == RequestEncodingType.URL_ENCODED:
        errors: dict[str, str] = {}
        for key, value in _decode_pairs(await request.body(), errors, where="form"):
            if problem := text_problem(value, multiline=True):
                errors.setdefault(key, problem)
        if errors:
            refuse(errors, "Nothing was saved: some of what was sent cannot be stored.")
    # Multipart bodies (report uploads) are files, checked by the upload itself.


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _DuplicateKey(key)
        seen[key] = value
    return seen


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


async def _check_json(request: Request[Any, Any, Any], declared: Any) -> None:
    body = await request.body()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        refuse({"body": "The request body is not valid UTF-8."})
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except _DuplicateKey as exc:
        refuse({exc.key: f"The key `{exc.key}` is given more than once: give it once."})
    except RecursionError:
        refuse({"body": f"The JSON is nested too deeply (at most {MAX_JSON_DEPTH} levels)."})
    except ValueError as exc:
        refuse({"body": f"The request body is not valid JSON: {exc}"})
    errors: dict[str, str] = {}
    for path, depth, item in _walk(value):
        if depth > MAX_JSON_DEPTH:
            refuse({"body": f"The JSON is nested too deeply (at most {MAX_JSON_DEPTH} levels)."})
        if isinstance(item, str) and (problem := text_problem(item, multiline=True)):
            errors.setdefault(path or "body", problem)
    if errors:
        refuse(errors)
    try:
        msgspec.json.decode(body, type=declared, strict=True)
    except msgspec.ValidationError as exc:
        refuse({_msgspec_field(str(exc)): str(exc)})


def _walk(value: Any, path: str = "", depth: int = 1) -> Iterator[tuple[str, int, Any]]:
    """Every value in a JSON document with its path (`members[0].name`) and depth; keys too."""
    stack: list[tuple[str, int, Any]] = [(path, depth, value)]
    while stack:
        here, level, item = stack.pop()
        yield here, level, item
        if isinstance(item, dict):
            for key, child in item.items():
                where = f"{here}.{key}" if here else str(key)
                yield where, level, str(key)
                stack.append((where, level + 1, child))
        elif isinstance(item, list):
            for i, child in enumerate(item):
                stack.append((f"{here}[{i}]", level + 1, child))


def _msgspec_field(message: str) -> str:
    """The field a msgspec error is about: "... - at `$.members[0].name`" -> members[0].name."""
    if "- at `$." in message:
        return message.rsplit("- at `$.", 1)[1].rstrip("`")
    if "- at `key` in `$." in message:  # a mapping's key, e.g. an id in due_dates
        return message.rsplit("- at `key` in `$.", 1)[1].rstrip("`")
    if "missing required field `" in message:
        return message.split("missing required field `", 1)[1].split("`", 1)[0]
    return "body"
