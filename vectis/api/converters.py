"""URL converters: path segments that hold public ids match only what a public id can be."""

from django.urls import register_converter


class PublicIdConverter:
    regex = r"[A-Za-z0-9_]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(PublicIdConverter, "pubid")
