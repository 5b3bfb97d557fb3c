-- AlterTable
ALTER TABLE "upstream_connections" ADD COLUMN     "reconnectNotifiedAt" TIMESTAMPTZ(3);
