-- Replays pre-signed webhook bodies (from signed-bodies.py); each wrk thread takes its own slice.
local bodies = {}
local threads = 0
local index = 0

function setup(thread)
  thread:set("slot", threads)
  threads = threads + 1
end

function init(args)
  for line in io.lines(args[1]) do
    local sig, body = line:match("^([^\t]+)\t(.*)$")
    bodies[#bodies + 1] = wrk.format("POST", "/webhook",
      { ["Content-Type"] = "application/json", ["x-line-signature"] = sig }, body)
  end
  local share = math.floor(#bodies / tonumber(args[2]))
  index = (slot or 0) * share
end

function request()
  index = index % #bodies + 1
  return bodies[index]
end
