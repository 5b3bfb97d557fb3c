// Prometheus text exposition, written by hand: a few counters, gauges and one histogram are all
// the gateway needs, and a dependency would cost more than these lines.

const LATENCY_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labels(pairs: Record<string, string>): string {
  const parts = Object.entries(pairs).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

class Histogram {
  readonly counts = new Array<number>(LATENCY_BUCKETS_S.length).fill(0);
  sum = 0;
  count = 0;
  observe(seconds: number): void {
    for (let i = 0; i < LATENCY_BUCKETS_S.length; i++)
      if (seconds <= LATENCY_BUCKETS_S[i]!) this.counts[i]! += 1;
    this.sum += seconds;
    this.count += 1;
  }
}

export class GatewayMetrics {
  private readonly calls = new Map<string, number>();
  private readonly latency = new Map<string, Histogram>();
  private readonly upstreamErrors = new Map<string, number>();
  approvalsPending = 0;
  sessions = 0;
  /** Idle sessions closed to make room for a new one of the same grant. */
  sessionsEvicted = 0;
  private readonly httpResponses = new Map<string, number>();
  private readonly featureRequests = new Map<string, number>();
  private readonly guardMatches = new Map<string, number>();

  /** `tool` must come from the catalog (bounded), never straight from a request. */
  recordCall(decision: string, tool: string, outcome: string, seconds: number): void {
    const key = `${decision}\u0000${tool}`;
    this.calls.set(key, (this.calls.get(key) ?? 0) + 1);
    let histogram = this.latency.get(outcome);
    if (!histogram) this.latency.set(outcome, (histogram = new Histogram()));
    histogram.observe(seconds);
  }

  /**
   * Content guard matches by detector, direction and action. Tenant patterns count together as
   * `pattern` (their names are the tenants' own, unbounded across organizations).
   */
  recordGuard(detector: string, direction: string, action: string, matches: number): void {
    const label = detector.startsWith('pattern:') ? 'pattern' : detector;
    const key = `${label}\u0000${direction}\u0000${action}`;
    this.guardMatches.set(key, (this.guardMatches.get(key) ?? 0) + matches);
  }

  /** resources/read, prompts/get, completion/complete… by method (a fixed set) and decision. */
  recordFeatureRequest(method: string, decision: string): void {
    const key = `${method}\u0000${decision}`;
    this.featureRequests.set(key, (this.featureRequests.get(key) ?? 0) + 1);
  }

  recordUpstreamError(kind: 'timeout' | 'error' | 'connect' | 'crash'): void {
    this.upstreamErrors.set(kind, (this.upstreamErrors.get(kind) ?? 0) + 1);
  }

  recordHttp(status: number): void {
    const key = String(status);
    this.httpResponses.set(key, (this.httpResponses.get(key) ?? 0) + 1);
  }

  render(): string {
    const out: string[] = [];
    out.push('# HELP portcullis_gateway_tool_calls_total tools/call requests by decision and tool.');
    out.push('# TYPE portcullis_gateway_tool_calls_total counter');
    for (const [key, value] of this.calls) {
      const [decision, tool] = key.split('\u0000') as [string, string];
      out.push(`portcullis_gateway_tool_calls_total${labels({ decision, tool })} ${value}`);
    }
    out.push(
      '# HELP portcullis_gateway_tool_call_duration_seconds Time from receiving a tools/call to answering it, by upstream outcome.',
    );
    out.push('# TYPE portcullis_gateway_tool_call_duration_seconds histogram');
    for (const [outcome, h] of this.latency) {
      LATENCY_BUCKETS_S.forEach((le, i) =>
        out.push(
          `portcullis_gateway_tool_call_duration_seconds_bucket${labels({ outcome, le: String(le) })} ${h.counts[i]}`,
        ),
      );
      out.push(
        `portcullis_gateway_tool_call_duration_seconds_bucket${labels({ outcome, le: '+Inf' })} ${h.count}`,
      );
      out.push(`portcullis_gateway_tool_call_duration_seconds_sum${labels({ outcome })} ${h.sum}`);
      out.push(`portcullis_gateway_tool_call_duration_seconds_count${labels({ outcome })} ${h.count}`);
    }
    out.push(
      '# HELP portcullis_gateway_feature_requests_total Resource, prompt and completion requests by method and decision.',
    );
    out.push('# TYPE portcullis_gateway_feature_requests_total counter');
    for (const [key, value] of this.featureRequests) {
      const [method, decision] = key.split('\u0000') as [string, string];
      out.push(`portcullis_gateway_feature_requests_total${labels({ method, decision })} ${value}`);
    }
    out.push(
      '# HELP portcullis_gateway_guard_matches_total Content guard matches by detector, direction (arguments, results) and action.',
    );
    out.push('# TYPE portcullis_gateway_guard_matches_total counter');
    for (const [key, value] of this.guardMatches) {
      const [detector, direction, action] = key.split('\u0000') as [string, string, string];
      out.push(`portcullis_gateway_guard_matches_total${labels({ detector, direction, action })} ${value}`);
    }
    out.push(
      '# HELP portcullis_gateway_upstream_errors_total Upstream failures by kind (timeout, error, connect, crash).',
    );
    out.push('# TYPE portcullis_gateway_upstream_errors_total counter');
    for (const [kind, value] of this.upstreamErrors)
      out.push(`portcullis_gateway_upstream_errors_total${labels({ kind })} ${value}`);
    out.push(
      '# HELP portcullis_gateway_approvals_pending Calls on this process waiting for a person to approve them.',
    );
    out.push('# TYPE portcullis_gateway_approvals_pending gauge');
    out.push(`portcullis_gateway_approvals_pending ${this.approvalsPending}`);
    out.push('# HELP portcullis_gateway_sessions Open MCP sessions on this process.');
    out.push('# TYPE portcullis_gateway_sessions gauge');
    out.push(`portcullis_gateway_sessions ${this.sessions}`);
    out.push(
      '# HELP portcullis_gateway_sessions_evicted_total Idle sessions closed because their grant reached its session limit.',
    );
    out.push('# TYPE portcullis_gateway_sessions_evicted_total counter');
    out.push(`portcullis_gateway_sessions_evicted_total ${this.sessionsEvicted}`);
    out.push('# HELP portcullis_gateway_http_responses_total HTTP responses by status code.');
    out.push('# TYPE portcullis_gateway_http_responses_total counter');
    for (const [status, value] of this.httpResponses)
      out.push(`portcullis_gateway_http_responses_total${labels({ code: status })} ${value}`);
    return out.join('\n') + '\n';
  }
}
