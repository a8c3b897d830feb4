-- requires: touch set_reply
-- KEYS: the seven session keys. ARGV: request_id, reply, degraded_json, image_type, ttl_ms,
-- acts_json. Returns 1 when the history entry was updated, else 0.
if redis.call('EXISTS', KEYS[2]) == 0 then return redis.error_reply('FA_NOSESSION') end
if set_reply(ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[6]) == 1 then
  touch(tonumber(ARGV[5]))
  return 1
end
return 0
