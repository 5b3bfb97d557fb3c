-- AlterTable
ALTER TABLE "tools" ADD COLUMN     "injectionFlags" JSONB;
