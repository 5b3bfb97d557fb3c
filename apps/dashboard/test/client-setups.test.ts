// The grant page's client setups: OAuth first (the URL alone); the token setups never carry the token
// itself, only each client's secret mechanism (VS Code password input, ${env:…}, ${VAR}).
import { describe, expect, it } from 'vitest';
import { oauthSetups, tokenEnvName, tokenSetups } from '../src/modules/grants/client-setups.ts';

const URL = 'https://gw.example.test/mcp/srv1';

describe('client setups', () => {
  it('offers the OAuth way with only the URL', () => {
    const setups = oauthSetups('Twikit', URL);
    expect(setups.map((s) => s.title)).toEqual([
      'Claude Code',
      'Cursor (.cursor/mcp.json)',
      'VS Code (.vscode/mcp.json)',
    ]);
    expect(setups[0]!.text).toBe(`claude mcp add --transport http twikit ${URL}`);
    expect(JSON.parse(setups[1]!.text)).toEqual({ mcpServers: { twikit: { url: URL } } });
    expect(JSON.parse(setups[2]!.text)).toEqual({ servers: { twikit: { type: 'http', url: URL } } });
    for (const s of setups) expect(s.text).not.toMatch(/Bearer|pcg_/);
  });

  it('reads the token from a secret in every header-based setup', () => {
    expect(tokenEnvName('My Server')).toBe('PORTCULLIS_MY_SERVER_TOKEN');
    const [claude, cursor, vscode] = tokenSetups('Twikit', URL).map((s) => JSON.parse(s.text));
    expect(claude.mcpServers.twikit.headers.Authorization).toBe('Bearer ${PORTCULLIS_TWIKIT_TOKEN}');
    expect(cursor.mcpServers.twikit.headers.Authorization).toBe('Bearer ${env:PORTCULLIS_TWIKIT_TOKEN}');
    expect(vscode.inputs).toEqual([
      {
        type: 'promptString',
        id: 'twikit-grant-token',
        description: 'Portcullis grant token for Twikit',
        password: true,
      },
    ]);
    expect(vscode.servers.twikit.headers.Authorization).toBe('Bearer ${input:twikit-grant-token}');
    for (const s of tokenSetups('Twikit', URL)) expect(s.text).not.toContain('pcg_');
  });
});
