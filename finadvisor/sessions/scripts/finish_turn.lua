-- requires: touch set_reply keep_response
-- The reply into the history entry of request_id (when it is still there) and the answer into
-- the replay window, in one step. KEYS: the seven session keys.
-- ARGV: request_id, reply, degraded_json, image_type, ttl_ms, payload, request_window, acts_json.
-- Returns 1 when the history entry was found, else 0.
if redis.call('EXISTS', KEYS[2]) == 0 then return redis.error_reply('FA_NOSESSION') end
local found = set_reply(ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[8])
keep_response(ARGV[1], ARGV[6], tonumber(ARGV[7]))
touch(tonumber(ARGV[5]))
return found
