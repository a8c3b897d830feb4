-- requires: refill
-- The gateway's turn slot: a turn of a session may start (owner, turn rate, turns in flight).
-- KEYS: inflight counter, owner, the session's turn bucket, the session's meta (the store's).
-- ARGV: caller ('' = no owner check), owner ttl s, turns per s (0 = off), burst, now ms.
-- {-1, 0}: no such session (never, expired, erased) or not the caller's; {-2, wait ms}: the
-- session's turn rate is spent; else {turns now in flight, 0}. Nothing is written for a
-- session that does not exist, so a turn racing an erasure leaves no key behind.
if redis.call('EXISTS', KEYS[4]) == 0 then return {-1, 0} end
if ARGV[1] ~= '' then
  if redis.call('GET', KEYS[2]) ~= ARGV[1] then return {-1, 0} end
  redis.call('EXPIRE', KEYS[2], ARGV[2])
end
local rate = tonumber(ARGV[3])
if rate > 0 then
  local burst = tonumber(ARGV[4])
  local now = tonumber(ARGV[5])
  local tokens = refill(KEYS[3], rate, burst, now)
  if tokens < 1 then return {-2, math.ceil((1 - tokens) * 1000 / rate)} end
  redis.call('HSET', KEYS[3], 'tokens', tostring(tokens - 1), 'ts', tostring(now))
  redis.call('PEXPIRE', KEYS[3], math.ceil(burst * 1000 / rate) + 1000)
end
local n = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], 60)
return {n, 0}
