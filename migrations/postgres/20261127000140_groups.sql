-- Groups give their members a role and inline policies on top of the user's own; a disabled
-- user keeps their rows but can neither sign in nor use their keys.
alter table app_user add column status text not null default 'Active';

create table user_group (
    group_name text primary key,
    -- A built-in role name, or null for a group that grants only its inline policies.
    role text,
    created_ms bigint not null
);

create table group_member (
    group_name text not null references user_group (group_name) on delete cascade,
    user_name text not null references app_user (user_name) on delete cascade,
    primary key (group_name, user_name)
);

create table group_policy (
    group_name text not null references user_group (group_name) on delete cascade,
    policy_name text not null,
    document text not null,
    primary key (group_name, policy_name)
);
