-- Which world revision last wrote each row, and which rows were deleted at which revision:
-- a replica whose kept world is at revision R reads only what was written after R.
-- Rows written before this migration count as written at revision 0.
ALTER TABLE world_settings ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
CREATE INDEX world_settings_by_revision ON world_settings (revision);
ALTER TABLE tenants ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
CREATE INDEX tenants_by_revision ON tenants (revision);
ALTER TABLE subscriptions ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
CREATE INDEX subscriptions_by_revision ON subscriptions (revision);
ALTER TABLE resource_groups ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
CREATE INDEX resource_groups_by_revision ON resource_groups (revision);
ALTER TABLE vaults ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
CREATE INDEX vaults_by_revision ON vaults (revision);
ALTER TABLE import_keys ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
CREATE INDEX import_keys_by_revision ON import_keys (revision);
ALTER TABLE identities ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
CREATE INDEX identities_by_revision ON identities (revision);
ALTER TABLE orders ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
CREATE INDEX orders_by_revision ON orders (revision);
ALTER TABLE operations ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
CREATE INDEX operations_by_revision ON operations (revision);
ALTER TABLE device_managers ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
CREATE INDEX device_managers_by_revision ON device_managers (revision);
ALTER TABLE devices ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
CREATE INDEX devices_by_revision ON devices (revision);
ALTER TABLE api_keys ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
CREATE INDEX api_keys_by_revision ON api_keys (revision);
ALTER TABLE master_keys ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
CREATE INDEX master_keys_by_revision ON master_keys (revision);
ALTER TABLE key_providers ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
CREATE INDEX key_providers_by_revision ON key_providers (revision);
ALTER TABLE stamps ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
CREATE INDEX stamps_by_revision ON stamps (revision);
ALTER TABLE user_accounts ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
CREATE INDEX user_accounts_by_revision ON user_accounts (revision);
ALTER TABLE role_assignments ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
CREATE INDEX role_assignments_by_revision ON role_assignments (revision);
CREATE TABLE world_deletions (tbl TEXT NOT NULL, id TEXT NOT NULL, revision BIGINT NOT NULL, PRIMARY KEY (tbl, id));
CREATE INDEX world_deletions_by_revision ON world_deletions (revision);
