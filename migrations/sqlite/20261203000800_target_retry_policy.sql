-- A target's RetryPolicy (EventBridge's): how many times a failed delivery is tried again, and
-- how old its event may grow before it is given up; null keeps Sluice's defaults.
alter table event_target add column retry_max_attempts bigint;
alter table event_target add column retry_max_age_s bigint;
