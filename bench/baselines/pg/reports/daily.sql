-- daily: events and distinct source addresses per UTC day, with the weekday
-- (ipscope: crates/ipscope-report/src/reports/daily.rs).
SELECT day, to_char(day, 'FMDay') AS weekday, events, ips FROM (
  SELECT (log_date AT TIME ZONE 'UTC')::date AS day, count(*) AS events, count(DISTINCT src_ip) AS ips
  FROM inet_log GROUP BY 1
) d ORDER BY day;
