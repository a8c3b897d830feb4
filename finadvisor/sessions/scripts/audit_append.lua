-- An audit entry onto the stream of every session's entries.
-- KEYS: the stream. ARGV: max entries (approximate trim), the stream's TTL in s, then the
-- entry's field/value pairs. Returns the new entry's id.
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', unpack(ARGV, 3))
redis.call('EXPIRE', KEYS[1], ARGV[2])
return id
