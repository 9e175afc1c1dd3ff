-- Stage conditions: one row per condition of a stage run (re-evaluations replace it), and the
-- rule executions of every evaluation, claimed with leases like actions.
create table condition_execution (
    execution_id text not null references pipeline_execution (execution_id) on delete cascade,
    stage_name text not null,
    -- BEFORE_ENTRY, ON_SUCCESS or ON_FAILURE.
    condition_type text not null,
    -- The stage attempt this evaluation belongs to.
    stage_attempt bigint not null,
    status text not null,
    summary text,
    started_ms bigint not null,
    updated_ms bigint not null,
    primary key (execution_id, stage_name, condition_type)
);

create table rule_execution (
    rule_execution_id text primary key,
    execution_id text not null references pipeline_execution (execution_id) on delete cascade,
    stage_name text not null,
    condition_type text not null,
    stage_attempt bigint not null,
    rule_name text not null,
    status text not null,
    summary text,
    error_code text,
    error_message text,
    lease_owner text,
    lease_expires_ms bigint,
    claims bigint not null default 0,
    -- JSON: what ListRuleExecutions reports as input and output.
    input text not null default '{}',
    output text not null default '{}',
    started_ms bigint not null,
    updated_ms bigint not null
);
create index rule_execution_by_execution on rule_execution (execution_id, stage_name);
create index rule_execution_by_lease on rule_execution (status, lease_expires_ms);

-- retryStageMetadata.latestRetryTrigger: which kind of retry ran last (AutomatedStageRetry or
-- ManualStageRetry); null before the first retry.
alter table stage_execution add column last_retry_trigger text;
