-- Argo CD health check for Sluice Rollouts (sluice.dev/Rollout): Argo CD runs it with the Rollout as `obj` and reads
-- the table it returns. It maps the phase Sluice writes to Argo CD's health: Healthy, Progressing, Suspended (paused,
-- waiting for a person or a pause step) and Degraded (aborted, deadline missed, invalid spec). A status written for an
-- older generation says nothing yet about the current spec: Progressing until the controller has seen it.
-- Every field is checked for its type before use, and only Lua 5.1 is used (Argo CD runs gopher-lua): a malformed
-- object gives a health, never a Lua error.
-- Tested by test/integration/argocdHealth.test.ts, which runs this file against Rollouts in every phase.
local function text(value, fallback)
  if type(value) == "string" then
    return value
  end
  return fallback
end

local function health(status, message)
  return { status = status, message = message }
end

if type(obj) ~= "table" or type(obj.status) ~= "table" then
  return health("Progressing", "waiting for the Sluice controller")
end
local status = obj.status
local generation = type(obj.metadata) == "table" and obj.metadata.generation or nil
if type(generation) == "number" then
  local observed = status.observedGeneration
  if type(observed) ~= "number" or observed < generation then
    return health("Progressing", "waiting for the Sluice controller to see generation " .. tostring(generation))
  end
end
if type(status.conditions) == "table" then
  for _, condition in ipairs(status.conditions) do
    if type(condition) == "table" and condition.type == "InvalidSpec" and condition.status == "True" then
      return health("Degraded", text(condition.message, "invalid spec"))
    end
  end
end
local message = text(status.message, "")
if status.phase == "Healthy" then
  return health("Healthy", message)
elseif status.phase == "Degraded" then
  return health("Degraded", message)
elseif status.phase == "Paused" then
  return health("Suspended", message)
elseif status.phase == "Progressing" then
  return health("Progressing", message)
end
return health("Unknown", "unknown phase " .. text(status.phase, "(none)"))
