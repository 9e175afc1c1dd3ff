-- Pipeline executions and everything that happens in them. Statuses use CodePipeline's spellings.
create table pipeline_execution (
    execution_id text primary key,
    pipeline_name text not null,
    pipeline_version bigint not null,
    -- Creation order: QUEUED mode admits executions in this order.
    seq bigint not null,
    status text not null,
    status_summary text,
    trigger_type text not null,
    trigger_detail text not null default '',
    execution_mode text not null,
    execution_type text not null default 'STANDARD',
    -- JSON: [{"name", "resolvedValue"}] and the StartPipelineExecution source revision overrides.
    variables text not null default '[]',
    source_revisions text not null default '[]',
    client_request_token text,
    stop_reason text,
    stop_abandon bigint not null default 0,
    -- The stage the execution is in, or waits to enter when it has no stage_execution row there.
    current_stage bigint not null default 0,
    created_ms bigint not null,
    updated_ms bigint not null,
    constraint pipeline_execution_token_key unique (pipeline_name, client_request_token)
);
create index pipeline_execution_by_pipeline on pipeline_execution (pipeline_name, seq);

create table stage_execution (
    execution_id text not null references pipeline_execution (execution_id) on delete cascade,
    stage_name text not null,
    status text not null,
    -- Bumped by each retry; ALL_ACTIONS retries ignore action runs before base_attempt.
    attempt bigint not null default 1,
    base_attempt bigint not null default 1,
    manual_retries bigint not null default 0,
    auto_retries bigint not null default 0,
    started_ms bigint not null,
    updated_ms bigint not null,
    primary key (execution_id, stage_name)
);

create table action_execution (
    action_execution_id text primary key,
    execution_id text not null references pipeline_execution (execution_id) on delete cascade,
    stage_name text not null,
    action_name text not null,
    run_order bigint not null,
    stage_attempt bigint not null,
    status text not null,
    summary text,
    error_code text,
    error_message text,
    external_execution_id text,
    external_execution_url text,
    -- A manual approval's token and the moment it expires.
    token text,
    expires_ms bigint,
    -- Running work is claimed with a lease; an expired lease is taken over.
    lease_owner text,
    lease_expires_ms bigint,
    claims bigint not null default 0,
    -- JSON: what ListActionExecutions reports as input and output.
    input text not null default '{}',
    output text not null default '{}',
    started_ms bigint not null,
    updated_ms bigint not null
);
create index action_execution_by_execution on action_execution (execution_id, stage_name);
create index action_execution_by_lease on action_execution (status, lease_expires_ms);

create table action_log (
    action_execution_id text not null,
    line_no bigint not null,
    line text not null,
    primary key (action_execution_id, line_no)
);

create table stage_transition (
    pipeline_name text not null,
    stage_name text not null,
    enabled bigint not null default 1,
    disabled_reason text,
    last_changed_by text,
    last_changed_ms bigint not null,
    primary key (pipeline_name, stage_name)
);

-- The outbox: every state change appends its EventBridge-shaped event in the same transaction.
create table event (
    event_id bigint generated always as identity primary key,
    pipeline_name text not null,
    execution_id text,
    detail_type text not null,
    body text not null,
    created_ms bigint not null
);
