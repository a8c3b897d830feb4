-- requires: refill
-- The gateway's per-client rate limit: one token bucket per API client.
-- KEYS[1] the client's bucket (hash: tokens, ts); ARGV: rate per s, burst, now ms, ttl ms.
-- Returns {1, 0} when the call may go ahead, else {0, ms until a token is back}.
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local tokens = refill(KEYS[1], rate, burst, now)
local allowed = 0
local wait_ms = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait_ms = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return {allowed, wait_ms}
