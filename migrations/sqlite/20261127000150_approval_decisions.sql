-- Every answer to a manual approval, kept after the action and its execution are gone: the
-- approvals history. A multi-approver action has one row per approver.
create table approval_decision (
    decision_id integer primary key autoincrement,
    pipeline_name text not null,
    execution_id text not null,
    stage_name text not null,
    action_name text not null,
    action_execution_id text not null,
    approver_arn text not null,
    result text not null,
    comment text not null,
    decided_ms integer not null
);
create index approval_decision_action on approval_decision (action_execution_id);
create index approval_decision_pipeline on approval_decision (pipeline_name, decision_id);
