-- Sluice's own secret store, which SECRETS_MANAGER environment variables name. Values are sealed
-- (AES-256-GCM, `sluice:enc:v1:...`) under the master key in the data dir, never kept in plain text.
create table secret (
    secret_name text primary key,
    sealed_value text not null,
    created_ms integer not null,
    updated_ms integer not null
);
