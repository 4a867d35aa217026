-- Shared by the scripts: thread numbering, reading input files, and a JSON report from done().
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  thread:set("nthreads", 0)
  table.insert(threads, thread)
end

function read_lines(path)
  local lines = {}
  for line in io.lines(path) do
    if line ~= "" then table.insert(lines, line) end
  end
  return lines
end

function split(line)
  local fields = {}
  for field in string.gmatch(line .. "\t", "([^\t]*)\t") do table.insert(fields, field) end
  return fields
end

-- per-thread counters, summed in done()
s2xx, s3xx, s4xx, s5xx, s429, ok, refused, hits, statements = 0, 0, 0, 0, 0, 0, 0, 0, 0

-- A response header by name: wrk's table is keyed as the server spelled it, and granian (hyper) sends
-- names in lower case where gunicorn keeps Flask's spelling.
function header(headers, name)
  return headers[name] or headers[string.lower(name)]
end

-- The page cache's answer and the server's statement count (bench/wsgi.py), summed per thread.
function count_page(headers)
  local kept = header(headers, "X-Page-Cache")
  local part = header(headers, "X-Page-Part") or "hit"  -- a page's part kept apart (an edition's stock)
  if (kept == "hit" or kept == "stale") and (part == "hit" or part == "stale") then
    hits = hits + 1  -- answered from the shared cache, nothing rendered
  end
  local n = tonumber(header(headers, "X-Bench-Statements") or "0")
  if n then statements = statements + n end
end

function count_status(status)
  if status == 429 then s429 = s429 + 1 end
  if status >= 500 then s5xx = s5xx + 1
  elseif status >= 400 then s4xx = s4xx + 1
  elseif status >= 300 then s3xx = s3xx + 1
  else s2xx = s2xx + 1 end
end

function done(summary, latency, requests)
  local totals = {s2xx = 0, s3xx = 0, s4xx = 0, s5xx = 0, s429 = 0, ok = 0, refused = 0, hits = 0, statements = 0}
  for _, thread in ipairs(threads) do
    for key, _ in pairs(totals) do
      totals[key] = totals[key] + (thread:get(key) or 0)
    end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"max_us":%d,"mean_us":%.1f,"errors_connect":%d,"errors_read":%d,"errors_write":%d,' ..
    '"errors_status":%d,"errors_timeout":%d,"s2xx":%d,"s3xx":%d,"s4xx":%d,"s5xx":%d,"s429":%d,' ..
    '"ok":%d,"refused":%d,"hits":%d,"statements":%d}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean, e.connect, e.read, e.write, e.status, e.timeout,
    totals.s2xx, totals.s3xx, totals.s4xx, totals.s5xx, totals.s429, totals.ok, totals.refused, totals.hits, totals.statements))
end
