-- B_sql for S6: one stock adjustment as Vectis's inventory.adjust writes it: the level locked and
-- changed with a conditional UPDATE, one ledger row (stock movement), one outbox event.
\set k random(0, ${nskus} - 1)
\set q random(1, 5)
\set s random(0, 1)
\set d (2 * :s - 1) * :q
BEGIN;
UPDATE inventory_stocklevel SET on_hand = on_hand + :d, updated_at = now() WHERE id = ${level0} + :k AND on_hand + :d >= reserved RETURNING on_hand AS after
\gset
INSERT INTO inventory_stockmovement (public_id, account_id, product_id, warehouse_id, location_id, quantity, on_hand_after, reason, reference, note, actor, created_at) VALUES ('mov_' || substr(md5(random()::text), 1, 20), ${account}, ${prod0} + :k, ${warehouse}, ${location}, :d, :after, 'correction', '', '', 'client:bench', now());
INSERT INTO webhooks_event (public_id, account_id, type, data, created_at) VALUES ('evt_' || substr(md5(random()::text), 1, 20), ${account}, 'inventory.adjusted', '${adjust_payload}', now());
END;
