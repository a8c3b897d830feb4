-- KEYS: meta, responses. ARGV: request_id. Returns {payload or nil}.
if redis.call('EXISTS', KEYS[1]) == 0 then return redis.error_reply('FA_NOSESSION') end
return {redis.call('HGET', KEYS[2], ARGV[1])}
