-- The last revision Sluice knows of for each source action, whether a poll saw it or a client sent
-- it with PutActionRevision: a different revision is a change and starts an execution.
create table source_poll (
    pipeline_name text not null,
    stage_name text not null,
    action_name text not null,
    -- What the action watches (s3://bucket/key); when the declaration points elsewhere, the row is
    -- re-seeded instead of counting as a change.
    source text not null default '',
    -- '' when the source had no revision yet: its first one is a change.
    revision_id text not null,
    revision_change_id text,
    -- The execution this revision started, if it started one.
    execution_id text,
    updated_ms bigint not null,
    primary key (pipeline_name, stage_name, action_name)
);
