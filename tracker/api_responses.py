"""The JSON API's answers, typed: a base for response structs, the error bodies, and their OpenAPI.

Every `/api/v1` handler returns a msgspec struct (see `plans/api_types.py`, `notify/api_types.py`,
`family/api_types.py`) and names the refusals it can give with `error_responses(...)`, so
`/schema/openapi.json` describes every body a client can receive. The error bodies are the ones
`tracker.app`'s exception handlers write.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import msgspec
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Operation, Schema
from litestar.routes import HTTPRoute
from litestar.typing import FieldDefinition

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

T = TypeVar("T")

IsoDateTime = Annotated[str, msgspec.Meta(
    description="An instant as ISO 8601 with its UTC offset, e.g. 2026-11-24T10:00:00+00:00.",
    extra_json_schema={"extra": {"format": "date-time"}},
)]
"""A time the view already wrote as text (`datetime.isoformat()`), kept exactly as sent."""


class Out(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base for response bodies.

    `forbid_unknown_fields` makes `to_out` refuse a read view that has grown a key its struct
    does not describe (the API tests then fail), instead of silently dropping it from answers;
    the OpenAPI document says `additionalProperties: false` for the same reason.
    """


def to_out(value: Any, type_: type[T]) -> T:
    """A read view (plain dicts and lists from the services) as its response struct."""
    return msgspec.convert(value, type_)


class ErrorOut(Out):
    """A refusal: 401 (no or a bad API token), 403 (may see but not change), 404 (missing or
    hidden: the same answer), 405, 413 (body too large), 415 (body not sent as JSON), 500."""

    detail: str


class FieldErrorsOut(Out):
    """Bad input (400): one plain-English message per field. Nothing has been written."""

    detail: str
    errors: dict[str, str]


_DESCRIPTIONS: dict[int, str] = {
    400: "Bad input: one message per field, named by its path in the body or its parameter "
         "(`errors`); nothing was written.",
    401: "No API token, or one that is not valid: send `Authorization: Bearer <token>`.",
    403: "You may see this record but not make this change (the reason is in `detail`).",
    404: "No such record, or one you may not see (the same answer for both).",
    413: "The request body is larger than the server accepts.",
    415: "The body was not sent as `Content-Type: application/json`.",
    503: "The service cannot answer now (the reason is in the body).",
}


def error_responses(*codes: int) -> dict[int, ResponseSpec]:
    """The OpenAPI `responses` for the refusals an operation can give, by status code."""
    responses: dict[int, ResponseSpec] = {}
    for code in codes:
        responses[code] = ResponseSpec(
            data_container=FieldErrorsOut if code == 400 else ErrorOut,
            description=_DESCRIPTIONS[code],
            generate_examples=False,
        )
    return responses


# The refusals common to groups of operations.
READ = (400, 401, 404)
"""Reading one record by its id."""
CHANGE = (400, 401, 403, 404, 413, 415)
"""Changing a record (a JSON body) the caller may or may not manage."""


class PublicOperation(Operation):
    """An operation that needs no API token (`security: []` overrides the document's default)."""

    def to_schema(self) -> dict[str, Any]:
        """The operation, with an empty security list (Litestar leaves out an empty one)."""
        return {**super().to_schema(), "security": []}


class StrictStructSchemaPlugin(StructSchemaPlugin):
    """Litestar's struct schemas, plus `additionalProperties: false` where the struct forbids
    unknown fields: request bodies (`schemas.Body`, a 400 for an unknown field) and response
    bodies (`Out`), so clients and schemathesis know an extra key is refused or never sent.

    Registered on the app before Litestar's own struct plugin, which it extends (Litestar 2
    offers no public hook for this; the import is pinned by `litestar<3`).
    """

    def to_openapi_schema(self, field_definition: FieldDefinition,
                          schema_creator: SchemaCreator) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        # The struct's docstring says what the object is: a client generator shows it.
        doc = vars(field_definition.type_).get("__doc__")  # its own, never a base class's
        if schema.description is None and doc:
            schema.description = " ".join(inspect.cleandoc(doc).split())
        config = getattr(field_definition.type_, "__struct_config__", None)
        if config is not None and config.forbid_unknown_fields:
            # This is the registered component itself, the object every $ref points at.
            schema.additional_properties = False
        return schema


def allow_header_middleware(app: ASGIApp) -> ASGIApp:
    """`Allow` on an OPTIONS answer names every method of the path, as the OpenAPI document does.

    Litestar 2 makes a path's OPTIONS handler when the first handler there is registered and keeps
    it when a controller adds another method at the same path, so `OPTIONS /api/v1/families`
    said `OPTIONS, POST` without GET. The methods are read from the app's routes instead.
    """

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or scope.get("method") != "OPTIONS":
            await app(scope, receive, send)
            return
        # OPTIONS is rare: reading the routes each time is cheaper than keeping a cache right.
        template = scope.get("path_template", "")
        allow = next((", ".join(sorted(route.methods)) for route in scope["litestar_app"].routes
                      if isinstance(route, HTTPRoute) and route.path_format == template), None)

        async def send_allow(message: Message) -> None:
            if message["type"] == "http.response.start" and allow:
                headers = MutableScopeHeaders.from_message(message)
                if "allow" in headers:
                    headers["Allow"] = allow
            await send(message)

        await app(scope, receive, send_allow)

    return middleware
