// Runs once when a dashboard server starts: the approval-notification and audit export workers and the overview's rollups (Node.js runtime only;
// the edge runtime has no sockets for webhooks or SMTP).
export async function register(): Promise<void> {
  // eslint-disable-next-line no-restricted-properties -- NEXT_RUNTIME is set by Next itself, not configuration
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const { startDashboardTracing } = await import('./server/tracing');
  if (startDashboardTracing()) console.info('[otel] OpenTelemetry traces are exported over OTLP/HTTP');
  const { startNotifications } = await import('./modules/notifications/start-worker');
  startNotifications();
  const { startAuditExport } = await import('./modules/audit-export/start-worker');
  startAuditExport();
  const { startRollups } = await import('./modules/overview/start-worker');
  startRollups();
}
