-- requires: touch
-- Create a session unless it exists. KEYS: the seven session keys.
-- ARGV: ttl_ms, created_ms, profile_json, then field/value pairs of the profile slots.
-- Returns {created (0/1), state hash as a flat array}.
if redis.call('EXISTS', KEYS[2]) == 1 then
  return {0, redis.call('HGETALL', KEYS[1])}
end
redis.call('HSET', KEYS[2], 'created_ms', ARGV[2], 'profile', ARGV[3])
redis.call('HSET', KEYS[1], 'turn_count', '0', 'active_intent', '', 'intent_confidence', '0',
           'changed_slots', '[]')
for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
touch(tonumber(ARGV[1]))
return {1, redis.call('HGETALL', KEYS[1])}
