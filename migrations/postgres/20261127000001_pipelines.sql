-- Pipelines and every version of their declaration (GetPipeline can return any version).
create table pipeline (
    pipeline_id bigint generated always as identity primary key,
    name text not null,
    latest_version bigint not null default 1,
    pipeline_type text not null default 'V1',
    execution_mode text not null default 'SUPERSEDED',
    created_ms bigint not null,
    updated_ms bigint not null,
    constraint pipeline_name_key unique (name)
);

create table pipeline_version (
    pipeline_id bigint not null references pipeline (pipeline_id) on delete cascade,
    version bigint not null,
    declaration text not null,
    created_ms bigint not null,
    primary key (pipeline_id, version)
);

-- Tags belong to a resource ARN: pipelines now, custom action types and webhooks later.
create table resource_tag (
    resource_arn text not null,
    tag_key text not null,
    tag_value text not null default '',
    primary key (resource_arn, tag_key)
);
