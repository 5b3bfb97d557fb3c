-- CreateTable
CREATE TABLE "audit_rollups" (
    "organizationId" TEXT NOT NULL,
    "hour" TIMESTAMPTZ(3) NOT NULL,
    "serverId" TEXT NOT NULL,
    "toolName" TEXT NOT NULL,
    "decision" "Decision" NOT NULL,
    "reason" TEXT NOT NULL,
    "calls" INTEGER NOT NULL,
    "latencyCount" INTEGER NOT NULL,
    "latencySumMs" DOUBLE PRECISION NOT NULL,
    "latencyBuckets" INTEGER[],

    CONSTRAINT "audit_rollups_pkey" PRIMARY KEY ("organizationId","hour","serverId","toolName","decision","reason")
);

-- CreateTable
CREATE TABLE "audit_rollup_state" (
    "id" INTEGER NOT NULL,
    "rolledUntil" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "audit_rollup_state_pkey" PRIMARY KEY ("id")
);

-- AddForeignKey
ALTER TABLE "audit_rollups" ADD CONSTRAINT "audit_rollups_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;
