-- wrk script of `renkei bench intake`: every request submits a new order
-- (its own number and idempotency key) to the orders service and checks
-- that it was created. Arguments: run id, request path, access token, file
-- holding the order's JSON with @@N@@ where the order number goes.

local threads = {}
local count = 0

function setup(thread)
  count = count + 1
  thread:set("tid", count)
  table.insert(threads, thread)
end

function init(args)
  run, path, token = args[1], args[2], args[3]
  local f = assert(io.open(args[4], "r"))
  template = f:read("*a")
  f:close()
  sent, refused, first_refusal = 0, 0, nil
end

function request()
  sent = sent + 1
  local id = run .. "-" .. tid .. "-" .. sent
  local body = (template:gsub("@@N@@", id))
  return wrk.format("POST", path, {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
    ["Idempotency-Key"] = "bench-" .. id,
  }, body)
end

function response(status, headers, body)
  if status ~= 201 then
    refused = refused + 1
    if first_refusal == nil then
      first_refusal = status .. " " .. string.sub(body, 1, 300)
    end
  end
end

function done(summary, latency, requests)
  local refusals, first = 0, nil
  for _, t in ipairs(threads) do
    refusals = refusals + t:get("refused")
    first = first or t:get("first_refusal")
  end
  local e = summary.errors
  io.write(string.format(
    "RESULT %d %d %d %d %d %d %d %d %d %d %d %d\n",
    summary.requests, summary.duration, refusals,
    e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, math.floor(latency.mean)))
  if first then
    io.write("REFUSAL " .. first .. "\n")
  end
end
