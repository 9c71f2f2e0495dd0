-- wrk script of loadtest/run --wrk: presses through nginx, each answer counted per session.
--
-- Environment (set by loadtest/run):
--   LOADTEST_SESSIONS       file of "<cookie value>\t<X-Forwarded-For address>" lines, one per
--                           session already entered; thread k of n takes lines k, k+n, ...
--   LOADTEST_THREADS        wrk's -t
--   LOADTEST_PRESS_SECONDS  how long to press; after that a thread sends only health checks
--                           (which record nothing) until its presses in flight are answered,
--                           so wrk's end never cuts off a press the server may have recorded
--   LOADTEST_RESULT         JSON file done() writes: answers by status, 2xx per session (the
--                           session named by the cookie each answer sets), presses left
--                           unanswered, latency percentiles (µs), the press window
--   LOADTEST_PRESS_DELAY_MS optional: each connection waits this long before each press, so a
--                           steady load (scripts/faults) runs at most connections × 1000 / delay
--                           presses a second instead of as fast as the stack answers; 0 or
--                           unset: no wait
--
-- Each session keeps the newest cookie it was given, as a browser does. Unlike bench/press.lua
-- (one fixed request, built once), every request is built here: that costs wrk some speed,
-- which is the price of knowing what each session was acknowledged.

local ffi = require("ffi")
ffi.cdef [[
    typedef struct { long tv_sec; long tv_nsec; } loadtest_timespec;
    int clock_gettime(int clock, loadtest_timespec *ts);
]]
local timespec = ffi.new("loadtest_timespec")
local function now_us()
    ffi.C.clock_gettime(0, timespec) -- CLOCK_REALTIME: loadtest/run compares it with its own
    return tonumber(timespec.tv_sec) * 1000000 + math.floor(tonumber(timespec.tv_nsec) / 1000)
end

-- base64url (no padding) → the first 16 bytes as a UUID's text: the cookie's session id.
local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
local sextet = {}
for i = 1, #alphabet do sextet[alphabet:byte(i)] = i - 1 end
local function session_id(value)
    local payload = value and value:match("^v1%.([%w%-_]+)%.")
    if payload == nil or #payload < 22 then return nil end
    local bytes, bits, nbits = {}, 0, 0
    for i = 1, 22 do
        local v = sextet[payload:byte(i)]
        if v == nil then return nil end
        bits = bits * 64 + v
        nbits = nbits + 6
        if nbits >= 8 then
            nbits = nbits - 8
            local byte = math.floor(bits / 2 ^ nbits)
            bits = bits - byte * 2 ^ nbits
            bytes[#bytes + 1] = string.format("%02x", byte)
            if #bytes == 16 then break end
        end
    end
    local hex = table.concat(bytes)
    return hex:sub(1, 8) .. "-" .. hex:sub(9, 12) .. "-" .. hex:sub(13, 16) .. "-" .. hex:sub(17, 20) .. "-" .. hex:sub(21, 32)
end

local function cookie_value(header)
    return header and header:match("button_session=([^;]+)")
end

-- Main thread: keep the threads so done() can collect their counts.
local threads = {}
-- A press is answered within BUTTON_ACK_TIMEOUT_MS (2 s) even when Kafka is away.
QUIET_US = 2500000
function setup(thread)
    thread:set("index", #threads)
    table.insert(threads, thread)
end

-- Each thread's own state (wrk gives every thread its own Lua state).
local sessions = {}
local by_id = {}
local next_session = 0
local press_until = 0
local draining = false
local last_press_answer = 0
statuses = {}
acknowledged = {}
unattributed_2xx = 0
sent = 0
answered = 0
first_send = 0
last_answer = 0

-- This thread is done: stop it, and say so in "<LOADTEST_RESULT>.thread<index>"; loadtest/run
-- interrupts wrk (SIGINT: wrk stops and calls done()) once every thread said so, rather than
-- wait out wrk's duration, so the stores' catch-up is timed from the last answer.
local finished = false
function finish()
    if finished then return end
    finished = true
    local marker = io.open(os.getenv("LOADTEST_RESULT") .. ".thread" .. index, "w")
    if marker ~= nil then
        marker:write(tostring(last_answer), "\n")
        marker:close()
    end
    wrk.thread:stop()
end

function init(args)
    local count = tonumber(os.getenv("LOADTEST_THREADS")) or 1
    local line_number = 0
    for line in io.lines(os.getenv("LOADTEST_SESSIONS")) do
        if line_number % count == index then
            local value, address = line:match("^([^\t]+)\t(.+)$")
            local id = session_id(value)
            if id ~= nil then
                table.insert(sessions, { cookie = value, address = address })
                by_id[id] = #sessions
            end
        end
        line_number = line_number + 1
    end
    press_until = now_us() + tonumber(os.getenv("LOADTEST_PRESS_SECONDS")) * 1000000
    -- wrk calls the first thread's request() once more, right after init, only to look at
    -- the request it returns (script_verify_request): that one is never sent.
    verifying = index == 0
end

function request()
    if verifying then
        verifying = false
        return wrk.format("GET", "/api/health")
    end
    if not draining and (#sessions == 0 or now_us() >= press_until) then draining = true end
    if draining then
        -- Done when every press sent was answered, or, should one never be, when none was
        -- for QUIET_US.
        if sent == answered or now_us() - math.max(press_until, last_press_answer) >= QUIET_US then
            finish()
        end
        return wrk.format("GET", "/api/health")
    end
    next_session = next_session % #sessions + 1
    local session = sessions[next_session]
    if first_send == 0 then first_send = now_us() end
    sent = sent + 1
    return wrk.format("POST", "/api/press", {
        ["HX-Request"] = "true",
        ["Content-Type"] = "application/x-www-form-urlencoded",
        ["X-Forwarded-For"] = session.address,
        ["Cookie"] = "button_session=" .. session.cookie,
    }, "")
end

function response(status, headers, body)
    local set_cookie = headers["Set-Cookie"] or headers["set-cookie"]
    -- A health check's answer: not a press.
    if set_cookie == nil and status == 200 and body == "ok\n" then return end
    answered = answered + 1
    last_answer = now_us()
    last_press_answer = last_answer
    statuses[status] = (statuses[status] or 0) + 1
    if status >= 200 and status < 300 then
        local value = cookie_value(set_cookie)
        local id = session_id(value)
        if id == nil then
            unattributed_2xx = unattributed_2xx + 1
        else
            acknowledged[id] = (acknowledged[id] or 0) + 1
            local known = by_id[id]
            if known ~= nil then sessions[known].cookie = value end
        end
    end
    if draining and sent == answered then finish() end
end

-- While draining, a connection's health checks go out 20 times a second, not as fast as
-- they are answered: they would fill wrk's latency figures with requests that are not presses.
local press_delay = tonumber(os.getenv("LOADTEST_PRESS_DELAY_MS") or "") or 0
function delay()
    if draining then return 50 end
    return press_delay
end

function done(summary, latency, requests)
    local all_statuses, all_acknowledged = {}, {}
    local unattributed, unanswered, first, last = 0, 0, 0, 0
    for _, thread in ipairs(threads) do
        for status, count in pairs(thread:get("statuses") or {}) do
            all_statuses[status] = (all_statuses[status] or 0) + count
        end
        for id, count in pairs(thread:get("acknowledged") or {}) do
            all_acknowledged[id] = (all_acknowledged[id] or 0) + count
        end
        unattributed = unattributed + thread:get("unattributed_2xx")
        unanswered = unanswered + thread:get("sent") - thread:get("answered")
        local thread_first, thread_last = thread:get("first_send"), thread:get("last_answer")
        if thread_first > 0 and (first == 0 or thread_first < first) then first = thread_first end
        if thread_last > last then last = thread_last end
    end
    local parts = {}
    for status, count in pairs(all_statuses) do parts[#parts + 1] = string.format('"%d":%d', status, count) end
    local statuses_json = "{" .. table.concat(parts, ",") .. "}"
    parts = {}
    for id, count in pairs(all_acknowledged) do parts[#parts + 1] = string.format('"%s":%d', id, count) end
    local acknowledged_json = "{" .. table.concat(parts, ",") .. "}"
    local out = assert(io.open(os.getenv("LOADTEST_RESULT"), "w"))
    out:write(string.format(
        '{"statuses":%s,"acknowledged":%s,"unattributed_2xx":%d,"unanswered":%d,' ..
        '"first_send_us":%d,"last_answer_us":%d,"latency_us":{"p50":%d,"p90":%d,"p99":%d,"max":%d},' ..
        '"wrk_requests":%d,"errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d}}\n',
        statuses_json, acknowledged_json, unattributed, unanswered, first, last,
        latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
        summary.requests, summary.errors.connect, summary.errors.read, summary.errors.write,
        summary.errors.timeout))
    out:close()
end
