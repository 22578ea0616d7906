-- fence: a campaign's state in Redis is sold from only while it was verified against Postgres during the
-- life of the server that holds it. `run` in the meta hash is the run id (INFO server run_id) of the
-- server it was verified on; a restart, a promoted replica or a restored snapshot is another run id, so
-- the state is held back (503) until it has been compared with Postgres again. ARGV carries the run id
-- of the server the connection is attached to, learned when the connection became ready.
local function fenced(meta_run, connection_run)
  return meta_run ~= connection_run
end
