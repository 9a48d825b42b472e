-- wrk script of the c10k-lab harness: optional pipelining and one
-- machine-readable result line.
--
--   wrk --latency -s bench/report.lua http://127.0.0.1:PORT/path -- PIPELINE
--
-- PIPELINE (default 1) requests are written back to back on each connection
-- before their responses are read. With 1 no request() function is defined,
-- so wrk keeps its own static request path (the cheapest for the client).
--
-- done() prints one line on stdout, read by harness/wrk.c (wrk_parse_line):
--   c10k-wrk: duration_us=N requests=N bytes=N connect=N read=N write=N
--             status=N timeout=N mean_us=X stdev_us=X p50_us=N p90_us=N
--             p99_us=N p999_us=N max_us=N
-- (on one line). Latencies are wrk's, in microseconds, of completed
-- responses; the error classes are wrk's summary.errors fields.

init = function(args)
   local n = tonumber(args[1] or "1") or 1
   if n > 1 then
      local r = {}
      for i = 1, n do
         r[i] = wrk.format(nil, nil)
      end
      local batch = table.concat(r)
      request = function()
         return batch
      end
   end
end

done = function(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "c10k-wrk: duration_us=%d requests=%d bytes=%d connect=%d read=%d" ..
      " write=%d status=%d timeout=%d mean_us=%.1f stdev_us=%.1f" ..
      " p50_us=%d p90_us=%d p99_us=%d p999_us=%d max_us=%d\n",
      summary.duration, summary.requests, summary.bytes, e.connect, e.read,
      e.write, e.status, e.timeout, latency.mean, latency.stdev,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency:percentile(99.9), latency.max))
end
