-- top-ips: source addresses by events, distinct users, first/last seen, active period,
-- events per day (events / max(period days, 1)), sessions opened (ipscope: reports/top.rs).
-- Ties are broken by the address as text, byte order, as ipscope does (it stores text).
WITH t AS (
  SELECT src_ip, count(*) AS events, min(log_date) AS first_seen, max(log_date) AS last_seen,
         count(*) FILTER (WHERE event = 'open_session') AS sessions
  FROM inet_log WHERE src_ip IS NOT NULL
  GROUP BY src_ip
  ORDER BY events DESC, host(src_ip) COLLATE "C" LIMIT :top
), u AS (  -- distinct users by two-level aggregation (see daily.sql)
  SELECT src_ip, count(*) AS n FROM (
    SELECT src_ip, uid FROM inet_log
    WHERE src_ip IN (SELECT src_ip FROM t) AND uid IS NOT NULL GROUP BY src_ip, uid
  ) p GROUP BY src_ip
)
SELECT host(t.src_ip) AS ip, t.events, coalesce(u.n, 0) AS users,
       fmt_ts(t.first_seen) AS first_seen, fmt_ts(t.last_seen) AS last_seen,
       round((extract(epoch FROM t.last_seen - t.first_seen)::float8 / 86400.0)::numeric, 2) AS period_days,
       round((t.events / greatest(extract(epoch FROM t.last_seen - t.first_seen)::float8 / 86400.0, 1.0))::numeric, 1) AS per_day,
       t.sessions, 'iptracking' AS sources
FROM t LEFT JOIN u ON t.src_ip = u.src_ip
ORDER BY t.events DESC, host(t.src_ip) COLLATE "C";
