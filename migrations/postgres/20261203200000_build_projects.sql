-- CodeBuild-style build projects. The settings (buildspec or its path, environment variables,
-- timeout, the image and compute type recorded) are one JSON document, so a new setting needs no
-- migration; build_count numbers the project's builds (CODEBUILD_BUILD_NUMBER).
create table build_project (
    name text primary key,
    definition text not null,
    build_count bigint not null default 0,
    created_ms bigint not null,
    updated_ms bigint not null
);
