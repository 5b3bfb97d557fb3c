import { upstreamClientMetadataDocument } from '../../../modules/upstream-oauth/client-document';

export const dynamic = 'force-dynamic';

export function GET(): Response {
  return new Response(JSON.stringify(upstreamClientMetadataDocument()), {
    headers: {
      'content-type': 'application/json',
      'cache-control': 'public, max-age=300',
      'access-control-allow-origin': '*',
    },
  });
}
