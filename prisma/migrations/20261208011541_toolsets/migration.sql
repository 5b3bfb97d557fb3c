-- AlterTable
ALTER TABLE "audit_events" ADD COLUMN     "toolsetId" TEXT;

-- AlterTable
ALTER TABLE "grants" ADD COLUMN     "toolsetId" TEXT,
ALTER COLUMN "serverId" DROP NOT NULL;

-- AlterTable
ALTER TABLE "mcp_servers" ADD COLUMN     "resourceUris" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- AlterTable
ALTER TABLE "tools" ADD COLUMN     "overrideDescription" TEXT,
ADD COLUMN     "overrideName" TEXT,
ADD COLUMN     "overrideTitle" TEXT;

-- CreateTable
CREATE TABLE "toolsets" (
    "id" TEXT NOT NULL,
    "organizationId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,
    "deletedAt" TIMESTAMPTZ(3),

    CONSTRAINT "toolsets_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "toolset_members" (
    "id" TEXT NOT NULL,
    "organizationId" TEXT NOT NULL,
    "toolsetId" TEXT NOT NULL,
    "serverId" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "allTools" BOOLEAN NOT NULL DEFAULT true,
    "tools" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "overrides" JSONB NOT NULL DEFAULT '{}',
    "position" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "toolset_members_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "toolsets_organizationId_idx" ON "toolsets"("organizationId");

-- CreateIndex
CREATE UNIQUE INDEX "toolsets_organizationId_name_key" ON "toolsets"("organizationId", "name");

-- CreateIndex
CREATE INDEX "toolset_members_serverId_idx" ON "toolset_members"("serverId");

-- CreateIndex
CREATE UNIQUE INDEX "toolset_members_toolsetId_serverId_key" ON "toolset_members"("toolsetId", "serverId");

-- CreateIndex
CREATE UNIQUE INDEX "toolset_members_toolsetId_prefix_key" ON "toolset_members"("toolsetId", "prefix");

-- CreateIndex
CREATE INDEX "audit_events_organizationId_toolsetId_createdAt_id_idx" ON "audit_events"("organizationId", "toolsetId", "createdAt" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "grants_toolsetId_idx" ON "grants"("toolsetId");

-- AddForeignKey
ALTER TABLE "grants" ADD CONSTRAINT "grants_toolsetId_fkey" FOREIGN KEY ("toolsetId") REFERENCES "toolsets"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "toolsets" ADD CONSTRAINT "toolsets_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "toolset_members" ADD CONSTRAINT "toolset_members_toolsetId_fkey" FOREIGN KEY ("toolsetId") REFERENCES "toolsets"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "toolset_members" ADD CONSTRAINT "toolset_members_serverId_fkey" FOREIGN KEY ("serverId") REFERENCES "mcp_servers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "audit_events" ADD CONSTRAINT "audit_events_toolsetId_fkey" FOREIGN KEY ("toolsetId") REFERENCES "toolsets"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- A grant fronts exactly one server or exactly one toolset.
ALTER TABLE "grants" ADD CONSTRAINT "grants_one_target" CHECK (("serverId" IS NULL) <> ("toolsetId" IS NULL));

-- The batched insert with rate-limit reservations writes the toolset too (as 20261207124705, one column more).
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
    "protocolVersion", "upstreamOutcome", "upstreamError", "latencyMs", "guards", "traceId", "toolsetId", "createdAt", "completedAt")
  SELECT r.id, r."organizationId", r."grantId", r."serverId", r."toolName", r.method, r.decision, r."ruleId",
    r."policyVersion", r.reason, r.arguments, r."argumentsRedacted", r."approvalId", r."sessionId", r."requestId",
    r."protocolVersion", r."upstreamOutcome", r."upstreamError", r."latencyMs", r."guards", r."traceId", r."toolsetId", r."createdAt", r."completedAt"
  FROM json_to_recordset(p_rows) AS r(n int, id text, "organizationId" text, "grantId" text, "serverId" text, "toolName" text,
    method text, decision "Decision", "ruleId" text, "policyVersion" int4, reason text, arguments jsonb, "argumentsRedacted" bool,
    "approvalId" text, "sessionId" text, "requestId" text, "protocolVersion" text, "upstreamOutcome" text, "upstreamError" text,
    "latencyMs" float8, "guards" jsonb, "traceId" text, "toolsetId" text, "createdAt" timestamptz, "completedAt" timestamptz)
  WHERE NOT (r.n = ANY(v_refused));
END
$fn$;
