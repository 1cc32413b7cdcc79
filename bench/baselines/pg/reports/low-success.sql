-- low-success --by ip: brute-force suspects, sessions opened / auth attempts below :ratio with
-- both > 0, and the users that got sessions (ipscope: reports/low_success.rs).
WITH s AS (
  SELECT src_ip, count(*) FILTER (WHERE event = 'auth') AS auths,
         count(*) FILTER (WHERE event = 'open_session') AS sessions
  FROM inet_log WHERE src_ip IS NOT NULL AND event IN ('auth', 'open_session')
  GROUP BY src_ip
  HAVING count(*) FILTER (WHERE event = 'auth') > 0
     AND count(*) FILTER (WHERE event = 'open_session') > 0
     AND count(*) FILTER (WHERE event = 'open_session') < :ratio::float8 * count(*) FILTER (WHERE event = 'auth')
  ORDER BY count(*) FILTER (WHERE event = 'open_session')::float8 / count(*) FILTER (WHERE event = 'auth'),
           count(*) FILTER (WHERE event = 'auth') DESC, host(src_ip) COLLATE "C"
  LIMIT :top
), l AS (
  SELECT src_ip, string_agg(DISTINCT uid COLLATE "C", ',' ORDER BY uid COLLATE "C")
                   FILTER (WHERE event = 'open_session') AS lst
  FROM inet_log
  WHERE src_ip IN (SELECT src_ip FROM s) AND event IN ('auth', 'open_session')
  GROUP BY src_ip
)
SELECT host(s.src_ip) AS ip, s.auths, s.sessions, round((s.sessions::float8 / s.auths)::numeric, 4) AS ratio,
       coalesce(l.lst, '') AS session_users
FROM s LEFT JOIN l ON s.src_ip = l.src_ip
ORDER BY s.sessions::float8 / s.auths, s.auths DESC, host(s.src_ip) COLLATE "C";
