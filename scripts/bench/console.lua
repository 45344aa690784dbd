-- wrk script for scripts/bench-console: counts the responses that are not 200 and the range of
-- body sizes, so a run answered by a redirect to /login (fast, small and meaningless) or by an
-- error page cannot pass for a measurement. The request (path, cookie) is wrk's own: -H, URL.
-- Prints "responses N non200 N last_status S min_bytes N max_bytes N" once, at the end.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  responses, non200, last_status, min_bytes, max_bytes = 0, 0, 200, -1, 0
end

function response(status, headers, body)
  responses = responses + 1
  if status ~= 200 then
    non200 = non200 + 1
    last_status = status
  end
  local n = body and #body or 0
  if min_bytes < 0 or n < min_bytes then min_bytes = n end
  if n > max_bytes then max_bytes = n end
end

function done(summary, latency, requests)
  local r, bad, status, lo, hi = 0, 0, 200, -1, 0
  for _, t in ipairs(threads) do
    r = r + t:get("responses")
    bad = bad + t:get("non200")
    if t:get("non200") > 0 then status = t:get("last_status") end
    local tlo = t:get("min_bytes")
    if tlo >= 0 and (lo < 0 or tlo < lo) then lo = tlo end
    if t:get("max_bytes") > hi then hi = t:get("max_bytes") end
  end
  io.write(string.format("responses %d non200 %d last_status %d min_bytes %d max_bytes %d\n", r, bad, status, lo, hi))
end
