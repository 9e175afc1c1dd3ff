-- Where a user's notifications go: the address they gave on their account page, if any.
alter table app_user add column email text;
