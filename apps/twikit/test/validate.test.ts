import { describe, expect, it } from 'vitest';
import { findCatalogTool } from '../src/catalog.ts';
import { validateArguments } from '../src/validate.ts';

const schemaOf = (name: string) => {
  const tool = findCatalogTool(name);
  if (!tool) throw new Error(`no tool ${name}`);
  return tool.inputSchema;
};

describe('validateArguments', () => {
  it('fills defaults, including null defaults', () => {
    expect(
      validateArguments('get_user_followers', schemaOf('get_user_followers'), { screen_name: 'alice' }),
    ).toEqual({
      ok: true,
      value: { screen_name: 'alice', user_id: null, count: 20, cursor: null },
    });
  });

  it('accepts each member of a type array', () => {
    const schema = schemaOf('get_tweet');
    expect(validateArguments('get_tweet', schema, { tweet_id: 12 }).ok).toBe(true);
    expect(validateArguments('get_tweet', schema, { tweet_id: '12' }).ok).toBe(true);
    const bad = validateArguments('get_tweet', schema, { tweet_id: 1.5 });
    expect(bad).toMatchObject({
      ok: false,
      message: 'Invalid arguments for get_tweet: "tweet_id" must be integer or string, got number',
    });
    expect(validateArguments('send_tweet', schemaOf('send_tweet'), { text: 'x', reply_to: null }).ok).toBe(
      true,
    );
  });

  it('names missing, mistyped and unknown arguments', () => {
    expect(validateArguments('send_tweet', schemaOf('send_tweet'), {})).toMatchObject({
      ok: false,
      message: 'Invalid arguments for send_tweet: "text" is required',
    });
    expect(validateArguments('get_timeline', schemaOf('get_timeline'), { count: '5' })).toMatchObject({
      ok: false,
      message: 'Invalid arguments for get_timeline: "count" must be integer, got string',
    });
    expect(
      validateArguments('send_tweet', schemaOf('send_tweet'), { text: 'x', poll_uri: 'card://1' }),
    ).toMatchObject({
      ok: false,
      message:
        'Invalid arguments for send_tweet: "poll_uri" is not an accepted argument (accepted: text, reply_to)',
    });
    expect(validateArguments('xchat_status', schemaOf('xchat_status'), { verbose: true })).toMatchObject({
      ok: false,
      message: 'Invalid arguments for xchat_status: "verbose" is not an accepted argument (accepted: none)',
    });
  });

  it('checks array items', () => {
    expect(
      validateArguments('create_poll', schemaOf('create_poll'), { choices: ['a', 2], duration_minutes: 5 }),
    ).toMatchObject({
      ok: false,
      message: 'Invalid arguments for create_poll: "choices[1]" must be string, got integer',
    });
    expect(
      validateArguments('create_scheduled_tweet', schemaOf('create_scheduled_tweet'), {
        scheduled_at: 1,
        media_ids: [1, '2'],
      }).ok,
    ).toBe(true);
  });
});
