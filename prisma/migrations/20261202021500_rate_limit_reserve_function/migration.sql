-- One round trip per rate-limit reservation (see packages/counters/src/postgres-counter-store.ts).
CREATE OR REPLACE FUNCTION portcullis_reserve_counters_locked(p_now_ms int8, p_keys text[], p_windows int8[], p_maxes int4[], p_id text, p_locks int8)
RETURNS TABLE (now_ms text, idx int, frees_at_ms text, inserted int)
LANGUAGE sql VOLATILE AS $fn$
  WITH clock AS (
    SELECT COALESCE(p_now_ms, floor(extract(epoch FROM statement_timestamp()) * 1000)::int8) AS now_ms
  ), req AS (
    SELECT r.key, r.window_ms, r.max_hits, r.idx
    FROM unnest(p_keys, p_windows, p_maxes) WITH ORDINALITY AS r(key, window_ms, max_hits, idx)
  ), purged AS (
    DELETE FROM rate_limit_hits
    WHERE key = ANY(p_keys) AND expires_at <= (SELECT timestamptz 'epoch' + c.now_ms * interval '1 millisecond' FROM clock c)
  ), full_counters AS (
    SELECT req.idx, round(extract(epoch FROM blocking.at) * 1000)::int8 + req.window_ms AS frees_at_ms
    FROM req, clock
    CROSS JOIN LATERAL (
      SELECT h.at FROM rate_limit_hits h
      WHERE h.key = req.key AND h.at > timestamptz 'epoch' + (clock.now_ms - req.window_ms) * interval '1 millisecond'
      ORDER BY h.at DESC
      OFFSET req.max_hits - 1 LIMIT 1
    ) AS blocking
  ), inserted AS (
    INSERT INTO rate_limit_hits (id, key, at, expires_at)
    SELECT p_id || ':' || req.idx, req.key,
           timestamptz 'epoch' + clock.now_ms * interval '1 millisecond',
           timestamptz 'epoch' + (clock.now_ms + req.window_ms) * interval '1 millisecond'
    FROM req, clock
    WHERE NOT EXISTS (SELECT 1 FROM full_counters)
    RETURNING id
  )
  SELECT clock.now_ms::text, f.idx::int, f.frees_at_ms::text, (SELECT count(*) FROM inserted)::int
  FROM clock LEFT JOIN full_counters f ON true
  ORDER BY f.idx
  LIMIT 1
$fn$;

CREATE OR REPLACE FUNCTION portcullis_reserve_counters(p_now_ms int8, p_keys text[], p_windows int8[], p_maxes int4[], p_id text)
RETURNS TABLE (now_ms text, idx int, frees_at_ms text, inserted int)
LANGUAGE sql VOLATILE AS $fn$
  SELECT r.now_ms, r.idx, r.frees_at_ms, r.inserted
  FROM (
    SELECT count(pg_advisory_xact_lock(ordered.h)) AS locks
    FROM (SELECT DISTINCT hashtextextended(k, 0) AS h FROM unnest(p_keys) AS k ORDER BY h) AS ordered
  ) AS l
  CROSS JOIN LATERAL portcullis_reserve_counters_locked(p_now_ms, p_keys, p_windows, p_maxes, p_id, l.locks) AS r
$fn$;
