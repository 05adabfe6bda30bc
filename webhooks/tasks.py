"""Celery tasks: take ids, call a service, safe to run twice (acks_late is on globally)."""

from celery import shared_task

from webhooks import services


@shared_task(name="webhooks.fan_out_event")
def fan_out_event(event_id: int) -> int:
    return len(services.fan_out(event_id))


@shared_task(name="webhooks.fan_out_events")
def fan_out_events(event_ids: list[int]) -> int:
    return len(services.fan_out_many(event_ids))


@shared_task(name="webhooks.deliver")
def deliver(delivery_id: int, attempt: int) -> bool:
    """Attempt number `attempt` of a delivery; a repeat of a done attempt is a no-op."""
    return services.attempt_delivery(delivery_id, attempt) is not None


@shared_task(name="webhooks.deliver_batch")
def deliver_batch(pairs: list[list[int]]) -> int:
    """Attempts [[delivery_id, attempt], …] made side by side; repeats are no-ops."""
    return services.attempt_deliveries([(d, a) for d, a in pairs])


@shared_task(name="webhooks.relay")
def relay() -> int:
    """Fan out committed events (what the dispatcher does continuously)."""
    return services.relay_pending()


@shared_task(name="webhooks.sweep")
def sweep() -> dict:
    result = services.sweep()
    return {"events": result.events_fanned_out, "deliveries": result.deliveries_queued}
