"""Webhooks: the outbox (emit), endpoints, fan-out, delivery attempts, retries and recovery.

Flow: `emit()` writes an Event in the caller's transaction and queues nothing → the relay
(`relay_pending`, run by the dispatcher, `manage.py dispatch`, and as a fallback by the
periodic sweep) fans committed events out in batches: one INSERT of the deliveries of many
events (unique per event and endpoint) → attempts go to workers in batches
(`webhooks.deliver_batch`); attempt N is claimed with a conditional UPDATE so a redelivered
task never repeats or double-counts it → failures are retried on a fixed backoff schedule by
the sweep. With tasks in-process (the embedded default) the events of a transaction are
fanned out right after its commit, on a background thread.

One module per concern; this package is their public face (callers import
`webhooks.services`, not its modules):

- `outbox`: emit, emit_many, emit_events
- `fanout`: fan_out, fan_out_many, relay_pending
- `delivery`: attempt_delivery, attempt_deliveries (claim, send, record)
- `outcomes`: what a result means for the delivery and its endpoint
- `endpoints`: endpoint_create/update/rotate_secret/delete/send_test
- `replay`: delivery_redeliver, endpoint_recover (and its dry run), sweep
- `retention`: deliveries_prune, events_prune (the `prune` command)
- `policy`: retry schedule, leases, batch sizes; `queue`: handing attempts to workers
"""

from webhooks.services.delivery import (
    attempt_deliveries,
    attempt_delivery,
    request_body,
    wave_size,
)
from webhooks.services.endpoints import (
    CreatedEndpoint,
    endpoint_create,
    endpoint_delete,
    endpoint_rotate_secret,
    endpoint_send_test,
    endpoint_update,
)
from webhooks.services.fanout import fan_out, fan_out_many, relay_pending
from webhooks.services.outbox import emit, emit_events, emit_many, stored
from webhooks.services.outcomes import classify
from webhooks.services.policy import (
    MAX_ATTEMPTS,
    RETRY_SCHEDULE,
    DeliveryInProgress,
    EndpointDisabled,
)
from webhooks.services.replay import (
    SweepResult,
    delivery_redeliver,
    endpoint_recover,
    endpoint_recover_count,
    sweep,
)
from webhooks.services.retention import deliveries_prune, events_prune

__all__ = [
    "MAX_ATTEMPTS",
    "RETRY_SCHEDULE",
    "CreatedEndpoint",
    "DeliveryInProgress",
    "EndpointDisabled",
    "SweepResult",
    "attempt_deliveries",
    "attempt_delivery",
    "classify",
    "deliveries_prune",
    "delivery_redeliver",
    "emit",
    "emit_events",
    "emit_many",
    "endpoint_create",
    "endpoint_delete",
    "endpoint_recover",
    "endpoint_recover_count",
    "endpoint_rotate_secret",
    "endpoint_send_test",
    "endpoint_update",
    "events_prune",
    "fan_out",
    "fan_out_many",
    "relay_pending",
    "request_body",
    "stored",
    "sweep",
    "wave_size",
]
