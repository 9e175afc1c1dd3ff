-- Users sign in with a password (argon2id hash) and call the API with access keys (SigV4).
-- A user's permissions come from one built-in role plus optional inline IAM policies.
create table app_user (
    user_name text primary key,
    password_hash text not null,
    role text not null,
    created_ms integer not null
);

-- The secret is kept because SigV4 verification recomputes the caller's signature with it.
create table access_key (
    access_key_id text primary key,
    user_name text not null references app_user (user_name) on delete cascade,
    secret_access_key text not null,
    status text not null default 'Active',
    created_ms integer not null
);

create table user_policy (
    user_name text not null references app_user (user_name) on delete cascade,
    policy_name text not null,
    document text not null,
    primary key (user_name, policy_name)
);
