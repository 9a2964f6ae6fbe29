-- An evaluator submitting marks: PUT /api/v1/proposals/{id}/scores, round-robin over the proposals given (re-scoring
-- is allowed until the panel is complete, and the rest of the panel never scores this task).
-- wrk … -H "Cookie: jiebang_session=…" -s bench/wrk/scores.lua URL -- "<proposal id>,<proposal id>,…"
function init(args)
  proposals = {}
  for id in string.gmatch(args[1], "%d+") do
    proposals[#proposals + 1] = id
  end
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
  local id = proposals[(sent % #proposals) + 1]
  local marks = string.format(
    '{"marks": {"专业能力": "%d.5", "工作思路": "24.0", "预期效果": "20.0", "预算合理性": "12.0"}}', 20 + sent % 10)
  return wrk.format("PUT", "/api/v1/proposals/" .. id .. "/scores", headers, marks)
end
