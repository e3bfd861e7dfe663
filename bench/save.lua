-- wrk script: answer saves through the autosave endpoint of open attempts.
-- Run with as many threads as connections (-t N -c N): each thread then has one connection and
-- one attempt of its own, so it can follow the attempt's sequence number from each reply (a
-- stale number would only measure the cheap "409 stale page" path). Each request changes the
-- answer, so every accepted request is a real write.
-- BENCH_SAVE_DATA names a Lua file returning {{attempt=, token=, sequence=, field=, values={a, b}}, ...}.
local attempts = dofile(os.getenv("BENCH_SAVE_DATA"))
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("id", next_id)
end

function init(args)
  local a = attempts[((id - 1) % #attempts) + 1]
  path = "/attempts/" .. a.attempt .. "/autosave"
  token, seq, field, values = a.token, a.sequence, a.field, a.values
  n = 0
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end

function request()
  n = n + 1
  local body = "attempt_token=" .. token .. "&page=1&sequence=" .. seq
    .. "&" .. field .. "=" .. values[(n % 2) + 1]
  return wrk.format("POST", path, nil, body)
end

function response(status, headers, body)
  local s = body:match('"sequence":%s*(%d+)')
  if s then seq = tonumber(s) end
end
