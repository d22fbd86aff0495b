-- wrk script: complete managed-identity token exchanges against himds (docs/benchmarks.md).
--
-- Each connection alternates the two requests of the challenge (docs/imds.md):
--   1. GET the token route with `Metadata: true`
--      -> 401, `WWW-Authenticate: Basic realm=<key file>`
--   2. the same GET plus `Authorization: Basic <content of the key file>`
--      -> 200, the token JSON
-- and times the whole exchange itself (from generating request 1 to receiving answer 2) with
-- CLOCK_MONOTONIC, because wrk's own latency figures are per request, not per exchange.
-- Run it with one connection per thread (-c equal to -t): with more connections per thread the
-- thread's exchanges interleave and one state per thread would mix them up.
--
--   wrk -t1 -c1 -d10s -s scripts/bench/token_exchange.lua http://127.0.0.1:<port>
--
-- done() prints a line `EXCHANGE_RESULT key=value ...` for scripts and a readable summary.
-- Environment: TOKEN_RESOURCE (default https://management.azure.com/),
--              TOKEN_API_VERSION (default 2019-11-01).

local ffi = require("ffi")

ffi.cdef [[
typedef long time_t;
struct timespec { time_t tv_sec; long tv_nsec; };
int clock_gettime(int clock_id, struct timespec* tp);
]]

local kClockMonotonic = 1 -- CLOCK_MONOTONIC on Linux
local kMaxKeyBytes = 4096 -- what the fixed SDK clients accept, and what the agent promises
local now_timespec = ffi.new("struct timespec")

local function nowMicroseconds()
    ffi.C.clock_gettime(kClockMonotonic, now_timespec)
    return tonumber(now_timespec.tv_sec) * 1e6 + tonumber(now_timespec.tv_nsec) / 1e3
end

local function urlEncode(text)
    return (text:gsub("[^%w%-%._~]", function(c)
        return string.format("%%%02X", string.byte(c))
    end))
end

local resource = os.getenv("TOKEN_RESOURCE") or "https://management.azure.com/"
local api_version = os.getenv("TOKEN_API_VERSION") or "2019-11-01"
local token_path = "/metadata/identity/oauth2/token?api-version=" .. urlEncode(api_version) ..
                       "&resource=" .. urlEncode(resource)

-- Per-thread state (each wrk thread has its own Lua state); done() collects the globals below
-- through thread:get.
latencies_us = {} -- one entry per completed exchange
failures = 0 -- exchanges that did not end in 401-then-200
first_failure = "" -- what went wrong first, for the report

local secret = nil -- set between the 401 and the second request
local exchange_start = nil

local function fail(why)
    failures = failures + 1
    if first_failure == "" then
        first_failure = why
    end
    secret = nil
    exchange_start = nil
end

local function readKeyFile(path)
    local file, err = io.open(path, "rb")
    if not file then
        return nil, "cannot open key file: " .. tostring(err)
    end
    local content = file:read(kMaxKeyBytes + 1)
    file:close()
    if content == nil or #content == 0 or #content > kMaxKeyBytes then
        return nil, "key file empty or larger than " .. kMaxKeyBytes .. " bytes: " .. path
    end
    return content
end

local threads = {}

function setup(thread)
    table.insert(threads, thread)
end

function request()
    if secret == nil then
        exchange_start = nowMicroseconds()
        return wrk.format("GET", token_path, {["Metadata"] = "true"})
    end
    local answer = wrk.format("GET", token_path, {
        ["Metadata"] = "true",
        ["Authorization"] = "Basic " .. secret,
    })
    secret = nil
    return answer
end

local function headerValue(headers, name)
    for key, value in pairs(headers) do
        if key:lower() == name then
            return value
        end
    end
    return nil
end

function response(status, headers, body)
    if exchange_start == nil then
        return -- the answer to a request of an exchange already counted as failed
    end
    if status == 401 then
        local challenge = headerValue(headers, "www-authenticate")
        local path = challenge and challenge:match("^Basic realm=(.+)$")
        if path == nil then
            fail("401 without a 'Basic realm=<path>' challenge: " .. tostring(challenge))
            return
        end
        local content, err = readKeyFile(path)
        if content == nil then
            fail(err)
            return
        end
        secret = content
        return
    end
    if status == 200 and body:find('"access_token"', 1, true) then
        table.insert(latencies_us, nowMicroseconds() - exchange_start)
        exchange_start = nil
        return
    end
    fail("unexpected answer " .. status .. ": " .. body:sub(1, 200))
end

local function percentile(sorted, fraction)
    if #sorted == 0 then
        return 0
    end
    local index = math.ceil(fraction * #sorted)
    return sorted[math.max(1, math.min(#sorted, index))]
end

function done(summary, latency, requests)
    local all = {}
    local failed = 0
    local first = ""
    for _, thread in ipairs(threads) do
        for _, value in ipairs(thread:get("latencies_us") or {}) do
            table.insert(all, value)
        end
        failed = failed + (thread:get("failures") or 0)
        local why = thread:get("first_failure") or ""
        if first == "" then
            first = why
        end
    end
    table.sort(all)
    local seconds = summary.duration / 1e6
    local socket_errors = summary.errors.connect + summary.errors.read + summary.errors.write +
                              summary.errors.timeout
    local rate = #all / seconds
    local p50 = percentile(all, 0.50) / 1000
    local p99 = percentile(all, 0.99) / 1000
    local max = (all[#all] or 0) / 1000
    io.write(string.format(
        "EXCHANGE_RESULT exchanges=%d failures=%d socket_errors=%d seconds=%.3f " ..
            "per_second=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f\n",
        #all, failed, socket_errors, seconds, rate, p50, p99, max))
    io.write(string.format(
        "token exchanges: %d in %.2f s = %.1f/s; whole exchange p50 %.3f ms, p99 %.3f ms, " ..
            "max %.3f ms; failures %d, socket errors %d\n",
        #all, seconds, rate, p50, p99, max, failed, socket_errors))
    if first ~= "" then
        io.write("first failure: " .. first .. "\n")
    end
end
