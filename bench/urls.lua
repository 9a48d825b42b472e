-- wrk script of the c10k-lab harness for a URL list (the file-set
-- workloads): requests walk a pre-drawn sequence of paths, the same list
-- loadgen --urls walks, and done() prints report.lua's line.
--
--   wrk --latency -s bench/urls.lua http://127.0.0.1:PORT/ -- PIPELINE FILE THREADS
--
-- FILE holds one path per line (blank lines skipped), perhaps followed by a
-- tab and a request class, which only loadgen reads. Thread t of THREADS
-- (wrk's -t, default 1) starts at line t*N/THREADS and walks the list
-- cyclically; its connections take the next path in turn. PIPELINE
-- (default 1) consecutive paths go out per write, as report.lua pipelines.
-- wrk calls request() once more on its first thread before the run, to count
-- the pipelined requests: that thread starts PIPELINE lines later.
--
-- done() is report.lua's (loaded from this script's directory): one line
--   c10k-wrk: duration_us=N requests=N ... max_us=N
-- read by harness/wrk.c.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local next_id = 0

setup = function(thread)
   thread:set("id", next_id)
   next_id = next_id + 1
end

init = function(args)
   local pipeline = tonumber(args[1] or "1") or 1
   local file = args[2]
   local threads = tonumber(args[3] or "1") or 1
   if not file then
      error("urls.lua: no URL list (wrk ... -- PIPELINE FILE THREADS)")
   end
   local f = assert(io.open(file, "r"))
   local reqs = {}
   for line in f:lines() do
      -- A class column after a tab is loadgen's (the mixed workload): cut.
      local path = line:gsub("\r$", ""):gsub("\t.*$", "")
      if path ~= "" then
         reqs[#reqs + 1] = wrk.format(nil, path)
      end
   end
   f:close()
   local n = #reqs
   if n == 0 then
      error("urls.lua: no path in " .. file)
   end
   local i = math.floor((id or 0) * n / threads)  -- 0-based place in the list
   if pipeline == 1 then
      request = function()
         local r = reqs[i + 1]
         i = (i + 1) % n
         return r
      end
   else
      local batch = {}
      request = function()
         for k = 1, pipeline do
            batch[k] = reqs[i + 1]
            i = (i + 1) % n
         end
         return table.concat(batch)
      end
   end
end
