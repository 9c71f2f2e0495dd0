-- wrk request for bench/run: what the page's htmx sends when the button is pressed.
-- The same request goes to every target, so only the server side differs.
--   BENCH_COOKIE  "button_session=..." from POST /api/enter (empty: no cookie)
--   BENCH_XFF     the client's public address; the local stack trusts X-Forwarded-For
--                 from loopback, so the workers see (and geolocate) this address.
-- No request()/response() functions: wrk then builds the request once and stays fast.
wrk.method = "POST"
wrk.body = ""
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["HX-Request"] = "true"
wrk.headers["X-Forwarded-For"] = os.getenv("BENCH_XFF") or "81.2.69.160"
local cookie = os.getenv("BENCH_COOKIE")
if cookie ~= nil and cookie ~= "" then
    wrk.headers["Cookie"] = cookie
end
