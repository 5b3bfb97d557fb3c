// Syncing a server's tool list into the catalog: classification, definition hashes and pinning.
// Used by the gateway (first connect, upstream list_changed) and the dashboard ("Sync tools").
//
// Pinning: the tools of a server's first successful sync are trusted as they are (pinState
// approved, approvedHash = definitionHash), because the person who registered the server chose it
// and reviews the catalog then. A tool that appears in a later sync is `pending` (hidden and denied
// by the gateway) until someone approves it: a trusted server must not be able to add a new tool,
// say `delete_account`, behind the reviewer's back. Any later change to name, title, description,
// inputSchema, outputSchema or annotations moves an approved tool to `changed` (hidden and denied)
// until someone re-approves the new definition. Approval is bound to the definition hash the
// reviewer saw.
//
// Hashes written before title and outputSchema were pinned ("legacy": name, description,
// inputSchema, annotations) still count, but only together with the title and output schema the
// catalog row holds (what reviewers saw, since the row was written when the legacy hash was): an
// upgrade neither hides every approved tool nor lets a title the catalog never showed through.
// The first sync after the upgrade rewrites each row's hashes in the current form; an approved
// hash that no longer matches is then rebuilt from the approved definition alone (no title, no
// output schema), so a title changed before the upgrade cannot become approved later.
import type { Tool as McpTool } from '@modelcontextprotocol/sdk/types.js';
import { hashCanonical } from '@portcullis/crypto/canonical-json';
import type { Db } from '@portcullis/db/client';
import { notifyChange } from '@portcullis/db/events';
import { Prisma } from '@portcullis/db/types';
import { guardArguments } from '@portcullis/guardrails/scan';
import { classifyTool } from '@portcullis/policy/classify';

export interface ToolDefinition {
  name: string;
  title?: string | null;
  description?: string | null;
  inputSchema: unknown;
  outputSchema?: unknown;
  annotations?: unknown;
}

/**
 * SHA-256 of the canonical JSON of what an agent relies on: name, title, description, input and
 * output schema, annotations (which carry annotations.title).
 */
export function toolDefinitionHash(tool: ToolDefinition): string {
  return hashCanonical({
    name: tool.name,
    title: tool.title ?? null,
    description: tool.description ?? null,
    inputSchema: tool.inputSchema ?? null,
    outputSchema: tool.outputSchema ?? null,
    annotations: tool.annotations ?? null,
  });
}

/** The hash stored before title and outputSchema were pinned; compared only through definitionMatches. */
export function legacyToolDefinitionHash(tool: ToolDefinition): string {
  return hashCanonical({
    name: tool.name,
    description: tool.description ?? null,
    inputSchema: tool.inputSchema ?? null,
    annotations: tool.annotations ?? null,
  });
}

/** What the catalog row shows of a tool besides its hashed fields: the title and output schema reviewers saw. */
export interface StoredToolView {
  title: string | null;
  outputSchema: unknown;
}

/** The title as the catalog stores it (the top-level one, else annotations.title). */
function catalogTitle(tool: ToolDefinition): string | null {
  return tool.title ?? (tool.annotations as { title?: string } | null | undefined)?.title ?? null;
}

/**
 * Whether a live definition is the one a stored hash describes. A legacy hash does not cover
 * title and output schema, so those must then equal what the catalog row holds.
 */
export function definitionMatches(storedHash: string, stored: StoredToolView, live: ToolDefinition): boolean {
  if (storedHash === '') return false;
  if (storedHash === toolDefinitionHash(live)) return true;
  return (
    storedHash === legacyToolDefinitionHash(live) &&
    catalogTitle(live) === stored.title &&
    hashCanonical(live.outputSchema ?? null) === hashCanonical(stored.outputSchema ?? null)
  );
}

function definitionOf(tool: ToolDefinition): Prisma.InputJsonValue {
  return JSON.parse(
    JSON.stringify({
      name: tool.name,
      title: tool.title ?? null,
      description: tool.description ?? null,
      inputSchema: tool.inputSchema ?? null,
      outputSchema: tool.outputSchema ?? null,
      annotations: tool.annotations ?? null,
    }),
  ) as Prisma.InputJsonValue;
}

/** An approved hash in the current form: a legacy one is rebuilt from the approved definition (title and output schema as it recorded them, else none). */
function currentApprovedHash(approvedHash: string, approvedDefinition: unknown): string {
  if (approvedHash === '' || !approvedDefinition || typeof approvedDefinition !== 'object')
    return approvedHash;
  const definition = approvedDefinition as ToolDefinition;
  if (approvedHash === toolDefinitionHash(definition)) return approvedHash;
  return approvedHash === legacyToolDefinitionHash(definition)
    ? toolDefinitionHash(definition)
    : approvedHash;
}

export interface SyncResult {
  added: string[];
  changed: string[];
  removed: string[];
  unchanged: string[];
}

export interface SyncTarget {
  organizationId: string;
  serverId: string;
}

const INJECTION_ONLY = new Map([['injection', 'flag' as const]]);

/**
 * Where a definition's text reads like instructions to the model (title, description, the input and
 * output schemas' strings, annotations): the injection heuristic of @portcullis/guardrails. The
 * catalog shows it; the policy decides what to do about it.
 */
export function injectionFlags(tool: ToolDefinition): Array<{ where: string; count: number }> | null {
  const { findings } = guardArguments(
    {
      title: tool.title ?? null,
      description: tool.description ?? null,
      inputSchema: tool.inputSchema ?? null,
      outputSchema: tool.outputSchema ?? null,
      annotations: tool.annotations ?? null,
    },
    INJECTION_ONLY,
    {},
  );
  const flags = findings
    .filter((f) => f.detector === 'injection')
    .map((f) => ({ where: f.where, count: f.count }));
  return flags.length > 0 ? flags : null;
}

function json(value: unknown): Prisma.InputJsonValue | undefined {
  return value === undefined || value === null
    ? undefined
    : (JSON.parse(JSON.stringify(value)) as Prisma.InputJsonValue);
}

/** Upserts the server's tools from a fresh tools/list, marks missing ones absent, and notifies replicas. */
export async function syncServerTools(
  db: Db,
  target: SyncTarget,
  tools: readonly McpTool[],
  serverInfo?: unknown,
  /** The resource URIs the upstream lists (undefined: not read this time, kept as they were). */
  resourceUris?: readonly string[],
  /** The MCP era the upstream serves (packages/upstream/src/upstream-era.ts); undefined: not probed. */
  era?: { era: 'modern' | 'legacy'; versions: readonly string[] },
): Promise<SyncResult> {
  const result: SyncResult = { added: [], changed: [], removed: [], unchanged: [] };
  const seen = new Map<string, McpTool>();
  for (const tool of tools) if (!seen.has(tool.name)) seen.set(tool.name, tool);

  await db.$transaction(async (tx) => {
    // One sync of a server at a time (the gateway's on connect and the dashboard's can overlap):
    // otherwise both could read "no sync yet" and trust a tool only the later list had as part of
    // the first sync, and their inserts of the same tool would collide.
    await tx.$executeRaw`SELECT 1 FROM mcp_servers WHERE id = ${target.serverId} AND "organizationId" = ${target.organizationId} FOR UPDATE`;
    const server = await tx.mcpServer.findFirstOrThrow({
      where: { id: target.serverId, organizationId: target.organizationId },
      select: { lastSyncAt: true },
    });
    const firstSync = server.lastSyncAt === null;
    const existing = await tx.tool.findMany({
      where: { serverId: target.serverId, organizationId: target.organizationId },
    });
    const byName = new Map(existing.map((row) => [row.name, row]));

    for (const tool of seen.values()) {
      const hash = toolDefinitionHash(tool);
      const risk = classifyTool({
        name: tool.name,
        ...(tool.description === undefined ? {} : { description: tool.description }),
        inputSchema: tool.inputSchema,
        ...(tool.annotations === undefined ? {} : { annotations: tool.annotations }),
      });
      const flags = injectionFlags(tool);
      const live = {
        injectionFlags: flags ?? Prisma.DbNull,
        title: tool.title ?? tool.annotations?.title ?? null,
        description: tool.description ?? null,
        inputSchema: json(tool.inputSchema) ?? {},
        outputSchema: json(tool.outputSchema),
        annotations: json(tool.annotations),
        definitionHash: hash,
        riskCategory: risk.category,
        riskSeverity: risk.severity,
        riskWhy: risk.why,
        present: true,
      };
      const row = byName.get(tool.name);
      // Legacy hashes are judged against the row as it is now, before this sync overwrites it.
      const stored: StoredToolView = { title: row?.title ?? null, outputSchema: row?.outputSchema ?? null };
      if (!row) {
        await tx.tool.create({
          data: {
            ...live,
            organizationId: target.organizationId,
            serverId: target.serverId,
            name: tool.name,
            // Nothing is approved for a pending tool: no definition hashes to ''.
            ...(firstSync
              ? { approvedHash: hash, approvedDefinition: definitionOf(tool), pinState: 'approved' }
              : { approvedHash: '', pinState: 'pending' }),
          },
        });
        result.added.push(tool.name);
        continue;
      }
      // Back to the approved definition: trusted again. A tool never approved stays pending;
      // otherwise changed, unless a reviewer kept it blocked.
      const approvedNow = definitionMatches(row.approvedHash, stored, tool);
      const pinState = approvedNow
        ? 'approved'
        : row.pinState === 'blocked'
          ? 'blocked'
          : row.pinState === 'pending'
            ? 'pending'
            : 'changed';
      // Hashes are stored in the current form from here on (a legacy approved hash that matched
      // becomes this definition's hash; one that did not is rebuilt from the approved definition).
      const approved = approvedNow
        ? {
            approvedHash: hash,
            ...(row.approvedHash === hash ? {} : { approvedDefinition: definitionOf(tool) }),
          }
        : { approvedHash: currentApprovedHash(row.approvedHash, row.approvedDefinition) };
      const definitionChanged = !definitionMatches(row.definitionHash, stored, tool);
      if (definitionChanged) result.changed.push(tool.name);
      else if (!row.present) result.added.push(tool.name);
      else result.unchanged.push(tool.name);
      if (
        definitionChanged ||
        hash !== row.definitionHash ||
        approved.approvedHash !== row.approvedHash ||
        !row.present ||
        pinState !== row.pinState ||
        row.riskWhy !== risk.why ||
        hashCanonical(row.injectionFlags ?? null) !== hashCanonical(flags)
      ) {
        await tx.tool.update({ where: { id: row.id }, data: { ...live, ...approved, pinState } });
      }
    }
    for (const row of existing) {
      if (!seen.has(row.name) && row.present) {
        await tx.tool.update({ where: { id: row.id }, data: { present: false } });
        result.removed.push(row.name);
      }
    }
    await tx.mcpServer.update({
      where: { id: target.serverId },
      data: {
        lastSyncAt: new Date(),
        status: 'ok',
        statusMessage: null,
        ...(serverInfo === undefined ? {} : { serverInfo: json(serverInfo) ?? {} }),
        ...(resourceUris === undefined ? {} : { resourceUris: [...resourceUris] }),
        ...(era === undefined ? {} : { upstreamEra: era.era, upstreamVersions: [...era.versions] }),
      },
    });
  });
  await notifyChange(db, { type: 'tools', organizationId: target.organizationId, serverId: target.serverId });
  return result;
}

/** Records a failed sync on the server row so the dashboard can show it. */
export async function markSyncFailed(db: Db, target: SyncTarget, message: string): Promise<void> {
  await db.mcpServer.updateMany({
    where: { id: target.serverId, organizationId: target.organizationId },
    data: { status: 'error', statusMessage: message.slice(0, 500) },
  });
  await notifyChange(db, {
    type: 'server',
    organizationId: target.organizationId,
    serverId: target.serverId,
  });
}

export class DefinitionChangedError extends Error {
  constructor(toolName: string) {
    super(
      `The definition of ${toolName} changed again while you were reviewing it; review the new definition and approve that one`,
    );
    this.name = 'DefinitionChangedError';
  }
}

/**
 * A person reviewed a changed or new definition and trusts it: the live definition becomes the
 * approved one, but only if it is still the one they saw (`definitionHash`); otherwise
 * DefinitionChangedError, and nothing changes.
 */
export async function approveToolDefinition(
  db: Db,
  target: SyncTarget & { toolId: string; definitionHash: string },
): Promise<void> {
  const tool = await db.tool.findFirstOrThrow({
    where: { id: target.toolId, organizationId: target.organizationId, serverId: target.serverId },
  });
  if (tool.definitionHash !== target.definitionHash) throw new DefinitionChangedError(tool.name);
  // Conditional on the hash again: a sync between the read above and this write must not be approved unseen.
  const { count } = await db.tool.updateMany({
    where: { id: tool.id, definitionHash: target.definitionHash },
    data: {
      pinState: 'approved',
      approvedHash: tool.definitionHash,
      approvedDefinition: definitionOf({
        name: tool.name,
        title: tool.title,
        description: tool.description,
        inputSchema: tool.inputSchema,
        outputSchema: tool.outputSchema,
        annotations: tool.annotations,
      }),
    },
  });
  if (count === 0) throw new DefinitionChangedError(tool.name);
  await notifyChange(db, { type: 'tools', organizationId: target.organizationId, serverId: target.serverId });
}

/** A person reviewed the change and does not trust it: the tool stays hidden and denied, even if the definition changes again. */
export async function keepToolBlocked(db: Db, target: SyncTarget & { toolId: string }): Promise<void> {
  await db.tool.updateMany({
    where: { id: target.toolId, organizationId: target.organizationId, serverId: target.serverId },
    data: { pinState: 'blocked' },
  });
  await notifyChange(db, { type: 'tools', organizationId: target.organizationId, serverId: target.serverId });
}
