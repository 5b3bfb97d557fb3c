-- AlterTable
ALTER TABLE "mcp_servers" ADD COLUMN     "upstreamEra" TEXT,
ADD COLUMN     "upstreamVersions" TEXT[] DEFAULT ARRAY[]::TEXT[];
