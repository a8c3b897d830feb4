-- The recent-sessions index (one key outside any session's hash tag).
-- KEYS: index. ARGV: session_id, now_ms, index_max, ttl_ms.
local now, ttl = tonumber(ARGV[2]), tonumber(ARGV[4])
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now - ttl))
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -tonumber(ARGV[3]) - 1)
redis.call('PEXPIRE', KEYS[1], ttl)
return 1
