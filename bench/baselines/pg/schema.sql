-- The iptracking store as its PAM callback writes it: one row per SSH auth / open_session /
-- close_session, addresses as inet, the event as an ENUM, the time as timestamptz.
-- Created in the loading transaction (see load.sql) so that, with wal_level=minimal, COPY into
-- it skips the WAL.
DROP TABLE IF EXISTS inet_log;
DROP TYPE IF EXISTS iptracking_event;
CREATE TYPE iptracking_event AS ENUM ('auth', 'open_session', 'close_session', 'unknown');
CREATE TABLE inet_log (
    dst_ip   inet,
    src_ip   inet,
    src_port int,
    event    iptracking_event NOT NULL,
    sshd_pid int,
    uid      text,
    log_date timestamptz NOT NULL
);

-- ipscope renders timestamps as UTC `YYYY-MM-DD HH:MM:SS`, with `.ffffff` only when non-zero.
CREATE OR REPLACE FUNCTION fmt_ts(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')
         || CASE WHEN extract(microseconds FROM t)::bigint % 1000000 <> 0
                 THEN to_char(t AT TIME ZONE 'UTC', '.US') ELSE '' END
$$;
