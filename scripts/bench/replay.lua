-- Replays pre-signed webhook bodies (from signed-bodies.py) and reports the server's CPU time
-- over the run. Use it with one wrk thread (-t1): wrk calls init in its main thread before it
-- starts each worker and starts its clock after the last, so with two threads the first one
-- sends while the second loads the file, and those requests were counted against a shorter run.
-- Arguments: the bodies file, the server's pid.
local bodies = {}
local index = 0
local workers = {}

local function cpu_ticks(pid) -- utime + stime of the process, in clock ticks
  local f = io.open("/proc/" .. pid .. "/stat")
  if not f then return 0 end
  local stat = f:read("*a")
  f:close()
  local fields = {}
  for field in stat:match("%) (.*)$"):gmatch("%S+") do fields[#fields + 1] = field end
  return tonumber(fields[12]) + tonumber(fields[13]) -- fields 14 and 15 of proc(5)
end

function setup(thread)
  workers[#workers + 1] = thread
end

function init(args)
  for line in io.lines(args[1]) do
    local sig, body = line:match("^([^\t]+)\t(.*)$")
    bodies[#bodies + 1] = wrk.format("POST", "/webhook",
      { ["Content-Type"] = "application/json", ["x-line-signature"] = sig }, body)
  end
  server_pid = args[2]
  ticks0 = cpu_ticks(server_pid) -- read last: the run starts right after init returns
end

function request()
  index = index % #bodies + 1
  return bodies[index]
end

function done(summary, latency, requests)
  local t = workers[1]
  io.write(string.format("server_cpu_ticks %d\n", cpu_ticks(t:get("server_pid")) - t:get("ticks0")))
end
