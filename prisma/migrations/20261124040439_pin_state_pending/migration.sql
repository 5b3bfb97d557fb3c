-- AlterEnum
ALTER TYPE "PinState" ADD VALUE 'pending';
