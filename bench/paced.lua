-- wrk request for bench/sink: the press of bench/press.lua, paced to a steady rate.
--   BENCH_RATE  requests per second for the whole run (one wrk thread)
-- wrk calls delay() before each request of every connection; each call takes the next
-- slot of one schedule (start + k / rate) and waits until it, so the connections together
-- send at the rate however fast the server answers (an open-loop load: a slow answer does
-- not slow the schedule down while enough connections are free). LuaJIT's ffi gives a
-- monotonic clock; wrk's Lua has no finer clock than os.time's seconds.
local ffi = require("ffi")
ffi.cdef [[
    typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
    int clock_gettime(int clock, bench_timespec *ts);
]]
local ts = ffi.new("bench_timespec")
local function now_ms()
    ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
    return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local interval = 1000 / tonumber(os.getenv("BENCH_RATE") or "2000")
local next_slot = nil

wrk.method = "POST"
wrk.body = ""
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["HX-Request"] = "true"
wrk.headers["X-Forwarded-For"] = os.getenv("BENCH_XFF") or "81.2.69.160"
local cookie = os.getenv("BENCH_COOKIE")
if cookie ~= nil and cookie ~= "" then
    wrk.headers["Cookie"] = cookie
end

function delay()
    local now = now_ms()
    if next_slot == nil then next_slot = now end
    local slot = next_slot
    next_slot = next_slot + interval
    if slot <= now then return 0 end
    return slot - now
end
