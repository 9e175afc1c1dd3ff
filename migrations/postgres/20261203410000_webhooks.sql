-- CodePipeline's (version 1) webhooks. The declaration is one JSON document (its SecretToken
-- sealed); token is the random part of the webhook's URL, kept when PutWebhook replaces the
-- declaration. The last delivery's outcome is what ListWebhooks reports.
create table webhook (
    name text primary key,
    definition text not null,
    token text not null unique,
    created_ms bigint not null,
    updated_ms bigint not null,
    last_triggered_ms bigint,
    error_code text,
    error_message text
);
