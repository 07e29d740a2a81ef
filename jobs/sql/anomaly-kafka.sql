-- Anomaly detection in Flink SQL, on the docker-compose cluster (see docs/anomaly.md, "SQL"):
--   docker compose run --rm sql-anomaly
-- Per host, every row of metrics (CPU and memory together: one detector state per host over both)
-- scored by the anomaly detector with the anomaly module's bundled forecaster, each host's state in
-- Flink state, rows applied in event-time order; each score names the metric that set it.
-- Works as it is in `sql --file` too, against a broker at kafka:9092.

-- the function, from the job jar the SQL Client was started with (-j); a no-op in `sql --file`
CREATE TEMPORARY SYSTEM FUNCTION IF NOT EXISTS anomaly AS 'io.flinkrecurrent.anomaly.sql.AnomalyFunction';

-- a host's metrics, as JSON on the topic `metrics`: {"host": "web-1", "cpu": 42.5, "mem": 61.0, "ts": "2026-01-01 12:00:00Z"}
CREATE TABLE metrics (
    host STRING,
    cpu  DOUBLE,
    mem  DOUBLE,
    ts   TIMESTAMP_LTZ(3),
    WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (
    'connector' = 'kafka',
    'topic' = 'metrics',
    'properties.bootstrap.servers' = 'kafka:9092',
    'properties.group.id' = 'flink-recurrent-anomaly-sql',
    'scan.startup.mode' = 'earliest-offset',
    'format' = 'json',
    'json.ignore-parse-errors' = 'true'
);

-- the scores, as JSON on the topic `anomalies`; `alert` is true from the detector's alarm score
CREATE TABLE anomalies (
    host   STRING,
    score  FLOAT,
    cause  STRING,
    metric STRING,
    alert  BOOLEAN,
    error  STRING,
    ts     TIMESTAMP_LTZ(3)
) WITH (
    'connector' = 'kafka',
    'topic' = 'anomalies',
    'properties.bootstrap.servers' = 'kafka:9092',
    'format' = 'json'
);

-- a generator that writes a row a second for each of 4 hosts into `metrics` (drop it to use your own
-- producer): waves of 10 minutes with noise, and every 20 minutes a jump of 40 in host-1's CPU for 10 seconds
CREATE TEMPORARY TABLE generated (
    n     BIGINT,
    noise DOUBLE
) WITH (
    'connector' = 'datagen',
    'rows-per-second' = '4',
    'fields.n.kind' = 'sequence', 'fields.n.start' = '0', 'fields.n.end' = '1000000000',
    'fields.noise.min' = '-2', 'fields.noise.max' = '2'
);
INSERT INTO metrics
SELECT CONCAT('host-', CAST(MOD(n, 4) AS STRING)),
       50 + 20 * SIN(2 * PI() * UNIX_TIMESTAMP() / 600) + noise + IF(MOD(UNIX_TIMESTAMP(), 1200) < 10 AND MOD(n, 4) = 1, 40, 0),
       60 + 10 * COS(2 * PI() * UNIX_TIMESTAMP() / 600) + noise / 2,
       CURRENT_TIMESTAMP
FROM generated;

INSERT INTO anomalies
SELECT host, score, cause, metric, alert, error, rowtime
FROM anomaly(
    input    => TABLE metrics PARTITION BY host,
    features => DESCRIPTOR(cpu, mem),
    on_time  => DESCRIPTOR(ts),
    uid      => 'host-anomalies');
