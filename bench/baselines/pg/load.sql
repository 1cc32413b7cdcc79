-- psql -v file=PATH -v tz=UTC -f load.sql : schema + COPY in one transaction.
-- The export is `dst_ip|src_ip|src_port|event|sshd_pid|uid|log_date`, log_date local time
-- without zone: read in the session's TimeZone (:tz, the same zone ipscope is given by --tz).
-- FORMAT csv with DELIMITER '|' reads the generator's output as it is (an empty field is NULL,
-- as ipscope reads it); a file with `\N` NULLs (psql's text export) needs FORMAT text instead.
SET TimeZone = :'tz';
BEGIN;
\ir schema.sql
COPY inet_log (dst_ip, src_ip, src_port, event, sshd_pid, uid, log_date)
  FROM :'file' WITH (FORMAT csv, DELIMITER '|');
COMMIT;
