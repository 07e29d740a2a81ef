-- Repetition detection in Flink SQL, on the docker-compose cluster (see README.md, "Flink SQL"):
--   docker compose run --rm sql-client
-- Per user, the probability that each digit already occurred in the user's sequence, from the
-- repetition job's GRU (jobs/repetition/model.safetensors), with each user's state in Flink state.
-- Works as it is in `sql --file` too, against a broker at kafka:9092.

-- the function, from the job jar the SQL Client was started with (-j); a no-op in `sql --file`
CREATE TEMPORARY SYSTEM FUNCTION IF NOT EXISTS recurrent AS 'io.flinkrecurrent.sql.RecurrentFunction';

-- digits per user, as JSON on the topic `digits`
CREATE TABLE digits (
    user_id STRING,
    digit   INT
) WITH (
    'connector' = 'kafka',
    'topic' = 'digits',
    'properties.bootstrap.servers' = 'kafka:9092',
    'properties.group.id' = 'flink-recurrent-sql',
    'scan.startup.mode' = 'earliest-offset',
    'format' = 'json',
    'json.ignore-parse-errors' = 'true'
);

-- the model's input: the digit one-hot
CREATE TEMPORARY VIEW digit_inputs AS
SELECT user_id, ARRAY[
    CAST(IF(digit = 0, 1, 0) AS FLOAT), CAST(IF(digit = 1, 1, 0) AS FLOAT), CAST(IF(digit = 2, 1, 0) AS FLOAT),
    CAST(IF(digit = 3, 1, 0) AS FLOAT), CAST(IF(digit = 4, 1, 0) AS FLOAT), CAST(IF(digit = 5, 1, 0) AS FLOAT),
    CAST(IF(digit = 6, 1, 0) AS FLOAT), CAST(IF(digit = 7, 1, 0) AS FLOAT), CAST(IF(digit = 8, 1, 0) AS FLOAT),
    CAST(IF(digit = 9, 1, 0) AS FLOAT)] AS input
FROM digits;

-- the results, as JSON on the topic `repetition`
CREATE TABLE repetition (
    user_id STRING,
    seq     BIGINT,
    p_seen  FLOAT,
    error   STRING
) WITH (
    'connector' = 'kafka',
    'topic' = 'repetition',
    'properties.bootstrap.servers' = 'kafka:9092',
    'format' = 'json'
);

-- a generator that writes 10 digits a second for 5 users into `digits` (drop it to use your own producer)
CREATE TEMPORARY TABLE generated (
    user_id INT,
    digit   INT
) WITH (
    'connector' = 'datagen',
    'rows-per-second' = '10',
    'fields.user_id.min' = '1', 'fields.user_id.max' = '5',
    'fields.digit.min' = '0', 'fields.digit.max' = '9'
);
INSERT INTO digits SELECT CONCAT('user-', CAST(user_id AS STRING)), digit FROM generated;

INSERT INTO repetition
SELECT user_id, seq, output[1], error
FROM recurrent(
    input => TABLE digit_inputs PARTITION BY user_id,
    model => '/opt/flink-recurrent/jobs/repetition/model.safetensors',
    uid   => 'repetition-sql');
