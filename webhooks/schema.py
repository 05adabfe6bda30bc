"""The OpenAPI 3.1 `webhooks` section: one entry per event type with the payload it delivers.
A drf-spectacular postprocessing hook of its own (SPECTACULAR_SETTINGS), so the API's core
schema code never imports this app."""

from webhooks.event_types import EVENT_TYPES


def add_webhooks_section(result, generator, request, public):
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    result["webhooks"] = _webhooks_section(schemas)
    return result


WEBHOOK_HEADERS = {
    "X-Vectis-Signature": "Hex HMAC-SHA256 of the raw body, keyed with the whole secret.",
    "X-Vectis-Event": "The event type.",
    "X-Vectis-Delivery": "The delivery id (`dlv_…`).",
    "X-Vectis-Timestamp": "Unix time of this attempt.",
    "webhook-id": "Standard Webhooks: the event id, the same on every retry.",
    "webhook-timestamp": "Standard Webhooks: unix time of this attempt.",
    "webhook-signature": "Standard Webhooks: `v1,<base64 HMAC-SHA256>` of "
    "`{id}.{timestamp}.{body}` keyed with the base64-decoded secret.",
}


def _webhooks_section(schemas: dict) -> dict:
    """One entry per event type; the payload schemas go into `schemas`."""
    section = {}
    for event_type in EVENT_TYPES.values():
        if event_type.name == "ping":
            data_schema = {
                "type": "object",
                "required": ["webhook_id", "url"],
                "properties": {"webhook_id": {"type": "string"}, "url": {"type": "string"}},
            }
        elif event_type.payload is not None:
            schemas[event_type.schema] = event_type.payload
            data_schema = {"$ref": f"#/components/schemas/{event_type.schema}"}
        elif event_type.schema and event_type.schema in schemas:
            data_schema = {"$ref": f"#/components/schemas/{event_type.schema}"}
        else:
            data_schema = {
                "type": "object",
                "description": f"The {event_type.schema or 'event'} payload.",
            }
        section[event_type.name] = {
            "post": {
                "summary": event_type.description,
                "description": "Signed with `X-Vectis-Signature` (hex HMAC-SHA256 of the raw "
                "body keyed with the endpoint secret) and Standard Webhooks headers "
                "`webhook-id`, `webhook-timestamp`, `webhook-signature`. Answer 2xx to "
                "acknowledge; 429/5xx/timeouts are retried for about 3 days, 410 disables the "
                "endpoint.",
                "operationId": f"webhook_{event_type.name.replace('.', '_')}",
                "tags": ["webhook events"],
                "parameters": [
                    {
                        "name": name,
                        "in": "header",
                        "required": True,
                        "description": text,
                        "schema": {"type": "string"},
                    }
                    for name, text in WEBHOOK_HEADERS.items()
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["id", "type", "created_at", "data"],
                                "properties": {
                                    "id": {"type": "string", "examples": ["evt_8Xk2…"]},
                                    "type": {"type": "string", "const": event_type.name},
                                    "created_at": {"type": "string", "format": "date-time"},
                                    "data": data_schema,
                                },
                            }
                        }
                    },
                },
                "responses": {"2XX": {"description": "Delivered."}},
            }
        }
    return section
