"""S4: bulk writes against the same rows in one statement."""

import time

from bench.harness import data, stack
from bench.harness.scenarios.common import (
    Ctx,
    verify_ledger,
)


# --- S4 -------------------------------------------------------------------------------------------
def http_posts(base_url: str, token: str, path: str, bodies: list[dict], clients: int) -> list:
    """POST every body (`clients` keep-alive connections side by side); (status, json) each."""
    import http.client
    import json as _json
    import threading
    from concurrent.futures import ThreadPoolExecutor
    from urllib.parse import urlsplit

    where = urlsplit(base_url)
    local = threading.local()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def post(body: dict):
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = http.client.HTTPConnection(where.hostname, where.port, timeout=60)
        conn.request("POST", path, body=_json.dumps(body), headers=headers)
        response = conn.getresponse()
        payload = response.read()
        return response.status, (_json.loads(payload) if payload else None)

    with ThreadPoolExecutor(max_workers=clients) as pool:
        return list(pool.map(post, bodies))


def s4(ctx: Ctx) -> dict:
    """Flash sale: holds of 1 unit with `expires_in`, far more than the stock, from 32 clients;
    half of those placed are released, the rest left to lapse. Oversold: units held beyond the
    stock (by the API's answers and by the database); left: reservations still active 1 min
    after the last hold lapsed (the expiry sweep runs every 30 s)."""
    prof = ctx.profile
    cat = data.make_catalog(data.unique_name("S4"), skus=1, stock=prof.s4_units, prefix="FLASH")
    tok = stack.token(ctx.cfg, cat.account_name)
    sku = cat.skus[0]
    bodies = [
        {
            "reference": f"cart-{n}",
            "items": [{"sku": sku, "quantity": 1}],
            "expires_in": prof.s4_expires_in,
        }
        for n in range(prof.s4_holds)
    ]
    started = time.monotonic()
    answers = http_posts(ctx.cfg.base_url, tok, "/v1/inventory/reserve", bodies, clients=32)
    placed_s = time.monotonic() - started
    lapse_at = time.monotonic() + prof.s4_expires_in - placed_s
    statuses: dict[int, int] = {}
    for code, _ in answers:
        statuses[code] = statuses.get(code, 0) + 1
    held = [body["reservations"][0]["id"] for code, body in answers if code == 200]
    refused = sum(
        1 for code, body in answers if code == 409 and body["error"]["code"] == "insufficient_stock"
    )
    level = cat.level_ids[0]
    reserved_db, on_hand_db = ctx.sql(
        "SELECT reserved, on_hand FROM inventory_stocklevel WHERE id = %s", (level,)
    )[0]
    active_db = ctx.one(
        "SELECT count(*) FROM inventory_reservation WHERE account_id = %s AND status = 'active'",
        (cat.account_id,),
    )
    ctx.log(
        f"  {len(held)} held, {refused} refused in {placed_s:.1f}s; reserved {reserved_db} of "
        f"{on_hand_db}, active {active_db}"
    )
    releases = http_posts(
        ctx.cfg.base_url,
        tok,
        "/v1/inventory/release",
        [{"reservation_id": rid} for rid in held[::2]],
        clients=32,
    )
    released = sum(1 for code, _ in releases if code == 200)
    ctx.log(f"  released {released}; waiting for the rest to lapse and 1 min more…")
    time.sleep(max(0.0, lapse_at - time.monotonic()) + 60)
    left = ctx.one(
        "SELECT count(*) FROM inventory_reservation WHERE account_id = %s AND status = 'active'",
        (cat.account_id,),
    )
    reserved_end = ctx.one("SELECT reserved FROM inventory_stocklevel WHERE id = %s", (level,))
    expired = ctx.one(
        "SELECT count(*) FROM inventory_reservation WHERE account_id = %s AND status = 'expired'",
        (cat.account_id,),
    )
    ledger = verify_ledger(ctx, cat.account_name)
    return {
        "holds": prof.s4_holds,
        "units": prof.s4_units,
        "expires_in": prof.s4_expires_in,
        "placed_s": placed_s,
        "holds_per_s": prof.s4_holds / placed_s,
        "statuses": statuses,
        "held": len(held),
        "refused_insufficient": refused,
        "oversold_api": max(0, len(held) - prof.s4_units),
        "oversold_db": max(0, reserved_db - on_hand_db) + max(0, active_db - prof.s4_units),
        "released": released,
        "expired": expired,
        "left_active_1min_after": left,
        "reserved_at_end": reserved_end,
        "server_errors": sum(n for code, n in statuses.items() if code >= 500),
        "ledger": ledger,
    }
