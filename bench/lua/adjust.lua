-- wrk: POST /v1/inventory/adjust of ±1..5 units of a SKU drawn uniformly from BENCH_SKUS at
-- warehouse BENCH_WAREHOUSE.
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
local common = require("common")

setup = common.setup

function init(args)
  statuses = {}
  skus = common.split(os.getenv("BENCH_SKUS"))
  warehouse = os.getenv("BENCH_WAREHOUSE")
  headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN"),
  }
  math.randomseed(thread_id * 104729 + os.time())
end

function request()
  local quantity = math.random(1, 5)
  if math.random(2) == 1 then
    quantity = -quantity
  end
  local body = string.format(
    '{"sku": "%s", "warehouse_id": "%s", "quantity": %d, "reason": "correction"}',
    skus[math.random(#skus)], warehouse, quantity)
  return wrk.format("POST", "/v1/inventory/adjust", headers, body)
end

function response(status, headers, body)
  common.count(status)
end

done = common.done
