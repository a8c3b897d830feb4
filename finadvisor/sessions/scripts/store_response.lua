-- requires: touch keep_response
-- KEYS: the seven session keys. ARGV: request_id, payload, ttl_ms, request_window.
if redis.call('EXISTS', KEYS[2]) == 0 then return redis.error_reply('FA_NOSESSION') end
keep_response(ARGV[1], ARGV[2], tonumber(ARGV[4]))
touch(tonumber(ARGV[3]))
return 1
