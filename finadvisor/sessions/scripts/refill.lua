-- Fragment: the tokens of a bucket (hash: tokens, ts) refilled at `rate` a second up to
-- `burst` by `now` (ms); a bucket not there yet is full.
local function refill(key, rate, burst, now)
  local b = redis.call('HMGET', key, 'tokens', 'ts')
  local tokens = tonumber(b[1]) or burst
  local ts = tonumber(b[2]) or now
  return math.min(burst, tokens + (now - ts) * rate / 1000)
end
