-- The indexes the seed installation plausibly has: the reports and the nightly purge
-- (`DELETE ... WHERE log_date < now() - N days`) select by time, and per-address drill-downs
-- select by source address. (The full-table reports below do not use them: they scan.)
CREATE INDEX inet_log_log_date ON inet_log (log_date);
CREATE INDEX inet_log_src_ip ON inet_log (src_ip);
