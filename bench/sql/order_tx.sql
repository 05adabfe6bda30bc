-- B_sql: one order created and allocated, as one transaction, straight in SQL.
-- The same rows Vectis writes for a 3-line order (orders/services/intake.py, allocation.py,
-- inventory/services/reservations.py, orders/services/packages.py, webhooks emit): the order,
-- its lines, two history events, three outbox events (order.created, package.created,
-- order.allocated), one reservation per line, one package with its lines, and a conditional
-- stock UPDATE per line in stock-level order. Dollar-brace placeholders are filled in by
-- bench/harness/baselines.py.
\set a random(0, ${nskus} - 1)
\set b random(0, ${nskus} - 1)
\set c random(0, ${nskus} - 1)
\set lo least(:a, :b, :c)
\set hi greatest(:a, :b, :c)
\set mi :a + :b + :c - :lo - :hi
BEGIN;
SELECT id, active FROM catalog_product WHERE account_id = ${account} AND sku IN ('SKU-' || lpad(CAST(:a AS text), 4, '0'), 'SKU-' || lpad(CAST(:b AS text), 4, '0'), 'SKU-' || lpad(CAST(:c AS text), 4, '0'));
INSERT INTO orders_order (public_id, account_id, channel, external_id, status, sub_status, hold_reason, currency, ship_to, customer_name, customer_email, shipping_method, notes, tags, metadata, shipping, tax, discount, subtotal, total, payment, priority, allocation_due_at, created_at, updated_at) VALUES ('ord_' || substr(md5(random()::text), 1, 20), ${account}, 'web', 'bsql-' || gen_random_uuid(), 'pending', '', '', 'USD', '${ship_to}', 'Bench Buyer', '', '', '', '[]', '{}', 0, 0, 0, 30, 30, '{}', 0, now(), now(), now()) RETURNING id AS oid
\gset
INSERT INTO orders_orderline (public_id, account_id, order_id, position, product_id, sku, quantity, price, quantity_allocated, quantity_shipped, quantity_cancelled, quantity_returned) VALUES ('lin_' || substr(md5(random()::text), 1, 20), ${account}, :oid, 0, ${prod0} + :a, 'SKU-' || lpad(CAST(:a AS text), 4, '0'), 1, 10, 0, 0, 0, 0), ('lin_' || substr(md5(random()::text), 1, 20), ${account}, :oid, 1, ${prod0} + :b, 'SKU-' || lpad(CAST(:b AS text), 4, '0'), 1, 10, 0, 0, 0, 0), ('lin_' || substr(md5(random()::text), 1, 20), ${account}, :oid, 2, ${prod0} + :c, 'SKU-' || lpad(CAST(:c AS text), 4, '0'), 1, 10, 0, 0, 0, 0);
INSERT INTO orders_orderevent (account_id, order_id, type, from_status, to_status, data, actor, created_at) VALUES (${account}, :oid, 'created', 'pending', 'pending', '{"lines": 3}', 'client:bench', now());
INSERT INTO webhooks_event (public_id, account_id, type, data, created_at) VALUES ('evt_' || substr(md5(random()::text), 1, 20), ${account}, 'order.created', '${order_payload}', now());
UPDATE inventory_stocklevel SET reserved = reserved + 1, updated_at = now() WHERE id = ${level0} + :lo AND on_hand - reserved >= 1;
UPDATE inventory_stocklevel SET reserved = reserved + 1, updated_at = now() WHERE id = ${level0} + :mi AND on_hand - reserved >= 1;
UPDATE inventory_stocklevel SET reserved = reserved + 1, updated_at = now() WHERE id = ${level0} + :hi AND on_hand - reserved >= 1;
INSERT INTO inventory_reservation (public_id, account_id, stock_level_id, product_id, warehouse_id, quantity, order_line_id, reference, consumed_by, status, actor, created_at) SELECT 'rsv_' || substr(md5(random()::text), 1, 20), ${account}, ${level0} + (l.product_id - ${prod0}), l.product_id, ${warehouse}, l.quantity, l.id, o.public_id, '', 'active', 'system:auto_allocate', now() FROM orders_orderline l JOIN orders_order o ON o.id = l.order_id WHERE l.order_id = :oid;
UPDATE orders_orderline SET quantity_allocated = quantity_allocated + quantity WHERE order_id = :oid;
INSERT INTO orders_package (public_id, account_id, order_id, warehouse_id, status, carrier, service, tracking_number, weight_unit, dimension_unit, created_at, updated_at) VALUES ('pkg_' || substr(md5(random()::text), 1, 20), ${account}, :oid, ${warehouse}, 'pending', '', '', '', 'g', 'cm', now(), now()) RETURNING id AS pid
\gset
INSERT INTO orders_packageline (account_id, package_id, order_line_id, quantity) SELECT ${account}, :pid, id, quantity FROM orders_orderline WHERE order_id = :oid;
UPDATE orders_order SET status = 'allocated', allocation_due_at = NULL, updated_at = now() WHERE id = :oid;
INSERT INTO orders_orderevent (account_id, order_id, type, from_status, to_status, data, actor, created_at) VALUES (${account}, :oid, 'allocated', 'pending', 'allocated', '{"allocated_units": 3, "open_units": 0}', 'system:auto_allocate', now());
INSERT INTO webhooks_event (public_id, account_id, type, data, created_at) VALUES ('evt_' || substr(md5(random()::text), 1, 20), ${account}, 'package.created', '${package_payload}', now()), ('evt_' || substr(md5(random()::text), 1, 20), ${account}, 'order.allocated', '${order_payload}', now());
END;
