-- The client of a partner (ThirdParty) action in a pipeline: the clientId its jobs carry and a
-- hash of the clientToken with which the partner's worker answers them. An operator creates the
-- pair (`sluice partner-client`) and gives it to the partner; the token is shown only then.
create table partner_client (
    client_id text primary key,
    pipeline_name text not null,
    stage_name text not null,
    action_name text not null,
    token_hash text not null,
    created_ms integer not null,
    unique (pipeline_name, stage_name, action_name)
);
