"""Base views every endpoint builds on: rate limit, scopes, idempotency, account scoping."""

import functools
import hashlib
import threading

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.signals import setting_changed
from django.http import HttpResponse, HttpResponseNotModified
from drf_spectacular.renderers import OpenApiJsonRenderer
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularJSONAPIView
from rest_framework import exceptions, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from vectis import health, logs
from vectis.api import auth_cache, deprecation, idempotency, ratelimit
from vectis.api.authentication import ApiPrincipal
from vectis.serializers import represent


class _Replay(Exception):
    def __init__(self, response):
        self.response = response


class VectisAPIMixin:
    """Order of checks: authenticate → rate limit → scopes → idempotency key → handler."""

    # Actions answering documents (PDF, ZPL, PNG): any Accept header is fine for them; their
    # errors still come as JSON.
    document_actions: tuple[str, ...] = ()

    @property
    def actor(self) -> str:
        """Who acts, as services record it (the API client)."""
        return str(self.request.user)

    def perform_content_negotiation(self, request, force=False):
        document = getattr(self, "action", None) in self.document_actions
        return super().perform_content_negotiation(request, force=force or document)

    def initial(self, request, *args, **kwargs):
        deprecation.start()
        self.format_kwarg = self.get_format_suffix(**kwargs)
        neg = self.perform_content_negotiation(request)
        request.accepted_renderer, request.accepted_media_type = neg
        version, scheme = self.determine_version(request, *args, **kwargs)
        request.version, request.versioning_scheme = version, scheme

        self.perform_authentication(request)
        principal = request.user
        if isinstance(principal, ApiPrincipal):
            logs.request_authenticated(
                account=principal.account.public_id, client=principal.client.client_id
            )
        self.check_rate_limit(request)
        self.check_permissions(request)
        self.check_throttles(request)
        self.claim_idempotency_key(request)

    def check_rate_limit(self, request) -> None:
        principal = request.user
        if not getattr(principal, "is_authenticated", False):
            return
        decision = ratelimit.check(principal.client.public_id)
        request._ratelimit = decision
        self.recheck_cached_token(request, decision)
        if decision is not None and not decision.allowed:
            raise exceptions.Throttled(
                wait=decision.retry_after,
                detail=exceptions.ErrorDetail(
                    f"Rate limit exceeded; retry in {decision.retry_after} s.", code="rate_limited"
                ),
            )

    def recheck_cached_token(self, request, decision) -> None:
        """A token verified from the process's cache is verified again when access was revoked
        somewhere since (the generation moved on; the rate limiter read it for free)."""
        checksum, cached_generation = getattr(request, "_vectis_auth", (None, None))
        if cached_generation is None:
            return  # verified against the database in this request
        generation = decision.generation if decision is not None else None
        if generation is None:
            generation = auth_cache.current_generation()
        if generation == cached_generation:
            return
        auth_cache.forget(checksum)
        authenticator = request.successful_authenticator
        request.user, request.auth = authenticator.verify(request, checksum)

    def claim_idempotency_key(self, request) -> None:
        raw = request.headers.get("Idempotency-Key")
        if request.method != "POST" or raw is None:
            return
        key = idempotency.validate_key(raw)
        # Read the raw body now, before DRF's parser consumes the stream.
        body = request._request.body
        claim = idempotency.claim(
            account=request.user.account,
            key=key,
            method=request.method,
            path=request.get_full_path(),
            body=body,
        )
        if claim.replay is not None:
            raise _Replay(idempotency.replay_response(claim.replay))
        request._idempotency_record = claim.record

    def handle_exception(self, exc):
        if isinstance(exc, _Replay):
            return exc.response
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        for name, value in deprecation.headers().items():
            response[name] = value
        decision = getattr(request, "_ratelimit", None)
        if decision is not None:
            for name, value in decision.headers().items():
                response[name] = value
        record = getattr(request, "_idempotency_record", None)
        if record is not None:
            request._idempotency_record = None
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
            error = (
                response.data.get("error")
                if isinstance(getattr(response, "data", None), dict)
                else None
            )
            idempotency.complete(record, response, error.get("code") if error else None)
        return response


class VectisAPIView(VectisAPIMixin, APIView):
    pass


class AccountScopedMixin:
    """Querysets hold only the caller's account's rows, whatever a subclass's get_queryset
    returns: it is wrapped when the class is made, so forgetting the account filter cannot
    leak another account's rows. Opting out takes `tenancy_opt_out = "<why>"` on the class,
    which tests/api/test_tenancy_base.py lists. Lookups use the public id."""

    lookup_field = "public_id"
    lookup_url_kwarg = "id"
    # Public ids are prefix_base62: anything else never reaches the database.
    lookup_value_regex = r"[A-Za-z0-9_]+"
    tenancy_opt_out: str = ""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("get_queryset")
        if own is not None and not getattr(own, "_account_scoped", False):
            cls.get_queryset = _scoped(own)

    @property
    def account(self):
        # None while drf-spectacular inspects the view without a request user.
        return getattr(getattr(self.request, "user", None), "account", None)

    def get_queryset(self):
        return super().get_queryset()


def _scoped(get_queryset):
    @functools.wraps(get_queryset)
    def scoped(self):
        queryset = get_queryset(self)
        if self.tenancy_opt_out:
            return queryset
        return queryset.filter(account=self.account)

    scoped._account_scoped = True
    return scoped


AccountScopedMixin.get_queryset = _scoped(AccountScopedMixin.get_queryset)


class VectisGenericViewSet(VectisAPIMixin, AccountScopedMixin, viewsets.GenericViewSet):
    def shown(self, obj_or_pk) -> dict:
        """An object as this resource shows it (`serializer_class`), read again through the
        viewset's queryset, so with what its representation loads and as the write left it."""
        pk = getattr(obj_or_pk, "pk", obj_or_pk)
        return represent(self.serializer_class, self.get_queryset().get(pk=pk))

    def respond(self, obj_or_pk, code: int = status.HTTP_200_OK) -> Response:
        """The answer of a write: the object as shown, with `code`."""
        return Response(self.shown(obj_or_pk), status=code)


_validators = threading.local()


def validated(serializer_class, data, *, partial: bool = False, context: dict | None = None):
    """Validate request data with a named serializer; errors become 400 validation_error.

    Building a DRF serializer binds a fresh copy of every declared field, nested ones included
    (~0.8 ms for the order create body, most of its validation time). So each thread keeps one
    instance per (class, partial) and runs ``run_validation`` on it, with this call's context set
    for the duration. A request serializer keeps no per-call state apart from that context (none
    reads ``initial_data`` or ``instance``). Invalid input is validated again on a fresh instance,
    so the 400 bodies stay exactly what ``is_valid`` reports.
    """
    cache = getattr(_validators, "serializers", None)
    if cache is None:
        cache = _validators.serializers = {}
    key = (serializer_class, partial)
    serializer = cache.get(key)
    if serializer is None:
        serializer = cache[key] = serializer_class(partial=partial)
    serializer._context = context or {}
    try:
        return serializer.run_validation(data)
    except (ValidationError, DjangoValidationError):
        pass
    finally:
        serializer._context = {}
    serializer = serializer_class(data=data, partial=partial, context=context or {})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class HealthView(APIView):
    """`/healthz`: liveness. The process answers; nothing else is checked (vectis/health.py)."""

    authentication_classes: list = []
    permission_classes: list = []
    schema = None

    def get(self, request):
        return Response({"status": "ok"})


class ReadyView(APIView):
    """`/readyz`: readiness. 200 when the database, the broker and the migrations are in
    order, else 503 with `failing` naming each component that is not (vectis/health.py)."""

    authentication_classes: list = []
    permission_classes: list = []
    schema = None

    def get(self, request):
        ready, body = health.readiness()
        return Response(body, status=200 if ready else 503)


class SchemaView(SpectacularJSONAPIView):
    """`/v1/openapi.json`, built once per process (at the first request) and served from
    memory after, with an ETag: a client holding the current schema gets a 304. The schema
    depends on the code only, so a deploy (new processes) is what renews it."""

    _built: dict[tuple, tuple[bytes, str]] = {}
    _lock = threading.Lock()
    builds = 0  # schemas generated by this process (tests pin it)

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        version = self.api_version or request.version or self._get_version_parameter(request)
        key = (getattr(request, "urlconf", None) or settings.ROOT_URLCONF, version)
        built = self._built.get(key)
        if built is None:
            with self._lock:
                built = self._built.get(key)
                if built is None:
                    built = self._built[key] = self._build(request, version)
        body, etag = built
        headers = {
            "ETag": etag,
            "Cache-Control": "public, max-age=300",
            "Content-Disposition": 'inline; filename="openapi.json"',
        }
        if etag in _etags(request.headers.get("If-None-Match", "")):
            return HttpResponseNotModified(headers=headers)
        return HttpResponse(body, content_type=OpenApiJsonRenderer.media_type, headers=headers)

    def _build(self, request, version) -> tuple[bytes, str]:
        generator = self.generator_class(
            urlconf=self.urlconf, api_version=version, patterns=self.patterns
        )
        schema = generator.get_schema(request=request, public=self.serve_public)
        body = OpenApiJsonRenderer().render(schema, renderer_context={})
        type(self).builds += 1
        return body, f'"{hashlib.sha256(body).hexdigest()[:32]}"'

    @classmethod
    def forget(cls, **kwargs) -> None:
        """Drop the built schemas (tests that change the URL conf or the settings)."""
        with cls._lock:
            cls._built.clear()


def _etags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


setting_changed.connect(SchemaView.forget)
