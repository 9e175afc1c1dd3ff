-- Every version of every object in Sluice's versioned object store (artifacts, S3 source objects).
-- The bytes live in files under <data_dir>/objects; a row is written only after its file is durable.
-- `seq` orders versions by insertion, which `version_id` (time-ordered UUIDv7) alone cannot within a millisecond.
create table object_version (
    seq integer primary key autoincrement,
    bucket text not null,
    object_key text not null,
    version_id text not null,
    etag text not null,
    sha256 text not null,
    size integer not null,
    encryption_key_id text,
    created_ms integer not null,
    constraint object_version_key unique (bucket, object_key, version_id)
);

-- Latest version and version listings: newest first within one key.
create index object_version_by_key on object_version (bucket, object_key, seq);
