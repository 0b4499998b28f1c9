-- wrk-paths.lua: walk a list of request paths (one per line, file named by
-- the WRK_PATHS environment variable), each wrk thread from its own offset,
-- wrapping around. The ceiling measurement of bench/crawl-bench: the same
-- requests the crawler makes, as fast as nginx answers them.
local paths = {}
local i = 0
local nthreads = 1
local id = 0
local threads_made = 0

function setup(thread)
	thread:set("id", threads_made)
	threads_made = threads_made + 1
end

function init(args)
	local f = assert(io.open(os.getenv("WRK_PATHS"), "r"))
	for line in f:lines() do
		paths[#paths + 1] = line
	end
	f:close()
	nthreads = tonumber(os.getenv("WRK_THREADS") or "1")
	id = tonumber(wrk.thread:get("id") or 0) or 0
	i = math.floor(#paths * id / nthreads)
end

function request()
	i = i + 1
	if i > #paths then
		i = 1
	end
	return wrk.format("GET", paths[i])
end
