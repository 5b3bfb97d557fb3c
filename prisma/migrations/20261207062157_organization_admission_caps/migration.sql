-- AlterTable
ALTER TABLE "organizations" ADD COLUMN     "maxCallsInFlight" INTEGER,
ADD COLUMN     "maxCallsInFlightPerGrant" INTEGER;
