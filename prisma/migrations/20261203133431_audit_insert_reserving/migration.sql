-- Rate-limit reservations inside the audit insert: with counters in PostgreSQL, a forwarded call's
-- reservation and its audit row travel in one statement (one round trip, one commit), and the
-- gateway's group commit carries many calls' reservations and rows at once. The reserve keeps the
-- counters of 20261203133111_rate_limit_counters: a check reads one row per key whatever the limit
-- (the previous reserve walked every hit in the window), and its two steps are shared by both paths.

-- Step 1: the advisory lock of every key (in hash order, so two callers cannot deadlock), then the
-- keys' expired hits deleted and their counters lowered. Later statements of the caller take a new
-- snapshot (PL/pgSQL, VOLATILE) and so see every reservation committed before the lock was granted.
CREATE FUNCTION portcullis_lock_counters(p_keys text[], p_now_ms int8) RETURNS void
LANGUAGE plpgsql VOLATILE AS $fn$
BEGIN
  PERFORM pg_advisory_xact_lock(o.h) FROM (SELECT DISTINCT hashtextextended(k, 0) AS h FROM unnest(p_keys) AS k ORDER BY h) AS o;
  WITH gone AS (
    DELETE FROM rate_limit_hits WHERE key = ANY(p_keys) AND expires_at <= timestamptz 'epoch' + p_now_ms * interval '1 millisecond' RETURNING key
  ), per_key AS (
    SELECT gone.key, count(*)::int4 AS n FROM gone GROUP BY gone.key
  )
  UPDATE rate_limit_counters AS c SET hits = c.hits - per_key.n FROM per_key WHERE c.key = per_key.key;
END
$fn$;

-- Step 2 (locks held): one slot in every counter or none. Returns NULL when taken, else the
-- 1-based index of the first full counter and when its slot frees (ms since epoch).
CREATE FUNCTION portcullis_take_counters(p_now_ms int8, p_keys text[], p_windows int8[], p_maxes int4[], p_id text)
RETURNS TABLE (idx int, frees_at_ms int8)
LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
  v_now_ts timestamptz := timestamptz 'epoch' + p_now_ms * interval '1 millisecond';
  v_hits int4;
  v_frees timestamptz;
BEGIN
  FOR i IN 1 .. coalesce(array_length(p_keys, 1), 0) LOOP
    SELECT c.hits INTO v_hits FROM rate_limit_counters AS c WHERE c.key = p_keys[i];
    v_hits := COALESCE(v_hits, 0);
    IF v_hits >= p_maxes[i] THEN
      -- The slot frees when the (hits - max + 1)-th oldest hit expires (the oldest, unless the limit was lowered).
      SELECT h.expires_at INTO v_frees FROM rate_limit_hits AS h WHERE h.key = p_keys[i]
        ORDER BY h.expires_at OFFSET GREATEST(v_hits - p_maxes[i], 0) LIMIT 1;
      RETURN QUERY SELECT i, COALESCE(round(extract(epoch FROM v_frees) * 1000)::int8, p_now_ms + 1);
      RETURN;
    END IF;
  END LOOP;
  INSERT INTO rate_limit_hits (id, key, at, expires_at)
    SELECT p_id || ':' || r.idx, r.key, v_now_ts, v_now_ts + r.w * interval '1 millisecond'
    FROM unnest(p_keys, p_windows) WITH ORDINALITY AS r(key, w, idx);
  INSERT INTO rate_limit_counters AS c (key, hits) SELECT k, 1 FROM unnest(p_keys) AS k
    ON CONFLICT (key) DO UPDATE SET hits = c.hits + 1;
  RETURN QUERY SELECT NULL::int, NULL::int8;
END
$fn$;

DROP FUNCTION IF EXISTS portcullis_reserve_counters(int8, text[], int8[], int4[], text);
DROP FUNCTION IF EXISTS portcullis_reserve_counters_locked(int8, text[], int8[], int4[], text, int8);

-- One reservation in one round trip and one commit: step 1, then step 2.
CREATE FUNCTION portcullis_reserve_counters(p_now_ms int8, p_keys text[], p_windows int8[], p_maxes int4[], p_id text)
RETURNS TABLE (now_ms text, idx int, frees_at_ms text, inserted int)
LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
  v_now int8 := COALESCE(p_now_ms, floor(extract(epoch FROM statement_timestamp()) * 1000)::int8);
  v_taken record;
BEGIN
  PERFORM portcullis_lock_counters(p_keys, v_now);
  SELECT * INTO v_taken FROM portcullis_take_counters(v_now, p_keys, p_windows, p_maxes, p_id);
  RETURN QUERY SELECT v_now::text, v_taken.idx, v_taken.frees_at_ms::text, CASE WHEN v_taken.idx IS NULL THEN coalesce(array_length(p_keys, 1), 0) ELSE 0 END;
END
$fn$;

-- A batch of audit rows (the json the gateway's writer sends, each row with its 1-based position
-- `n`) and the reservations some of them need (json: [{row, id, keys, windows, maxes}]). Every key
-- of the batch is locked once, reservations are taken in batch order, and the rows are inserted
-- except those whose reservation found a counter full: those come back (row, counter, frees_at_ms).
CREATE FUNCTION portcullis_audit_insert_reserving(p_rows json, p_reservations json)
RETURNS TABLE (row_n int, counter_idx int, frees_at_ms text, now_ms text)
LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
  v_now int8 := floor(extract(epoch FROM statement_timestamp()) * 1000)::int8;
  v_refused int[] := '{}';
  v_res record;
  v_taken record;
BEGIN
  PERFORM portcullis_lock_counters(
    ARRAY(SELECT DISTINCT k FROM json_array_elements(p_reservations) AS e, json_array_elements_text(e -> 'keys') AS k),
    v_now);
  FOR v_res IN
    SELECT (e ->> 'row')::int AS row_n, e ->> 'id' AS id,
           ARRAY(SELECT json_array_elements_text(e -> 'keys')) AS keys,
           ARRAY(SELECT json_array_elements_text(e -> 'windows')::int8) AS windows,
           ARRAY(SELECT json_array_elements_text(e -> 'maxes')::int4) AS maxes
    FROM json_array_elements(p_reservations) AS e
  LOOP
    SELECT * INTO v_taken FROM portcullis_take_counters(v_now, v_res.keys, v_res.windows, v_res.maxes, v_res.id);
    IF v_taken.idx IS NOT NULL THEN
      v_refused := v_refused || v_res.row_n;
      row_n := v_res.row_n;
      counter_idx := v_taken.idx;
      frees_at_ms := v_taken.frees_at_ms::text;
      now_ms := v_now::text;
      RETURN NEXT;
    END IF;
  END LOOP;
  INSERT INTO audit_events (id, "organizationId", "grantId", "serverId", "toolName", method, decision, "ruleId",
    "policyVersion", reason, arguments, "argumentsRedacted", "approvalId", "sessionId", "requestId",
    "protocolVersion", "upstreamOutcome", "upstreamError", "latencyMs", "createdAt", "completedAt")
  SELECT r.id, r."organizationId", r."grantId", r."serverId", r."toolName", r.method, r.decision, r."ruleId",
    r."policyVersion", r.reason, r.arguments, r."argumentsRedacted", r."approvalId", r."sessionId", r."requestId",
    r."protocolVersion", r."upstreamOutcome", r."upstreamError", r."latencyMs", r."createdAt", r."completedAt"
  FROM json_to_recordset(p_rows) AS r(n int, id text, "organizationId" text, "grantId" text, "serverId" text, "toolName" text,
    method text, decision "Decision", "ruleId" text, "policyVersion" int4, reason text, arguments jsonb, "argumentsRedacted" bool,
    "approvalId" text, "sessionId" text, "requestId" text, "protocolVersion" text, "upstreamOutcome" text, "upstreamError" text,
    "latencyMs" float8, "createdAt" timestamptz, "completedAt" timestamptz)
  WHERE NOT (r.n = ANY(v_refused));
END
$fn$;
