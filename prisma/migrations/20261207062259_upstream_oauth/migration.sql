-- CreateEnum
CREATE TYPE "UpstreamConnectionMode" AS ENUM ('shared', 'per_user');

-- CreateEnum
CREATE TYPE "UpstreamClientRegistration" AS ENUM ('pre_registered', 'metadata_document', 'dynamic');

-- CreateEnum
CREATE TYPE "UpstreamConnectionStatus" AS ENUM ('active', 'needs_reconnect');

-- CreateTable
CREATE TABLE "upstream_oauth_configs" (
    "serverId" TEXT NOT NULL,
    "organizationId" TEXT NOT NULL,
    "connectionMode" "UpstreamConnectionMode" NOT NULL DEFAULT 'per_user',
    "registration" "UpstreamClientRegistration" NOT NULL,
    "resource" TEXT NOT NULL,
    "issuer" TEXT NOT NULL,
    "authorizationEndpoint" TEXT NOT NULL,
    "tokenEndpoint" TEXT NOT NULL,
    "registrationEndpoint" TEXT,
    "revocationEndpoint" TEXT,
    "scopes" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "clientId" TEXT NOT NULL,
    "clientSecretEnc" TEXT,
    "tokenEndpointAuthMethod" TEXT NOT NULL DEFAULT 'none',
    "discoveredAt" TIMESTAMPTZ(3) NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "upstream_oauth_configs_pkey" PRIMARY KEY ("serverId")
);

-- CreateTable
CREATE TABLE "upstream_connections" (
    "id" TEXT NOT NULL,
    "organizationId" TEXT NOT NULL,
    "serverId" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "userId" TEXT,
    "status" "UpstreamConnectionStatus" NOT NULL DEFAULT 'active',
    "accessTokenEnc" TEXT NOT NULL,
    "refreshTokenEnc" TEXT,
    "accessExpiresAt" TIMESTAMPTZ(3),
    "scopes" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "connectedById" TEXT NOT NULL,
    "refreshedAt" TIMESTAMPTZ(3),
    "lastError" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "upstream_connections_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "upstream_authorization_states" (
    "id" TEXT NOT NULL,
    "stateHash" TEXT NOT NULL,
    "organizationId" TEXT NOT NULL,
    "serverId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "codeVerifierEnc" TEXT NOT NULL,
    "redirectUri" TEXT NOT NULL,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,
    "usedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "upstream_authorization_states_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "upstream_oauth_configs_organizationId_idx" ON "upstream_oauth_configs"("organizationId");

-- CreateIndex
CREATE INDEX "upstream_connections_organizationId_idx" ON "upstream_connections"("organizationId");

-- CreateIndex
CREATE INDEX "upstream_connections_userId_idx" ON "upstream_connections"("userId");

-- CreateIndex
CREATE UNIQUE INDEX "upstream_connections_serverId_subject_key" ON "upstream_connections"("serverId", "subject");

-- CreateIndex
CREATE UNIQUE INDEX "upstream_authorization_states_stateHash_key" ON "upstream_authorization_states"("stateHash");

-- CreateIndex
CREATE INDEX "upstream_authorization_states_serverId_idx" ON "upstream_authorization_states"("serverId");

-- AddForeignKey
ALTER TABLE "upstream_oauth_configs" ADD CONSTRAINT "upstream_oauth_configs_serverId_fkey" FOREIGN KEY ("serverId") REFERENCES "mcp_servers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "upstream_connections" ADD CONSTRAINT "upstream_connections_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "upstream_connections" ADD CONSTRAINT "upstream_connections_serverId_fkey" FOREIGN KEY ("serverId") REFERENCES "mcp_servers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "upstream_connections" ADD CONSTRAINT "upstream_connections_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
