-- EventBridge-style rules on the default event bus: a pattern over the events Sluice writes to its
-- outbox, and up to five targets each. DeleteRule refuses a rule that still has targets, as AWS
-- does, so targets never outlive their rule.
create table event_rule (
    name text primary key,
    description text,
    event_pattern text not null,
    state text not null,
    role_arn text,
    created_ms bigint not null,
    updated_ms bigint not null
);

create table event_target (
    rule_name text not null references event_rule (name),
    target_id text not null,
    arn text not null,
    input text,
    input_path text,
    input_transformer text,
    primary key (rule_name, target_id)
);
