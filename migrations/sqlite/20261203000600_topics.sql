-- SNS-style topics and their subscriptions. A subscription waits for its confirmation (the token
-- sent to its endpoint) before it gets messages, as on SNS. A published message is a row of its
-- own whose id, with the rule name `topic/<topic>` and the subscription id as target, keys the
-- deliveries it fans out to: so a message reaches each subscription once. A subscription's
-- confirmation request is delivery 0 of that subscription.
create table topic (
    name text primary key,
    created_ms bigint not null
);

create table topic_subscription (
    subscription_id text primary key,
    topic_name text not null references topic (name),
    protocol text not null check (protocol in ('email', 'email-json', 'http', 'https')),
    endpoint text not null,
    confirmed bigint not null default 0,
    token text not null,
    created_ms bigint not null,
    constraint topic_subscription_endpoint_key unique (topic_name, protocol, endpoint)
);

create table topic_message (
    message_id integer primary key autoincrement,
    topic_name text not null,
    created_ms bigint not null
);
