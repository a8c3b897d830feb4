-- requires: touch
-- Merge one understood turn, idempotent by request id. KEYS: the seven session keys.
-- ARGV: request_id, turn_json, ttl_ms, history_max, request_window[, history_limit].
-- Returns {replayed (0/1), result_json} where result_json = {"turn": n, "h": <state hash>};
-- with history_limit > 0 a fresh turn also returns {.., history, profile_json, created_ms, pttl}.
local rid = ARGV[1]
local prior = redis.call('HGET', KEYS[4], rid)
if prior then return {1, prior} end
if redis.call('EXISTS', KEYS[2]) == 0 then return redis.error_reply('FA_NOSESSION') end
local t = cjson.decode(ARGV[2])
local turn = redis.call('HINCRBY', KEYS[1], 'turn_count', 1) - 1
local changed, seen = {}, {}
for _, u in ipairs(t.updates) do
  local field = 'slot:' .. u.slot
  local old = redis.call('HGET', KEYS[1], field)
  local differs = true
  if old then
    local o = cjson.decode(old)
    differs = (o.value ~= u.value) or (o.source ~= u.source)
  end
  local ut = u.turn
  if ut == nil then ut = turn end
  redis.call('HSET', KEYS[1], field, cjson.encode(
    {value = u.value, confidence = u.confidence, source = u.source, turn = ut}))
  if differs and not seen[u.slot] then
    seen[u.slot] = true
    changed[#changed + 1] = u.slot
  end
end
local changed_json = '[]'
if #changed > 0 then changed_json = cjson.encode(changed) end
redis.call('HSET', KEYS[1], 'changed_slots', changed_json)
if t.intent ~= '' then
  redis.call('HSET', KEYS[1], 'active_intent', t.intent,
             'intent_confidence', string.format('%.17g', t.intent_confidence))
end
-- cjson writes an empty table as {}; the reader treats that as an empty list.
local entry = cjson.encode({turn = turn, request_id = rid, text = t.text,
  text_source = t.text_source, intent = t.intent, reply = '', image_type = '',
  timestamp_ms = t.timestamp_ms, changed_slots = changed, degraded = {}})
redis.call('RPUSH', KEYS[3], entry)
redis.call('LTRIM', KEYS[3], -tonumber(ARGV[4]), -1)
local h = redis.call('HGETALL', KEYS[1])
local map = {}
for i = 1, #h, 2 do map[h[i]] = h[i + 1] end
local result = cjson.encode({turn = turn, h = map})
redis.call('HSET', KEYS[4], rid, result)
redis.call('RPUSH', KEYS[5], rid)
local window = tonumber(ARGV[5])
while redis.call('LLEN', KEYS[5]) > window do
  redis.call('HDEL', KEYS[4], redis.call('LPOP', KEYS[5]))
end
touch(tonumber(ARGV[3]))
local limit = tonumber(ARGV[6] or '0')
if limit > 0 then
  -- The caller's next read (context for the reply), in the same step.
  local meta = redis.call('HMGET', KEYS[2], 'profile', 'created_ms')
  return {0, result, redis.call('LRANGE', KEYS[3], -limit, -1), meta[1] or '{}', meta[2] or '0',
          redis.call('PTTL', KEYS[1])}
end
return {0, result}
