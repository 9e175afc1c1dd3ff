-- Who started each execution (a user ARN; null for a start no user made), kept apart from
-- trigger_detail, whose text is CodePipeline's and not always an ARN. Manual approvals with
-- AllowSelfApproval=false refuse this user and those who retried a stage (a JSON array of ARNs).
alter table pipeline_execution add column started_by text;
alter table pipeline_execution add column retried_by text not null default '[]';
update pipeline_execution set started_by = trigger_detail
    where trigger_type = 'StartPipelineExecution' and trigger_detail like 'arn:aws:iam::%' and position(' ' in trigger_detail) = 0;
update pipeline_execution set started_by = split_part(trigger_detail, ' re-running ', 1)
    where trigger_type = 'StartPipelineExecution' and trigger_detail like 'arn:aws:iam::% re-running %';

-- Who wrote each object version: the uploader's user ARN, or for an artifact the ARN of the
-- pipeline whose action wrote it (reading it then takes reading that pipeline). Null for rows
-- written before this was kept.
alter table object_version add column created_by text;
