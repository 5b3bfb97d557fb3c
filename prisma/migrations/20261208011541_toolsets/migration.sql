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
