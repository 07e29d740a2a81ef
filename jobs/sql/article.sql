-- The article's example in SQL: H = 2H + X, Y = 5 - H per key, over jobs/article/events.jsonl.
--   mvn -q -f jobs compile exec:exec -Dexec.args='sql --file jobs/sql/article.sql'
CREATE TABLE events (
    `key`  STRING,
    seq    BIGINT,
    input  ARRAY<FLOAT>
) WITH (
    'connector' = 'filesystem',
    'path'      = 'jobs/article/events.jsonl',
    'format'    = 'json'
);

SELECT `key`, seq, output, error
FROM recurrent(
    input => TABLE events PARTITION BY `key`,
    model => 'jobs/article/article_linear.safetensors',
    uid   => 'article');
