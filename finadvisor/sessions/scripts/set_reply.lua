-- Fragment: put the advisor's reply (and acts) into the history entry of request id rid.
-- Returns 1 when the entry was found, else 0.
local function set_reply(rid, reply, degraded_json, image_type, acts_json)
  local n = redis.call('LLEN', KEYS[3])
  for i = n - 1, 0, -1 do
    local e = cjson.decode(redis.call('LINDEX', KEYS[3], i))
    if e.request_id == rid then
      e.reply = reply
      e.image_type = image_type
      e.degraded = cjson.decode(degraded_json)
      if acts_json and acts_json ~= '' then e.acts = cjson.decode(acts_json) end
      redis.call('LSET', KEYS[3], i, cjson.encode(e))
      return 1
    end
  end
  return 0
end
