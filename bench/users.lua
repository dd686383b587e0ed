-- wrk script: a different user on every request, so that no answer is kept from one request to the next.
-- VEXIL_BENCH_PATH is the path; VEXIL_BENCH_BODY, when set, is a POST body in which "%d" becomes the user
-- number (else the path's "%d" does). Each wrk thread counts from its own offset.
local path = os.getenv("VEXIL_BENCH_PATH")
local body = os.getenv("VEXIL_BENCH_BODY")
local counter = 0
local offset = 0
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("offset", threads * 10000000)
end

function init(args)
  offset = tonumber(wrk.thread:get("offset")) or 0
end

function request()
  counter = counter + 1
  if body then
    -- wrk.headers holds the -H headers (a token); an explicit table would replace them
    wrk.headers["Content-Type"] = "application/json"
    return wrk.format("POST", path, nil, string.format(body, offset + counter))
  end
  return wrk.format("GET", string.format(path, offset + counter))
end
