-- A burst of night-class sign-ups: POST /api/v1/classes/{id}/signups, round-robin over the classes given, each with
-- a mobile number no other request of this run uses (one sign-up per number per class is the rule).
-- wrk … -s bench/wrk/signups.lua URL -- "<class id>,<class id>,…" <round 1..9>
local threads = 0

function setup(thread)
  thread:set("thread_no", threads)
  threads = threads + 1
end

function init(args)
  classes = {}
  for id in string.gmatch(args[1], "%d+") do
    classes[#classes + 1] = id
  end
  round = tonumber(args[2] or "1") % 10
  sent = 0
end

-- wrk.format's own headers replace the -H ones (the session cookie): carry them over.
local function json_headers()
  local headers = {["Content-Type"] = "application/json"}
  for name, value in pairs(wrk.headers) do
    headers[name] = value
  end
  return headers
end

function request()
  local headers = json_headers()
  sent = sent + 1
  local class_id = classes[(sent % #classes) + 1]
  -- 1, then 3..9 for the thread, the round, eight digits of sequence: a valid and unique mainland mobile number.
  local phone = string.format("1%d%d%08d", 3 + thread_no, round, sent)
  local body = string.format('{"name": "夜校学员", "phone": "%s"}', phone)
  return wrk.format("POST", "/api/v1/classes/" .. class_id .. "/signups", headers, body)
end
