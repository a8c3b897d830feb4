-- KEYS: state, meta, history. ARGV: history_limit. Returns {state, meta, history, pttl}.
if redis.call('EXISTS', KEYS[2]) == 0 then return redis.error_reply('FA_NOSESSION') end
local limit = tonumber(ARGV[1])
local history = {}
if limit > 0 then history = redis.call('LRANGE', KEYS[3], -limit, -1) end
return {redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2]), history,
        redis.call('PTTL', KEYS[1])}
