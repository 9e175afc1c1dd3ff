-- Webhooks of connections: each connection's webhook secret (sealed under the master key, bound
-- to the connection's id; made on first use by `sluice connection webhook`), and the record of
-- recent deliveries to its URL, accepted or refused, with the executions each started.
-- dedupe_key (the connection and the host's delivery id, or the body's digest) is set only on
-- authenticated deliveries, so a redelivery starts nothing twice while a forged one cannot
-- claim a real delivery's id first.
alter table connection add column sealed_webhook_secret text;

create table connection_delivery (
    id text primary key,
    connection_id text not null,
    host_delivery_id text,
    dedupe_key text unique,
    event text not null,
    received_ms bigint not null,
    outcome text not null,
    -- JSON: [{"pipelineName": ..., "pipelineExecutionId": ...}]
    executions text not null default '[]'
);

create index connection_delivery_by_connection on connection_delivery (connection_id, received_ms);
