// Writes docs/reliability.md from the figures the reliability suite left in test/reliability/.results/
// (one JSON file per test file). A section whose file is missing says so instead of inventing figures.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { resultsDir, root } from './support/results.ts';

type Json = Record<string, any>; // figures are free-form JSON

function load(name: string): Json | undefined {
  const file = path.join(resultsDir, `${name}.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Json) : undefined;
}

const table = (head: string[], rows: unknown[][]) =>
  [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map((c) => String(c ?? '').replace(/\|/g, '\\|')).join(' | ')} |`),
  ].join('\n');
const counts = (o: Record<string, number> | undefined) =>
  Object.entries(o ?? {})
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ') || '—';
const missing = (test: string) => `_No figures: ${test} did not run (or failed before writing them)._`;

function section(title: string, test: string, name: string, render: (r: Json) => string): string {
  const r = load(name);
  return `## ${title}\n\n\`test/reliability/${test}\`${r ? ` (recorded ${String(r.recordedAt).slice(0, 19).replace('T', ' ')} UTC)` : ''}\n\n${r ? render(r) : missing(test)}\n`;
}

const sections = [
  section(
    'Tenant isolation',
    'tenant-isolation.reliability.test.ts',
    'tenant-isolation',
    (
      r,
    ) => `Two organizations, A probing B: every REST route (the route table is read from disk, so a new route
without a probe fails the test), every organization page and its RSC payload, every server action, every
gateway URL. **${r.probes} probes, ${r.crossTenantReads} cross-tenant reads, ${r.crossTenantWrites} cross-tenant writes.**

${table(
  ['area', 'probes', 'reads', 'writes'],
  Object.entries(r.areas as Json).map(([k, v]) => [k, v.probes, v.reads, v.writes]),
)}
`,
  ),
  section(
    'Gateway bad input',
    'gateway-bad-input.reliability.test.ts',
    'gateway-bad-input',
    (
      r,
    ) => `${r.requests} generated malformed requests (seeded generator, ${r.concurrency} concurrent keep-alive connections)
against a gateway process in ${r.seconds} s (${r.perSecond}/s). Unexpected answers: **${r.unexpected}**. Crashed:
**${r.crashed ? 'yes' : 'no'}**; \`/healthz\` afterwards: ${r.healthAfter}. Memory after a full GC: RSS
${r.memoryBefore?.rssMb} MB before, ${r.memoryAfter?.rssMb} MB after; heap ${r.memoryBefore?.heapUsedMb} → ${r.memoryAfter?.heapUsedMb} MB.

${table(
  ['kind', 'requests', 'HTTP statuses', 'JSON-RPC error codes'],
  Object.entries(r.byKind as Json)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => [k, v.count, counts(v.statuses), counts(v.codes)]),
)}
`,
  ),
  section(
    'Crash: kill -9 under load',
    'crash.reliability.test.ts',
    'crash',
    (
      r,
    ) => `${r.agents} agents call a Twikit tool (stdio upstream, unique arguments per call, arguments audited in
full) through a gateway process that is killed with SIGKILL and restarted **${r.kills} times** at random
moments under load (${r.seconds} s in all). Then the Twikit call log and the audit table are matched call by call.

- Calls attempted ${r.callsAttempted}; succeeded for the agent ${r.callsOkForAgents}; failed (connection cut by a kill) ${r.callsFailedForAgents}.
- Upstream call log ${r.callLogLines} lines; audit rows ${r.auditRows} (outcomes: ${counts(r.auditOutcomes)}).
- **Calls in the call log without an audit event: ${r.missingAuditForLoggedCall}.**
- **Audit events claiming a result for a call that never ran: ${r.auditClaimsRunButNotInLog}.**
- Calls an agent saw succeed that are not in the call log: ${r.agentSawOkButNotInLog}; duplicate log lines: ${r.duplicateLogLines}.
- Rows left \`pending\` by a killed process: ${r.auditOutcomes?.pending ?? 0}, of which ${r.pendingRowsThatRan} did reach the upstream
  (the gateway died between forwarding and recording the outcome). \`pending\` means "sent, outcome not
  recorded": the audit row was durable before the call was forwarded, the outcome is what a kill loses.
  The dashboard's audit log shows a row still \`pending\` after 15 minutes as "unknown: sent upstream, the
  gateway stopped before recording the answer, so the call may have run" — never as a success.
- Restart to \`/readyz\` 200: p50 ${r.restartMsP50} ms, max ${r.restartMsMax} ms. Orphaned upstream processes afterwards: ${r.orphanedUpstreams}.
`,
  ),
  section(
    'Replicas',
    'replicas.reliability.test.ts',
    'replicas',
    (
      r,
    ) => `Two gateway processes; 200 concurrent calls from ${r.redis?.agents ?? '?'} agents spread over both, on a \`max: 30\` rule.

${table(
  ['counter store', 'calls', 'forwarded', 'rate limited', 'upstream call log', 'audit', 'ms'],
  ['redis', 'postgres']
    .filter((k) => r[k])
    .map((k) => [
      k,
      r[k].calls,
      r[k].outcomes.forwarded,
      r[k].outcomes.rate_limited,
      r[k].upstreamCallLog,
      counts(r[k].audit),
      r[k].ms,
    ]),
)}

Approval across replicas: a call held on ${r.approval?.heldOn}, decided through the ${r.approval?.decidedVia}, resumed
${r.approval?.resumeMs} ms after the decision; forwarded: ${r.approval?.forwarded}; audit: ${counts(r.approval?.audit)}.
`,
  ),
  section('Store outage', 'store-outage.reliability.test.ts', 'store-outage', (r) => {
    const row = (k: string) => {
      const x = r[k];
      return x
        ? [
            k,
            x.outageMs,
            x.calls,
            x.okWhileDown,
            counts(x.duringOutage),
            x.loggedButNotAudited,
            x.forwardedWithoutAllowDecision,
            x.refusedAfterAuthenticationNotAudited,
            `**${x.recoveryMs}**`,
            x.gatewayRestarted ? 'yes' : 'no',
          ]
        : [k, 'not run'];
    };
    const messages = (k: string) =>
      Object.entries((r[k]?.errorMessagesDuringOutage ?? {}) as Record<string, number>)
        .map(([m, n]) => `- ${k}: ${n} × "${m}"`)
        .join('\n');
    return `Four agents (two on a rate-limited tool, two on a plain one) call through a gateway while its store
is stopped (PostgreSQL: a throwaway embedded server the test owns; Redis: a redis-server child; the
machine's own servers are never touched) and started again. Recovery = from the store accepting
connections again to the first rate-limited call that succeeds, without restarting the gateway.

${table(['store', 'outage ms', 'calls', 'ok while down', 'during the outage', 'forwarded, not audited', 'forwarded without allow', 'refusals never audited', 'recovery ms', 'gateway restarted'], [row('postgres'), row('redis')])}

What agents were told during the outage:
${messages('postgres')}
${messages('redis')}

While PostgreSQL is down the gateway cannot look a grant up, so it answers 503 before it knows whose call
it is (like a 401, not audited: there is no tenant to file it under); refusals after authentication are
kept in memory and written when the database is back. While Redis is down, calls to tools without a rate
limit keep working and rate-limited ones are refused (audited in PostgreSQL).
`;
  }),
  section(
    'Upstream faults',
    'upstream-faults.reliability.test.ts',
    'upstream-faults',
    (
      r,
    ) => `Upstream timeout set to ${r.timeoutMs} ms; each fault ${r.repeat}×. Every call ends within the timeout (plus
a few ms) with a JSON-RPC error naming the problem, is audited with its outcome, and \`/healthz\` stays 200.

${table(
  ['transport', 'fault', 'ms', 'agent was told', 'audit outcome'],
  (r.calls as Json[]).map((c) => [c.transport, c.fault, c.ms, c.answer.slice(0, 110), c.audit]),
)}

Gateway RSS: stdio faults ${r.stdioRss?.beforeMb} → ${r.stdioRss?.afterMb} MB; HTTP faults ${r.httpRss?.beforeMb} → ${r.httpRss?.afterMb} MB. Metrics: ${(r.upstreamErrorMetrics as string[] | undefined)?.join('; ')}.
`,
  ),
  section(
    'Secrets',
    'secrets.reliability.test.ts',
    'secrets',
    (
      r,
    ) => `A user registers a stdio server with a secret env value and an HTTP server with a secret header through
the dashboard's own form actions, creates a grant and an API key, uses them all (token in header and in
URL, failing requests, a wrong password). Then:

- At rest: ${r.atRest?.tables} tables, ${r.atRest?.rowsSearched} rows searched as text → plaintext hits: **${(r.atRest?.plaintextHits ?? []).length}**.
  Env: ${r.atRest?.envStored}. Headers: ${r.atRest?.headersStored}. Grant token: ${r.atRest?.grantTokenStored}; API key: ${r.atRest?.apiKeyStored}; password: ${r.atRest?.passwordStored}.
- Logs of the whole run (${(r.logs?.files ?? []).join(', ')}; ${r.logs?.lines} lines, gateway at debug level) → hits: **${(r.logs?.hits ?? []).length}**.
- Sent to the browser: ${r.browser?.responses} responses (pages, RSC payloads, exports, REST), ${r.browser?.bytes} bytes → hits: **${(r.browser?.hits ?? []).length}**.
`,
  ),
  section(
    'Web',
    'web.reliability.test.ts',
    'web',
    (r) => `CSRF (state-changing requests that carry the victim's session cookie):

${table(
  ['request', 'status', 'state changed'],
  (r.csrf?.attempts ?? []).map((a: Json) => [a.request, a.status, a.changed ? '**yes**' : 'no']),
)}

Controls from the dashboard's own origin: server action worked: ${r.csrf?.controls?.sameOriginAction}; REST POST: ${r.csrf?.controls?.sameOriginRestStatus}.
(Next.js answers a server action from a foreign origin with 500 after refusing it; nothing runs.)

Session cookie: over HTTP \`${r.cookies?.http?.name}\` (${(r.cookies?.http?.attributes ?? []).join(', ')}); behind HTTPS
\`${r.cookies?.https?.name}\` (${(r.cookies?.https?.attributes ?? []).join(', ')}); SameSite=Lax: ${r.cookies?.https?.sameSiteLax}.

Brute force: per email, after ${r.bruteForce?.perEmail?.failures} failures the right password is ${r.bruteForce?.perEmail?.thenRightPassword}; per address, after
${r.bruteForce?.perAddress?.failures} failures a real user from that address is ${r.bruteForce?.perAddress?.thenRealUserSameAddress}, from another address
${r.bruteForce?.perAddress?.realUserOtherAddress}; a spoofed left X-Forwarded-For entry: ${r.bruteForce?.perAddress?.proxiedWithSpoofedLeftEntry}.

Security headers (missing: **${(r.headers?.missing ?? []).length}**):

${table(
  ['target', 'CSP', 'X-Frame-Options', 'nosniff', 'Referrer-Policy', 'Permissions-Policy', 'X-Powered-By'],
  Object.entries((r.headers?.targets ?? {}) as Json).map(([t, h]) => [
    t,
    h.csp ? 'set' : '**missing**',
    h.xFrameOptions,
    h.nosniff,
    h.referrerPolicy,
    h.permissionsPolicy,
    h.xPoweredBy ?? 'absent',
  ]),
)}

Gateway 401 answer: content type ${r.gatewayHeaders?.contentType}, nosniff ${r.gatewayHeaders?.nosniff ?? 'absent'}, X-Powered-By ${r.gatewayHeaders?.xPoweredBy ?? 'absent'}.
Open redirect: sign-in with callbackUrl ${r.openRedirect?.callbackUrl} went to ${r.openRedirect?.location}.
`,
  ),
  `## Security review findings (issue 14): attack, result, test

Each finding of the outside review was reproduced as a test that failed before its fix and passes
now; the suites run in \`npm test\` (reliability ones also write the figures above).

${table(
  ['finding', 'attack tried', 'result now', 'test'],
  [
    [
      'any account runs code on the host (stdio)',
      'register {"command":"node","args":["-e",…]} and sync; a legacy free-form row',
      'refused at registration and at launch; stdio only from operator templates, confined (own uid, limits, bwrap)',
      'test/reliability/stdio-confinement, packages/upstream/test/stdio-*, apps/dashboard/test/server-registration',
    ],
    [
      'host services read through a private URL',
      "register the gateway's /metrics, sync, read the error",
      'refused (private address); errors never quote an answer body',
      'test/reliability/stdio-confinement, apps/dashboard/test/server-registration',
    ],
    [
      'trailing arguments and env past the deny-list',
      '--log-file /any/path; TWIKIT_CALL_LOG, NODE_V8_COVERAGE, OPENSSL_CONF, HOME',
      'whole-argv and per-template env allow-lists',
      'packages/upstream/test/stdio-templates',
    ],
    [
      "one tenant's stdio servers take the host",
      'many servers of one organization with open sessions',
      'at most GATEWAY_MAX_STDIO_PER_ORGANIZATION processes per organization; others unaffected',
      'apps/gateway/test/stdio-fairness',
    ],
    [
      'rate limit escaped by cancelling',
      'tools/call then notifications/cancelled 3 ms later, 8 times against 3/min',
      'a sent call keeps its slot; audited cancelled / unknown, never timeout; at most 3 ran',
      'apps/gateway/test/cancellation',
    ],
    [
      "one NUL stalls every tenant's audit",
      'tool named "x\\u0000" while another tenant calls',
      'name refused (-32602) and audited; other tenant 100/100 audited; bad rows retried alone, then quarantined',
      'apps/gateway/test/hostile-names, audit-quarantine',
    ],
    [
      'pinning ignores title and outputSchema',
      'retitle an approved tool ("URGENT: ignore previous instructions…")',
      'tool held as changed until re-approved',
      'apps/gateway/test/title-pinning, packages/catalog tests',
    ],
    [
      'approved call runs after the policy changed',
      'approve, then save a deny policy or let the grant expire',
      're-checked before forwarding; refused',
      'apps/gateway/test/approval-recheck',
    ],
    [
      'revoked grant keeps its GET streams',
      'revoke while two replicas hold streams',
      'streams closed on every replica',
      'apps/gateway/test/grant-revocation',
    ],
    [
      'hidden tool answers unlike a missing one',
      'call a hidden and a missing tool',
      'same text and _meta',
      'apps/gateway/test/enforcement',
    ],
    [
      "API keys outlive their creator's membership or role",
      'creator leaves / is demoted, key still used',
      '401 naming why / acts with the lower role',
      'apps/dashboard/test/api-keys',
    ],
    [
      'viewers read full approval arguments',
      'viewer key on GET /api/v1/approvals',
      'null for viewers; cleared once decided',
      'apps/dashboard/test/approvals',
    ],
    [
      'CSV formula injection',
      'cells starting "  @SUM(", newline, ";"-separated',
      'neutralised with a leading apostrophe, all cells quoted',
      'apps/dashboard/test/audit',
    ],
    [
      'sign-up open to anyone, reveals addresses',
      'sign up with a taken address; lookalike domains; unverified OIDC link',
      'same page and timing; SIGNUP_MODE/SIGNUP_DOMAINS; verification required for invitations and SSO linking',
      'apps/dashboard/test/signup-*, email-verification',
    ],
    [
      'dashboard reachable from every interface',
      'npm start defaults',
      'binds 127.0.0.1 (PORTCULLIS_HOST to change)',
      'scripts/start.ts',
    ],
  ],
)}
`,
  section(
    'Stdio servers and private upstreams (security review, issue 14)',
    'stdio-confinement.reliability.test.ts',
    'stdio-confinement',
    (
      r,
    ) => `A fresh account attacks the host through the running product, as the review did with \`npm start\`:

- **${r.freeForm?.attack}**: registration ${r.freeForm?.registration}; sync of a legacy free-form row ${r.freeForm?.syncOfALegacyRow}; the code ran: **${r.freeForm?.ran ? 'yes' : 'no'}**.
- **${r.privateUrl?.attack}**: the sync error reads "${r.privateUrl?.result}" (no body of the answer).
- **A hostile server of an operator template** (its one tool reports what it can reach), started by a gateway
  process with \`STDIO_SANDBOX=auto\` as root: sandbox **${r.hostileTemplate?.sandbox ?? 'not run'}**, uid ${r.hostileTemplate?.uid}
  (the gateway runs as 0), environment ${(r.hostileTemplate?.env ?? []).join(', ')}, working directory
  \`${r.hostileTemplate?.cwd}\` holding ${JSON.stringify(r.hostileTemplate?.cwdEntries)}; reads: ${counts(r.hostileTemplate?.reads)};
  writes (as the process saw them): ${counts(r.hostileTemplate?.writes)}, files that reached the host: **${r.hostileTemplate?.filesWrittenOnTheHost}**;
  processes it can see: ${r.hostileTemplate?.processesVisible}, of which hold the gateway's secrets in a readable environment: **${r.hostileTemplate?.processesWithGatewaySecrets}**.
`,
  ),
];

writeFileSync(
  path.join(root, 'docs/reliability.md'),
  `# Reliability and security figures

Reproduce: \`npm run test:reliability\` (the \`reliability\` vitest project, also a tier of \`npm test\`), which
runs against real processes (the whole product started by \`scripts/start.ts\` on free ports, gateway
processes it kills, embedded PostgreSQL and redis-server children it stops) and rewrites this file.
Scale knobs: \`RELIABILITY_MALFORMED\`, \`RELIABILITY_KILLS\`, \`RELIABILITY_OUTAGE_MS\` (defaults are the documented run).
Machine: 2 vCPUs, Node 20, PostgreSQL 15 on loopback. Generated ${new Date().toISOString().slice(0, 10)}.

${sections.join('\n')}`,
);
console.log('wrote docs/reliability.md');
