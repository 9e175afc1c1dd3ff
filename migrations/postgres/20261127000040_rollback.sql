-- RollbackStage: a rollback execution names the execution whose stage it re-runs.
alter table pipeline_execution add column rollback_target text;
