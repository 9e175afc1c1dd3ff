-- Deliveries of the outbox's events to the targets of the rules they match. The dispatcher reads
-- the outbox after its cursor and, in one transaction, records a delivery per matched target and
-- moves the cursor: a crash repeats nothing and loses nothing. Deliveries are claimed with a
-- lease, retried with backoff until `next_try_ms`, and end DELIVERED or DEAD (the dead-letter
-- list an admin replays from).
create table event_cursor (
    name text primary key,
    event_id bigint not null
);

-- Rules match events from now on, not the history written before deliveries existed.
insert into event_cursor (name, event_id) select 'rules', coalesce(max(event_id), 0) from event;

create table event_delivery (
    delivery_id bigint generated always as identity primary key,
    event_id bigint not null,
    rule_name text not null,
    target_id text not null,
    target_arn text not null,
    payload text not null,
    status text not null default 'PENDING' check (status in ('PENDING', 'DELIVERED', 'DEAD')),
    attempts bigint not null default 0,
    next_try_ms bigint not null,
    lease_until_ms bigint not null default 0,
    last_response text,
    created_ms bigint not null,
    updated_ms bigint not null,
    constraint event_delivery_once_key unique (event_id, rule_name, target_id)
);

create index event_delivery_due on event_delivery (status, next_try_ms);

-- A webhook target's HttpParameters (headers; its signing secret sealed).
alter table event_target add column http_parameters text;
