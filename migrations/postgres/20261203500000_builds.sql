-- CodeBuild builds, started by a CodeBuild action or by StartBuild. What the list pages sort and
-- filter by is a column; the rest (phases, environment, exported variables, what a RetryBuild
-- repeats) is one JSON document, as for build projects. log_key names the lines in action_log:
-- the action execution's id for a pipeline's build, the build's id for one started by the API.
create table build (
    id text primary key,
    project text not null,
    build_number bigint not null,
    status text not null,
    current_phase text not null,
    initiator text not null,
    log_key text not null,
    action_execution_id text,
    idempotency_token text,
    detail text not null,
    start_ms bigint not null,
    end_ms bigint
);
create index build_by_project on build (project, start_ms);
create index build_by_start on build (start_ms);
create index build_by_action on build (action_execution_id);
