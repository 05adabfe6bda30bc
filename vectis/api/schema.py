"""OpenAPI 3.1: OAuth2 client credentials with per-operation scopes and documented errors."""

from django.core.validators import RegexValidator
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import force_instance
from rest_framework import serializers

from vectis.accounts.scopes import SCOPES
from vectis.api.filters import LIST_ENTRY_SCHEMA, SPACE_OR_NUL
from vectis.api.idempotency import MAX_KEY_LENGTH
from vectis.api.permissions import required_scopes
from vectis.api.serializers import StrictSerializer

ERROR_REF = {"$ref": "#/components/schemas/Error"}

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "field", "request_id"],
            "properties": {
                "code": {"type": "string", "examples": ["validation_error"]},
                "message": {"type": "string", "examples": ["Invalid SKU: WIDGET-BLU not found"]},
                "field": {"type": ["string", "null"], "examples": ["items[0].sku"]},
                "details": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "field": {"type": ["string", "null"]},
                            "code": {"type": "string"},
                            "message": {"type": "string"},
                        },
                    },
                },
                "request_id": {"type": ["string", "null"], "examples": ["req_3f2a…"]},
            },
        }
    },
}

_RATE_HEADERS = {
    "X-RateLimit-Limit": "Sustained requests a minute this client may send (100 by default).",
    "X-RateLimit-Burst": "How many requests may come at once: the bucket's capacity (200 by "
    "default), refilled at the sustained rate.",
    "X-RateLimit-Remaining": "Requests that may be sent now: tokens left in the bucket, up to "
    "the burst (so above the limit while a burst is unspent).",
    "X-RateLimit-Reset": "Unix time (seconds) at which the bucket is full again.",
}

_COMMON_ERRORS = {
    "400": "Invalid input (`validation_error`, with `field` and `details`).",
    "401": "Missing, invalid or expired token (`not_authenticated`, `invalid_token`).",
    "403": "The token lacks the required scope (`insufficient_scope`).",
    "404": "No such object in your account (`not_found`).",
    "409": "Conflict with current state, or the same Idempotency-Key is still in flight "
    "(`idempotency_in_progress`).",
    "422": "The Idempotency-Key was used with a different request (`idempotency_key_reused`).",
    "429": "Rate limit exceeded (`rate_limited`); see `Retry-After`.",
    "413": "The body is larger than the limit (`payload_too_large`).",
    "415": "The body is not JSON (`unsupported_media_type`): send "
    "`Content-Type: application/json`.",
}


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "vectis.api.authentication.BearerTokenAuthentication"
    name = "oauth2"

    def get_security_definition(self, auto_schema):
        return {
            "type": "oauth2",
            "description": "OAuth 2.0 client credentials. Send the token as "
            "`Authorization: Bearer <token>`; tokens live one hour.",
            "flows": {"clientCredentials": {"tokenUrl": "/oauth/token", "scopes": dict(SCOPES)}},
        }

    def get_security_requirement(self, auto_schema):
        # One requirement object per scope: OpenAPI reads a list of objects as "any of".
        scopes = required_scopes(auto_schema.view, auto_schema.method)
        return [{self.name: [scope]} for scope in scopes] or {self.name: []}


class VectisAutoSchema(AutoSchema):
    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        authenticated = bool(self.view.get_authenticators())
        scopes = required_scopes(self.view, method) if authenticated else []
        if scopes:
            needed = " or ".join(f"`{s}`" for s in scopes)
            note = f"**Scope:** {needed}."
            operation["description"] = (
                f"{operation.get('description', '')}\n\n{note}".strip()
                if operation.get("description")
                else note
            )
            operation.setdefault("x-scopes", scopes)
        parameters = operation.setdefault("parameters", [])
        if method == "POST" and authenticated:
            parameters.append(
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": False,
                    "description": "Makes retries safe: the same key and body within 24 h "
                    "return the original response (header `Idempotent-Replayed: true`).",
                    # Read without surrounding spaces; a blank key is a 400.
                    "schema": {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": MAX_KEY_LENGTH,
                        "pattern": NOT_BLANK_NO_NUL,
                    },
                }
            )
        parameters.append(
            {
                "name": "X-Request-ID",
                "in": "header",
                "required": False,
                "description": "Your id for this request: echoed back, and in errors, when it "
                "is 1 to 128 of `A-Z a-z 0-9 . _ : -`; any other value is replaced by an id "
                "Vectis makes (never refused).",
                "schema": {"type": "string"},
            }
        )
        example = self._request_example(method)
        if example is not None and "requestBody" in operation:
            operation["requestBody"]["content"]["application/json"]["example"] = example
        for parameter in parameters:
            if parameter.get("in") == "query":
                _exact_query_schema(parameter)
        responses = operation.setdefault("responses", {})
        wanted = []
        if authenticated:
            wanted += ["401", "403", "429"]
        if method in ("POST", "PUT", "PATCH") or self._has_query_params(operation):
            wanted.append("400")
        if "requestBody" in operation:
            wanted += ["413", "415"]
        # a path id, or an action that looks an object up by its query (schema_not_found)
        if "{" in path or getattr(self.view, "action", None) in getattr(
            self.view, "schema_not_found", ()
        ):
            wanted.append("404")
        if method == "POST" and authenticated:
            wanted += ["409", "422"]
        if method != "GET":
            for status, text in getattr(self.view, "schema_errors", {}).items():
                responses.setdefault(str(status), _error_response(text))
        for status in wanted:
            responses.setdefault(status, _error_response(_COMMON_ERRORS[status]))
        if authenticated:
            for status, response in responses.items():
                if status.startswith("2"):
                    headers = response.setdefault("headers", {})
                    for name, text in _RATE_HEADERS.items():
                        headers.setdefault(
                            name, {"description": text, "schema": {"type": "integer"}}
                        )
        return operation

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        for prop in schema.get("properties", {}).values():
            _exclusive_blank(prop)
        serializer = force_instance(serializer)
        if type(serializer).__dict__.get("__doc__") is None:
            # No docstring of its own: not the base class's (StrictSerializer's) either.
            schema.pop("description", None)
        if direction == "request" and isinstance(serializer, StrictSerializer):
            # The serializer refuses keys it does not know (and read-only ones).
            schema["additionalProperties"] = False
            groups = [
                {"oneOf": [{"required": [name]} for name in names]} for names in serializer.one_of
            ]
            for alias, deprecated in serializer.deprecated_aliases.items():
                field = schema["properties"][deprecated.replacement]
                schema["properties"][alias] = {
                    **field,
                    "deprecated": True,
                    "description": deprecated.note(),
                }
                if deprecated.replacement in schema.get("required", []):
                    schema["required"].remove(deprecated.replacement)
                    if not schema["required"]:
                        del schema["required"]
                    groups.append(
                        {"oneOf": [{"required": [deprecated.replacement]}, {"required": [alias]}]}
                    )
            if len(groups) == 1:
                schema.update(groups[0])
            elif groups:
                schema["allOf"] = groups
            for key, rule in serializer.schema_rules.items():
                if key == "properties":
                    for name, extra in rule.items():
                        schema["properties"][name].update(extra)
                else:
                    schema[key] = rule
        return schema

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if direction != "request" or not isinstance(schema, dict):
            return schema
        types = _types(schema)
        lists = serializers.ListSerializer | serializers.ListField
        if schema.get("type") == "array" and isinstance(field, lists):
            if not field.allow_empty:
                schema["minItems"] = max(1, schema.get("minItems", 0))
            if getattr(field, "max_length", None) is not None:
                schema["maxItems"] = min(field.max_length, schema.get("maxItems", field.max_length))
        elif isinstance(field, serializers.DecimalField):
            if "string" in types and field.max_digits is not None:
                schema["pattern"] = _decimal_pattern(field)
        elif isinstance(field, serializers.DateTimeField):
            if schema.get("format") == "date-time":
                # vectis.serializers.parse_date_time: years from 1000, up to 6 fractional digits.
                schema["pattern"] = DATE_TIME_PATTERN
        elif (
            isinstance(field, serializers.CharField)
            and "string" in types
            and not {"pattern", "format", "enum", "oneOf", "anyOf"} & set(schema)
            and not any(isinstance(v, RegexValidator) for v in field.validators)
        ):
            # DRF strips the value first: a blank-refusing field refuses only spaces too.
            blank_refused = not field.allow_blank and field.trim_whitespace
            schema["pattern"] = NOT_BLANK_NO_NUL if blank_refused else NO_NUL
        return schema

    def _request_example(self, method: str) -> dict | None:
        """The view's own example for this action, else its request serializer's."""
        examples = getattr(self.view, "schema_examples", {})
        action = getattr(self.view, "action", None)
        if action in examples:
            return examples[action]
        if method not in ("POST", "PUT", "PATCH"):
            return None
        serializer = self.get_request_serializer()
        return getattr(serializer, "example", None) if serializer is not None else None

    @staticmethod
    def _has_query_params(operation) -> bool:
        return any(p.get("in") == "query" for p in operation.get("parameters", []))


# Text fields refuse NUL characters (DRF's and Django's CharField), and query values may not
# be blank: have a character that is neither NUL nor what Python's str.strip() removes (listed,
# since `\s` differs between regex engines: ECMA's lacks U+001C-U+001F and U+0085).
NO_NUL = r"^[^\u0000]*$"
NONEMPTY_NO_NUL = r"^[^\u0000]+$"
DATE_TIME_PATTERN = (
    r"^[1-9]\d{3}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:[Zz]|[+-]\d{2}:\d{2})$"
)
NOT_BLANK_NO_NUL = rf"^[^\u0000]*[^{SPACE_OR_NUL}][^\u0000]*$"


def _exclusive_blank(prop: dict) -> None:
    """drf-spectacular states a blank-allowing text field as oneOf [its rules, maxLength 0];
    with the NUL-free pattern, which "" matches too, the empty string would match both and
    be refused: the first branch then takes only non-empty text."""
    branches = prop.get("oneOf")
    if (
        isinstance(branches, list)
        and len(branches) == 2
        and branches[1] == {"type": "string", "maxLength": 0}
        and branches[0].get("pattern") == NO_NUL
    ):
        branches[0]["pattern"] = NONEMPTY_NO_NUL
        if "default" in branches[0]:  # "" is the other branch's: the default is the field's
            prop["default"] = branches[0].pop("default")


def _types(schema: dict) -> list:
    kind = schema.get("type")
    return kind if isinstance(kind, list) else [kind]


def _decimal_pattern(field) -> str:
    """What vectis.serializers.DecimalField takes as a string: digits with an optional
    fraction (no exponent, "+", spaces or negative zero), within the field's digits; leading
    zeros do not count, trailing ones do (DRF's precision check)."""
    whole = field.max_digits - field.decimal_places
    signed = field.min_value is None or field.min_value < 0
    sign = r"(?!-0*(?:\.0*)?$)-?" if signed else ""
    fraction = rf"(?:\.\d{{1,{field.decimal_places}}})?" if field.decimal_places else ""
    return rf"^{sign}0*\d{{1,{max(whole, 1)}}}{fraction}$"


def _exact_query_schema(parameter: dict) -> None:
    """What every list endpoint does with a query parameter (vectis.api.filters), in its
    schema: a list is one comma-separated value (`?status=a,b`; sending a parameter twice is
    a 400) without empty entries, and a text value may not be blank."""
    schema = parameter.get("schema", {})
    if schema.get("type") == "array":
        parameter["style"], parameter["explode"] = "form", False
        schema.pop("minLength", None)  # a string keyword, meaningless on an array
        items = schema.setdefault("items", {"type": "string"})
        if items.get("type") == "string" and not {"enum", "pattern"} & set(items):
            items.update(LIST_ENTRY_SCHEMA)
        schema.setdefault("minItems", 1)
    elif schema.get("type") == "string" and not {"enum", "pattern", "format", "anyOf"} & set(
        schema
    ):
        schema["minLength"] = max(1, schema.get("minLength", 0))
        schema["pattern"] = NOT_BLANK_NO_NUL


def _error_response(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": ERROR_REF}}}


TOKEN_PATH = {
    "post": {
        "operationId": "oauth_token_create",
        "summary": "Get an access token (OAuth 2.0 client credentials)",
        "description": "Accepts a JSON or a form-encoded body; client credentials may also be "
        "sent with HTTP Basic auth. Errors on this endpoint use the RFC 6749 format "
        '(`{"error": "invalid_client"}`).',
        "tags": ["auth"],
        "security": [],
        "requestBody": {
            "required": True,
            "content": {
                media: {
                    "schema": {
                        "type": "object",
                        "required": ["grant_type"],
                        "properties": {
                            "grant_type": {"type": "string", "enum": ["client_credentials"]},
                            "client_id": {"type": "string"},
                            "client_secret": {"type": "string"},
                            "scope": {
                                "type": "string",
                                "description": "Space-separated scopes; omitted means every "
                                "scope the client was granted.",
                                "examples": ["orders:read orders:write inventory:read"],
                            },
                        },
                    },
                    "example": {
                        "grant_type": "client_credentials",
                        "client_id": "vQ3n8ZkT2mXc7BwL5pRj9HdY4sNf6GtK1aEu0CiO",
                        "client_secret": "shown once when the client is made (seed_demo prints it)",
                    },
                }
                for media in ("application/json", "application/x-www-form-urlencoded")
            },
        },
        "responses": {
            "200": {
                "description": "Token issued.",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["access_token", "token_type", "expires_in", "scope"],
                            "properties": {
                                "access_token": {"type": "string"},
                                "token_type": {"type": "string", "enum": ["Bearer"]},
                                "expires_in": {"type": "integer", "examples": [3600]},
                                "scope": {"type": "string"},
                            },
                        }
                    }
                },
            },
            "400": {
                "description": "`invalid_request`, `invalid_scope`, `unsupported_grant_type` "
                "or `unauthorized_client`.",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/OAuthError"}}
                },
            },
            "401": {
                "description": "`invalid_client`: unknown client or wrong secret.",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/OAuthError"}}
                },
            },
            "429": {
                "description": "`rate_limited`: too many failed attempts for this client id or "
                "from this address; retry after `Retry-After` seconds.",
                "headers": {
                    "Retry-After": {
                        "description": "Seconds until another attempt is accepted.",
                        "schema": {"type": "integer"},
                    }
                },
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/OAuthError"}}
                },
            },
        },
    }
}

OAUTH_ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {"type": "string", "examples": ["invalid_client"]},
        "error_description": {"type": "string"},
    },
}
