-- wrk script for bench/run.py: counts every response status and prints one
-- machine-readable result line. With BENCH_POST_BODY set, each request is a
-- form-encoded POST of that body, its last field (the comment) numbered so that no
-- two are the same; otherwise it is a plain GET, the same bytes every time (no
-- request() function: wrk formats it once). BENCH_HEADERS adds headers to every
-- request, one "Name: value" a line (If-None-Match, for the 304 scenario).

for line in (os.getenv("BENCH_HEADERS") or ""):gmatch("[^\n]+") do
  local name, value = line:match("^([^:]+):%s*(.-)%s*$")
  if name ~= nil then
    wrk.headers[name] = value
  end
end

local post_body = os.getenv("BENCH_POST_BODY")
if post_body ~= nil and post_body ~= "" then
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"

  local run = os.getenv("BENCH_RUN") or ""
  local sent = 0

  function request()
    sent = sent + 1
    return wrk.format(nil, nil, nil, post_body .. "+%23" .. run .. "-" .. thread_id .. "-" .. sent)
  end
end

-- Per-thread status counts (each wrk thread has its own Lua state).
statuses = {}

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_id", #threads)
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for code, n in pairs(thread:get("statuses") or {}) do
      counts[code] = (counts[code] or 0) + n
    end
  end
  local parts = {}
  for code, n in pairs(counts) do
    table.insert(parts, string.format('"%d": %d', code, n))
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, '
      .. '"p50_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
      .. '"statuses": {%s}}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50.0), latency:percentile(99.0), latency.max, latency.mean,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    table.concat(parts, ", ")
  ))
end
