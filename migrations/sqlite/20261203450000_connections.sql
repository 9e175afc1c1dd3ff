-- Connections to outside git hosts (CodeConnections / CodeStar Connections) and the hosts of
-- self-managed providers. A connection is PENDING until an administrator gives its access token
-- (`sluice connection set-token`), which is sealed under the master key and bound to the
-- connection's id; a connection made AVAILABLE without a token reads public repositories only.
-- ARNs are built from the ids, in the namespace the caller used (codeconnections or
-- codestar-connections), so both name the same row.
create table connection_host (
    host_id text primary key,
    name text not null,
    provider_type text not null,
    provider_endpoint text not null,
    -- JSON: the tags given to CreateHost.
    tags text not null default '[]',
    created_ms bigint not null
);

create table connection (
    connection_id text primary key,
    name text not null,
    provider_type text not null,
    host_id text references connection_host (host_id),
    status text not null default 'PENDING' check (status in ('PENDING', 'AVAILABLE', 'ERROR')),
    sealed_token text,
    tags text not null default '[]',
    created_ms bigint not null,
    updated_ms bigint not null,
    constraint connection_name_key unique (name)
);
