-- AlterTable
ALTER TABLE "organizations" ADD COLUMN     "auditRetentionDays" INTEGER;
