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

-- Hits taken back (a call that never reached its upstream) or expired, with their counters lowered.
-- (The reserve that keeps the counters comes with 20261203133431_audit_insert_reserving.)
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
  SELECT portcullis_release_hits(ARRAY(
    SELECT id FROM rate_limit_hits
    WHERE expires_at <= COALESCE(timestamptz 'epoch' + p_now_ms * interval '1 millisecond', statement_timestamp())
  ))
$fn$;
