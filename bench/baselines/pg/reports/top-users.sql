-- top-users: user names by events (including guessed names), distinct source addresses,
-- first/last seen, active period, per day (ipscope: reports/top.rs).
WITH t AS (
  SELECT uid, count(*) AS events, min(log_date) AS first_seen, max(log_date) AS last_seen
  FROM inet_log WHERE uid IS NOT NULL
  GROUP BY uid
  ORDER BY events DESC, uid COLLATE "C" LIMIT :top
), u AS (  -- distinct addresses by two-level aggregation (see daily.sql)
  SELECT uid, count(*) AS n FROM (
    SELECT uid, src_ip FROM inet_log
    WHERE uid IN (SELECT uid FROM t) AND src_ip IS NOT NULL GROUP BY uid, src_ip
  ) p GROUP BY uid
)
SELECT t.uid AS "user", t.events, coalesce(u.n, 0) AS ips,
       fmt_ts(t.first_seen) AS first_seen, fmt_ts(t.last_seen) AS last_seen,
       round((extract(epoch FROM t.last_seen - t.first_seen)::float8 / 86400.0)::numeric, 2) AS period_days,
       round((t.events / greatest(extract(epoch FROM t.last_seen - t.first_seen)::float8 / 86400.0, 1.0))::numeric, 1) AS per_day,
       'iptracking' AS sources
FROM t LEFT JOIN u ON t.uid = u.uid
ORDER BY t.events DESC, t.uid COLLATE "C";
