-- low-success --by user: the same per user name, listing the off-campus addresses (outside
-- :home) that got sessions (ipscope: reports/low_success.rs).
WITH s AS (
  SELECT uid, count(*) FILTER (WHERE event = 'auth') AS auths,
         count(*) FILTER (WHERE event = 'open_session') AS sessions
  FROM inet_log WHERE uid IS NOT NULL AND event IN ('auth', 'open_session')
  GROUP BY uid
  HAVING count(*) FILTER (WHERE event = 'auth') > 0
     AND count(*) FILTER (WHERE event = 'open_session') > 0
     AND count(*) FILTER (WHERE event = 'open_session') < :ratio::float8 * count(*) FILTER (WHERE event = 'auth')
  ORDER BY count(*) FILTER (WHERE event = 'open_session')::float8 / count(*) FILTER (WHERE event = 'auth'),
           count(*) FILTER (WHERE event = 'auth') DESC, uid COLLATE "C"
  LIMIT :top
), l AS (
  SELECT uid, string_agg(DISTINCT host(src_ip) COLLATE "C", ',' ORDER BY host(src_ip) COLLATE "C")
                FILTER (WHERE event = 'open_session' AND NOT coalesce(src_ip <<= ANY (:'home'::cidr[]), false)) AS lst
  FROM inet_log
  WHERE uid IN (SELECT uid FROM s) AND event IN ('auth', 'open_session')
  GROUP BY uid
)
SELECT s.uid AS "user", s.auths, s.sessions, round((s.sessions::float8 / s.auths)::numeric, 4) AS ratio,
       coalesce(l.lst, '') AS offcampus_session_ips
FROM s LEFT JOIN l ON s.uid = l.uid
ORDER BY s.sessions::float8 / s.auths, s.auths DESC, s.uid COLLATE "C";
