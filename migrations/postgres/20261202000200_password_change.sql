-- A password someone else chose (the first admin's generated one) must be changed at the next
-- sign-in; 1 until the user sets their own.
alter table app_user add column must_change_password bigint not null default 0;
