-- Custom action types (CreateCustomActionType) and the jobs their workers poll for.
-- A type is never removed: DeleteCustomActionType marks it deleted, and its version stays taken.
create table custom_action_type (
    category text not null,
    provider text not null,
    version text not null,
    -- JSON: the declaration (settings, configurationProperties, artifact details, description, jobTimeout).
    declaration text not null,
    deleted integer not null default 0,
    created_ms integer not null,
    updated_ms integer not null,
    primary key (category, provider, version)
);

-- One job per turn of a waiting custom action: the action's row holds the current job's id as its
-- token, and a continuation token makes a new job for the same action execution.
create table job (
    job_id text primary key,
    action_execution_id text not null,
    pipeline_name text not null,
    category text not null,
    owner text not null,
    provider text not null,
    version text not null,
    -- The value of the type's queryable property, for PollForJobs' queryParam.
    query_value text,
    -- Queued, Dispatched (polled), InProgress (acknowledged), Succeeded, Failed.
    status text not null,
    nonce text,
    continuation_token text,
    created_ms integer not null,
    updated_ms integer not null
);
create index job_queue on job (category, provider, version, status, created_ms);
create index job_by_action on job (action_execution_id);
