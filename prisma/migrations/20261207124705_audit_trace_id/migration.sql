-- AlterTable
ALTER TABLE "audit_events" ADD COLUMN     "traceId" TEXT;

-- The batched insert with rate-limit reservations writes it too (as 20261207121421, one column more).
CREATE OR REPLACE FUNCTION portcullis_audit_insert_reserving(p_rows json, p_reservations json)
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
    "protocolVersion", "upstreamOutcome", "upstreamError", "latencyMs", "guards", "traceId", "createdAt", "completedAt")
  SELECT r.id, r."organizationId", r."grantId", r."serverId", r."toolName", r.method, r.decision, r."ruleId",
    r."policyVersion", r.reason, r.arguments, r."argumentsRedacted", r."approvalId", r."sessionId", r."requestId",
    r."protocolVersion", r."upstreamOutcome", r."upstreamError", r."latencyMs", r."guards", r."traceId", r."createdAt", r."completedAt"
  FROM json_to_recordset(p_rows) AS r(n int, id text, "organizationId" text, "grantId" text, "serverId" text, "toolName" text,
    method text, decision "Decision", "ruleId" text, "policyVersion" int4, reason text, arguments jsonb, "argumentsRedacted" bool,
    "approvalId" text, "sessionId" text, "requestId" text, "protocolVersion" text, "upstreamOutcome" text, "upstreamError" text,
    "latencyMs" float8, "guards" jsonb, "traceId" text, "createdAt" timestamptz, "completedAt" timestamptz)
  WHERE NOT (r.n = ANY(v_refused));
END
$fn$;
