-- AlterTable
ALTER TABLE "mcp_servers" ADD COLUMN     "stdioTemplate" TEXT;
