-- Browser sessions. Only a hash of the cookie's token is kept, so the table alone signs nobody in.
create table app_session (
    token_hash text primary key,
    user_name text not null references app_user (user_name) on delete cascade,
    created_ms integer not null,
    expires_ms integer not null
);
