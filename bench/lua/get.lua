-- wrk: GET with the bearer token (lists), statuses counted.
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
local common = require("common")

setup = common.setup

function init(args)
  statuses = {}
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
end

function response(status, headers, body)
  common.count(status)
end

done = common.done
