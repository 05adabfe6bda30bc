"""What `OPTIONS` answers: the endpoint's name and media types, and where its full description
is (the OpenAPI schema). DRF's default also lists every field of the serializers the view
would use, which needs a serializer for each action (a 500 where a view has none: found by
schemathesis on /v1/inventory/reserve) and repeats the schema less exactly."""

from rest_framework.metadata import BaseMetadata


class SchemaMetadata(BaseMetadata):
    def determine_metadata(self, request, view):
        return {
            "name": view.get_view_name(),
            "renders": [renderer.media_type for renderer in view.renderer_classes],
            "parses": [parser.media_type for parser in view.parser_classes],
            "schema": "/v1/openapi.json",
        }
