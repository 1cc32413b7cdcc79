-- open-sessions: (user, address) pairs from outside the home networks (:home, a cidr[] literal)
-- with more session opens than closes, with the pair's total events and first/last seen
-- (ipscope: reports/open_sessions.rs). Two phases as in ipscope: the open/close balance over
-- the session events only, then the totals for the surviving pairs. (The filter is written out
-- in both places, not shared as a CTE: a CTE referenced twice is materialised by PostgreSQL,
-- which made this query 2x slower.)
WITH s AS (
  SELECT uid, src_ip, count(*) FILTER (WHERE event = 'open_session') AS opens,
         count(*) FILTER (WHERE event = 'close_session') AS closes
  FROM inet_log
  WHERE uid IS NOT NULL AND src_ip IS NOT NULL AND NOT (src_ip <<= ANY (:'home'::cidr[]))
    AND event IN ('open_session', 'close_session')
  GROUP BY uid, src_ip
  HAVING count(*) FILTER (WHERE event = 'open_session') > count(*) FILTER (WHERE event = 'close_session')
), n AS (
  SELECT e.uid, e.src_ip, count(*) AS events, min(e.log_date) AS first_seen, max(e.log_date) AS last_seen
  FROM inet_log e JOIN s ON e.uid = s.uid AND e.src_ip = s.src_ip
  GROUP BY e.uid, e.src_ip
)
SELECT s.uid AS "user", host(s.src_ip) AS ip, s.opens - s.closes AS open, s.opens, s.closes,
       n.events, fmt_ts(n.first_seen) AS first_seen, fmt_ts(n.last_seen) AS last_seen
FROM s JOIN n ON s.uid = n.uid AND s.src_ip = n.src_ip
ORDER BY open DESC, n.events DESC, s.uid COLLATE "C", host(s.src_ip) COLLATE "C"
LIMIT :top;
