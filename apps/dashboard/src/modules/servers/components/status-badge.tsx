import { Badge } from '../../../components/badge';

export function ServerStatusBadge({ status }: { status: 'pending' | 'ok' | 'error' }) {
  if (status === 'ok') return <Badge tone="green">Connected</Badge>;
  if (status === 'error') return <Badge tone="red">Error</Badge>;
  return <Badge>Not synced</Badge>;
}
