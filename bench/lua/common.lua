-- Shared by the wrk scripts: per-thread ids, a status histogram printed at the end.
local M = {}
local threads = {}

function M.split(s)
  local out = {}
  for item in string.gmatch(s or "", "[^,]+") do
    table.insert(out, item)
  end
  return out
end

function M.setup(thread)
  table.insert(threads, thread)
  thread:set("thread_id", #threads)
end

function M.count(status)
  statuses[status] = (statuses[status] or 0) + 1
end

function M.done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses")
    for status, n in pairs(counts) do
      total[status] = (total[status] or 0) + n
    end
  end
  for status, n in pairs(total) do
    io.write(string.format("BENCH_STATUS %d %d\n", status, n))
  end
  io.write(string.format("BENCH_ERRORS connect=%d read=%d write=%d timeout=%d status=%d\n",
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout,
    summary.errors.status))
  for _, p in ipairs({50, 90, 95, 99}) do
    io.write(string.format("BENCH_LATENCY p%d %.3f\n", p, latency:percentile(p) / 1000.0))
  end
  io.write(string.format("BENCH_DURATION %.3f\n", summary.duration / 1e6))
end

return M
