"""Readings retention: 1-minute rollups; on PostgreSQL, readings partitioned by month.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TENANT = "NULLIF(NULLIF(current_setting('bosun.org_id', true), ''), '*')::bigint"


def upgrade() -> None:
    op.create_table(
        "reading_rollups",
        sa.Column(
            "sensor_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("minute", sa.DateTime(timezone=True), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("mean", sa.Float(), nullable=False),
        sa.Column("min", sa.Float(), nullable=False),
        sa.Column("max", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sensor_id"], ["sensors.id"], name=op.f("fk_reading_rollups_sensor_id_sensors")
        ),
        sa.PrimaryKeyConstraint("sensor_id", "minute", name=op.f("pk_reading_rollups")),
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgres()


def _postgres() -> None:
    # Rollups reach their tenant through the sensor, like readings, but are small enough
    # for plain RLS (they are written with INSERT ... SELECT, never COPY).
    op.execute("ALTER TABLE reading_rollups ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE reading_rollups FORCE ROW LEVEL SECURITY")
    op.execute(
        """CREATE POLICY tenant_isolation ON reading_rollups
           USING (EXISTS (SELECT 1 FROM sensors s WHERE s.id = sensor_id))
           WITH CHECK (EXISTS (SELECT 1 FROM sensors s WHERE s.id = sensor_id))"""
    )
    op.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON reading_rollups TO bosun_app")

    # Readings become a table partitioned by month (range on time); a default partition
    # catches anything no monthly partition covers yet.
    op.execute("DROP VIEW tenant_readings")
    op.execute("ALTER TABLE readings RENAME TO readings_unpartitioned")
    op.execute(
        "ALTER TABLE readings_unpartitioned RENAME CONSTRAINT pk_readings TO pk_readings_old"
    )
    op.execute(
        """CREATE TABLE readings (
               sensor_id bigint NOT NULL REFERENCES sensors(id),
               time timestamptz NOT NULL,
               value double precision NOT NULL,
               quality integer NOT NULL,
               CONSTRAINT pk_readings PRIMARY KEY (sensor_id, time)
           ) PARTITION BY RANGE (time)"""
    )
    op.execute("CREATE TABLE readings_default PARTITION OF readings DEFAULT")
    op.execute("INSERT INTO readings SELECT * FROM readings_unpartitioned")
    op.execute("DROP TABLE readings_unpartitioned")
    op.execute("GRANT INSERT ON readings TO bosun_app")
    op.execute("GRANT SELECT ON readings, sensors TO bosun_reader")
    op.execute(
        """CREATE VIEW tenant_readings WITH (security_barrier) AS
           SELECT r.sensor_id, r.time, r.value, r.quality
           FROM readings r JOIN sensors s ON s.id = r.sensor_id"""
    )
    # A new owner needs CREATE on the schema, which PostgreSQL 15 grants nobody by default:
    # lend it for the change, so a database owner that is no superuser can migrate.
    op.execute("GRANT CREATE ON SCHEMA public TO bosun_reader")
    op.execute("ALTER VIEW tenant_readings OWNER TO bosun_reader")
    op.execute("REVOKE CREATE ON SCHEMA public FROM bosun_reader")
    op.execute("GRANT SELECT ON tenant_readings TO bosun_app")

    # Creating partitions and pruning old rows need the owner's rights; these functions do
    # exactly that and no more, and prune only the session's tenant's sensors.
    op.execute(
        """CREATE FUNCTION bosun_ensure_reading_partition(month_start timestamptz)
           RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
           DECLARE
               lo timestamptz := date_trunc('month', month_start AT TIME ZONE 'UTC')
                                 AT TIME ZONE 'UTC';
               hi timestamptz := lo + interval '1 month';
               name text := 'readings_' || to_char(lo AT TIME ZONE 'UTC', 'YYYY_MM');
           BEGIN
               IF to_regclass(name) IS NOT NULL THEN
                   RETURN;
               END IF;
               CREATE TEMP TABLE IF NOT EXISTS bosun_move (LIKE readings) ON COMMIT DROP;
               WITH moved AS (
                   DELETE FROM readings_default WHERE time >= lo AND time < hi RETURNING *
               ) INSERT INTO bosun_move SELECT * FROM moved;
               EXECUTE format('CREATE TABLE %I PARTITION OF readings FOR VALUES FROM (%L) TO (%L)',
                              name, lo, hi);
               INSERT INTO readings SELECT * FROM bosun_move;
               TRUNCATE bosun_move;
           END $$"""
    )
    op.execute(
        f"""CREATE FUNCTION bosun_prune_readings(cutoff timestamptz)
           RETURNS bigint LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$
               WITH gone AS (
                   DELETE FROM readings r USING sensors s
                   WHERE s.id = r.sensor_id AND s.org_id = {TENANT} AND r.time < cutoff
                   RETURNING 1
               ) SELECT count(*) FROM gone $$"""
    )
    for fn in ("bosun_ensure_reading_partition(timestamptz)", "bosun_prune_readings(timestamptz)"):
        op.execute(f"REVOKE ALL ON FUNCTION {fn} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {fn} TO bosun_app")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS bosun_prune_readings(timestamptz)")
        op.execute("DROP FUNCTION IF EXISTS bosun_ensure_reading_partition(timestamptz)")
    op.drop_table("reading_rollups")
