-- wrk request for bench/stats: a room of stats viewers. Every connection asks for the
-- stats panels one after another (BENCH_PANEL_PATHS, space-separated), as htmx polling
-- them would, BENCH_VIEWER_PAUSE_MS apart (a browser polls its 13 panels every 2-30 s:
-- about 600 ms between requests), or without pausing (0): far heavier than real viewers.
--   BENCH_COOKIE  "button_session=..." (the session and your-country panels use it)
--   BENCH_XFF     the client address nginx reports
local paths = {}
for path in string.gmatch(os.getenv("BENCH_PANEL_PATHS") or "/stats", "%S+") do
    paths[#paths + 1] = path
end
local headers = {
    ["HX-Request"] = "true",
    ["X-Forwarded-For"] = os.getenv("BENCH_XFF") or "81.2.69.160",
}
local cookie = os.getenv("BENCH_COOKIE")
if cookie ~= nil and cookie ~= "" then
    headers["Cookie"] = cookie
end

-- Each thread starts at another panel so that the connections do not move in step.
local next_index = 1
function init(args)
    next_index = math.random(#paths)
end

local pause = tonumber(os.getenv("BENCH_VIEWER_PAUSE_MS") or "0") or 0
if pause > 0 then
    function delay()
        return pause
    end
end

function request()
    local path = paths[next_index]
    next_index = next_index % #paths + 1
    return wrk.format("GET", path, headers)
end

-- Answers carrying the "unavailable" notice (a store did not answer in time) instead of
-- the panel's data, counted per thread and printed at the end as "notices: N".
notices = 0
function response(status, headers, body)
    if body ~= nil and string.find(body, 'class="notice"', 1, true) then
        notices = notices + 1
    end
end

local threads = {}
function setup(thread)
    threads[#threads + 1] = thread
end

function done(summary, latency, requests)
    local total = 0
    for _, thread in ipairs(threads) do
        total = total + (thread:get("notices") or 0)
    end
    io.write(string.format("notices: %d\n", total))
end
