// Client setups shown once a grant is created. OAuth first: the client gets only the URL and runs
// the MCP authorization flow against the dashboard (docs/oauth.md). The token setups keep the token
// out of config files that get committed: each uses its client's own secret mechanism. A toolset
// grant's setups are a server grant's, with the toolset's name and URL (`/mcp/<toolsetId>`).
import { clientServerName } from './client-setup';

export interface ClientSetup {
  title: string;
  text: string;
  copyLabel: string;
}

export function oauthSetups(targetName: string, proxyUrl: string): ClientSetup[] {
  const name = clientServerName(targetName);
  return [
    {
      title: 'Claude Code',
      text: `claude mcp add --transport http ${name} ${proxyUrl}`,
      copyLabel: 'Copy Claude Code OAuth command',
    },
    {
      title: 'Cursor (.cursor/mcp.json)',
      text: JSON.stringify({ mcpServers: { [name]: { url: proxyUrl } } }, null, 2),
      copyLabel: 'Copy Cursor OAuth config',
    },
    {
      title: 'VS Code (.vscode/mcp.json)',
      text: JSON.stringify({ servers: { [name]: { type: 'http', url: proxyUrl } } }, null, 2),
      copyLabel: 'Copy VS Code OAuth config',
    },
  ];
}

/** The environment variable the token setups read the token from, e.g. PORTCULLIS_TWIKIT_TOKEN. */
export function tokenEnvName(targetName: string): string {
  return `PORTCULLIS_${clientServerName(targetName).toUpperCase().replace(/-/g, '_')}_TOKEN`;
}

export function tokenSetups(targetName: string, proxyUrl: string): ClientSetup[] {
  const name = clientServerName(targetName);
  const envName = tokenEnvName(targetName);
  const inputId = `${name}-grant-token`;
  return [
    {
      // Claude Code expands ${VAR} in .mcp.json when it starts the server.
      title: `Claude Code (.mcp.json, token in $${envName})`,
      text: JSON.stringify(
        {
          mcpServers: {
            [name]: { type: 'http', url: proxyUrl, headers: { Authorization: `Bearer \${${envName}}` } },
          },
        },
        null,
        2,
      ),
      copyLabel: 'Copy Claude Code config',
    },
    {
      title: `Cursor (.cursor/mcp.json, token in $${envName})`,
      text: JSON.stringify(
        {
          mcpServers: { [name]: { url: proxyUrl, headers: { Authorization: `Bearer \${env:${envName}}` } } },
        },
        null,
        2,
      ),
      copyLabel: 'Copy Cursor config',
    },
    {
      // VS Code asks once and keeps the answer in its secret storage.
      title: 'VS Code (.vscode/mcp.json, asks for the token)',
      text: JSON.stringify(
        {
          inputs: [
            {
              type: 'promptString',
              id: inputId,
              description: `Portcullis grant token for ${targetName}`,
              password: true,
            },
          ],
          servers: {
            [name]: {
              type: 'http',
              url: proxyUrl,
              headers: { Authorization: `Bearer \${input:${inputId}}` },
            },
          },
        },
        null,
        2,
      ),
      copyLabel: 'Copy VS Code config',
    },
  ];
}
