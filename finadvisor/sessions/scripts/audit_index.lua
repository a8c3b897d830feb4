-- An audit entry's id into its session's list, only while the session exists.
-- KEYS: the session's audit ids, the session's meta. ARGV: entry id, max entries, ttl s.
-- 0 (nothing written) when the session no longer exists.
if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
