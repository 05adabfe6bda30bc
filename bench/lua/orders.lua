-- wrk: POST /v1/orders with unique external ids and BENCH_LINES lines drawn uniformly from
-- BENCH_SKUS; with BENCH_HOT_SKU every order also holds BENCH_HOT_QTY units of that SKU.
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
local common = require("common")

setup = common.setup

function init(args)
  statuses = {}
  counter = 0
  skus = common.split(os.getenv("BENCH_SKUS"))
  tag = os.getenv("BENCH_TAG") or "bench"
  lines = tonumber(os.getenv("BENCH_LINES") or "3")
  hot = os.getenv("BENCH_HOT_SKU") or ""
  hot_qty = tonumber(os.getenv("BENCH_HOT_QTY") or "1")
  headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN"),
  }
  math.randomseed(thread_id * 7919 + os.time())
end

local ship_to = '"ship_to": {"name": "Bench Buyer", "address1": "1 Main St", "city": "Springfield", "postal_code": "12345", "country": "US"}'

function request()
  counter = counter + 1
  local items = {}
  if hot ~= "" then
    table.insert(items, string.format('{"sku": "%s", "quantity": %d, "price": "10.00"}', hot, hot_qty))
  end
  for _ = 1, lines do
    local sku = skus[math.random(#skus)]
    table.insert(items, string.format('{"sku": "%s", "quantity": 1, "price": "10.00"}', sku))
  end
  local body = string.format(
    '{"external_id": "%s-%d-%d", "channel": "web", "currency": "USD", %s, "items": [%s]}',
    tag, thread_id, counter, ship_to, table.concat(items, ", "))
  return wrk.format("POST", "/v1/orders", headers, body)
end

function response(status, headers, body)
  common.count(status)
end

done = common.done
