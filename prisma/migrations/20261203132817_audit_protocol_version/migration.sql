-- AlterTable
ALTER TABLE "audit_events" ADD COLUMN     "protocolVersion" TEXT;
