-- Every API call, CloudTrail-shaped; each record's hash covers the previous one's, so an edited
-- or deleted record breaks the chain that `sluice audit verify` walks.
create table audit_record (
    seq integer primary key autoincrement,
    event_ms integer not null,
    user_arn text not null,
    event_name text not null,
    outcome text not null,
    record text not null,
    prev_hash text not null,
    hash text not null
);
create index audit_record_time on audit_record (event_ms);
