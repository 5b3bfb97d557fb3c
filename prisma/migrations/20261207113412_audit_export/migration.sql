-- CreateEnum
CREATE TYPE "AuditExportKind" AS ENUM ('https', 'otlp_logs');

-- CreateTable
CREATE TABLE "audit_exports" (
    "id" TEXT NOT NULL,
    "organizationId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "kind" "AuditExportKind" NOT NULL,
    "url" TEXT NOT NULL,
    "secretEnc" TEXT,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "cursorAt" TIMESTAMPTZ(3) NOT NULL,
    "cursorId" TEXT NOT NULL DEFAULT '',
    "exportedCount" INTEGER NOT NULL DEFAULT 0,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lockedUntil" TIMESTAMPTZ(3),
    "lastError" TEXT,
    "lastDeliveredAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "audit_exports_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "audit_exports_nextAttemptAt_idx" ON "audit_exports"("nextAttemptAt");

-- CreateIndex
CREATE UNIQUE INDEX "audit_exports_organizationId_name_key" ON "audit_exports"("organizationId", "name");

-- AddForeignKey
ALTER TABLE "audit_exports" ADD CONSTRAINT "audit_exports_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;
