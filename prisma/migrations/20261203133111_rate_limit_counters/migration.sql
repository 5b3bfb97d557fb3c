-- CreateTable
CREATE TABLE "rate_limit_counters" (
    "key" TEXT NOT NULL,
    "hits" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "rate_limit_counters_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE INDEX "rate_limit_hits_key_expires_at_idx" ON "rate_limit_hits"("key", "expires_at");

-- The counts of the hits already stored (unexpired ones only: expired hits are deleted, never counted).
DELETE FROM "rate_limit_hits" WHERE "expires_at" <= statement_timestamp();
INSERT INTO "rate_limit_counters" ("key", "hits") SELECT "key", count(*)::int4 FROM "rate_limit_hits" GROUP BY "key";

-- One reservation: one round trip, one commit, and work that does not grow with the limit. Under a
-- transaction-scoped advisory lock per key (taken in hash order, so two reserves cannot deadlock),
-- the keys' expired hits are deleted and their counters lowered by as many (each hit is deleted
-- once: amortized constant work), each counter is read (one row), and only when none is full are
-- the hits inserted and the counters raised. A full counter comes back with the time its slot
-- frees: when the (hits - max + 1)-th oldest hit expires (the oldest, unless the limit was lowered).
-- In PL/pgSQL each statement of this VOLATILE function takes a new snapshot after the lock, so it
-- sees every reservation committed by whoever held the lock before (READ COMMITTED; checked by the
-- store). The per-statement snapshot is why this is not one SQL statement.
DROP FUNCTION IF EXISTS portcullis_reserve_counters(int8, text[], int8[], int4[], text);
DROP FUNCTION IF EXISTS portcullis_reserve_counters_locked(int8, text[], int8[], int4[], text, int8);

CREATE FUNCTION portcullis_reserve_counters(p_now_ms int8, p_keys text[], p_windows int8[], p_maxes int4[], p_id text)
RETURNS TABLE (now_ms text, idx int, frees_at_ms text, inserted int)
LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
  v_now int8 := COALESCE(p_now_ms, floor(extract(epoch FROM statement_timestamp()) * 1000)::int8);
  v_now_ts timestamptz := timestamptz 'epoch' + v_now * interval '1 millisecond';
  v_hits int4;
  v_frees timestamptz;
BEGIN
  PERFORM pg_advisory_xact_lock(o.h) FROM (SELECT DISTINCT hashtextextended(k, 0) AS h FROM unnest(p_keys) AS k ORDER BY h) AS o;
  WITH gone AS (
    DELETE FROM rate_limit_hits WHERE key = ANY(p_keys) AND expires_at <= v_now_ts RETURNING key
  ), per_key AS (
    SELECT gone.key, count(*)::int4 AS n FROM gone GROUP BY gone.key
  )
  UPDATE rate_limit_counters AS c SET hits = c.hits - per_key.n FROM per_key WHERE c.key = per_key.key;
  FOR i IN 1 .. coalesce(array_length(p_keys, 1), 0) LOOP
    SELECT c.hits INTO v_hits FROM rate_limit_counters AS c WHERE c.key = p_keys[i];
    v_hits := COALESCE(v_hits, 0);
    IF v_hits >= p_maxes[i] THEN
      SELECT h.expires_at INTO v_frees FROM rate_limit_hits AS h WHERE h.key = p_keys[i]
        ORDER BY h.expires_at OFFSET GREATEST(v_hits - p_maxes[i], 0) LIMIT 1;
      RETURN QUERY SELECT v_now::text, i, COALESCE(round(extract(epoch FROM v_frees) * 1000)::int8, v_now + 1)::text, 0;
      RETURN;
    END IF;
  END LOOP;
  INSERT INTO rate_limit_hits (id, key, at, expires_at)
    SELECT p_id || ':' || r.idx, r.key, v_now_ts, v_now_ts + r.w * interval '1 millisecond'
    FROM unnest(p_keys, p_windows) WITH ORDINALITY AS r(key, w, idx);
  INSERT INTO rate_limit_counters AS c (key, hits) SELECT k, 1 FROM unnest(p_keys) AS k
    ON CONFLICT (key) DO UPDATE SET hits = c.hits + 1;
  RETURN QUERY SELECT v_now::text, NULL::int, NULL::text, coalesce(array_length(p_keys, 1), 0);
END
$fn$;

-- Hits taken back (a call that never reached its upstream) or expired, with their counters lowered.
CREATE FUNCTION portcullis_release_hits(p_ids text[]) RETURNS int
LANGUAGE sql VOLATILE AS $fn$
  WITH gone AS (
    DELETE FROM rate_limit_hits WHERE id = ANY(p_ids) RETURNING key
  ), per_key AS (
    SELECT gone.key, count(*)::int4 AS n FROM gone GROUP BY gone.key
  ), lowered AS (
    UPDATE rate_limit_counters AS c SET hits = c.hits - per_key.n FROM per_key WHERE c.key = per_key.key RETURNING 1
  )
  SELECT coalesce((SELECT sum(n)::int FROM per_key), 0)
$fn$;

CREATE FUNCTION portcullis_delete_expired_hits(p_now_ms int8) RETURNS int
LANGUAGE sql VOLATILE AS $fn$
  WITH gone AS (
    DELETE FROM rate_limit_hits
    WHERE expires_at <= COALESCE(timestamptz 'epoch' + p_now_ms * interval '1 millisecond', statement_timestamp())
    RETURNING key
  ), per_key AS (
    SELECT gone.key, count(*)::int4 AS n FROM gone GROUP BY gone.key
  ), lowered AS (
    UPDATE rate_limit_counters AS c SET hits = c.hits - per_key.n FROM per_key WHERE c.key = per_key.key RETURNING 1
  )
  SELECT coalesce((SELECT sum(n)::int FROM per_key), 0)
$fn$;
