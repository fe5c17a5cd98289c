-- Argo CD health check for Sluice Rollouts (sluice.dev/Rollout): Argo CD runs it with the Rollout as `obj` and reads
-- the table it returns. It maps the phase Sluice writes to Argo CD's health: Healthy, Progressing, Suspended (paused,
-- waiting for a person or a pause step) and Degraded (aborted, deadline missed, invalid spec). A status written for an
-- older generation says nothing yet about the current spec: Progressing until the controller has seen it.
-- Tested by test/integration/argocdHealth.test.ts, which runs this file in Lua 5.4 against Rollouts in every phase.
local hs = { status = "Progressing", message = "waiting for the Sluice controller" }
if obj.status == nil then
  return hs
end
local status = obj.status
local generation = obj.metadata and obj.metadata.generation
if generation ~= nil and (status.observedGeneration == nil or status.observedGeneration < generation) then
  hs.message = "waiting for the Sluice controller to see generation " .. tostring(generation)
  return hs
end
if status.conditions ~= nil then
  for _, condition in ipairs(status.conditions) do
    if condition.type == "InvalidSpec" and condition.status == "True" then
      return { status = "Degraded", message = condition.message or "invalid spec" }
    end
  end
end
local message = status.message or ""
if status.phase == "Healthy" then
  return { status = "Healthy", message = message }
elseif status.phase == "Degraded" then
  return { status = "Degraded", message = message }
elseif status.phase == "Paused" then
  return { status = "Suspended", message = message }
elseif status.phase == "Progressing" then
  return { status = "Progressing", message = message }
end
return { status = "Unknown", message = "unknown phase " .. tostring(status.phase) }
