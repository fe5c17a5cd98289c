import { describe, expect, it } from 'vitest';
import { aborted } from './fixtures.test-support.ts';
import { slackEscape, slackMessage, slackRequest } from './slack.ts';

const spec = {
  slack: { urlFrom: { name: 'slack', key: 'url' } },
  dashboardURL: 'https://sluice.example.com',
  runbookURL: 'https://wiki.example.com/rollouts',
};

describe('slackMessage', () => {
  it('names the rollout, the event, the reason, the failed metric against its condition, and links', () => {
    expect(slackMessage(aborted, spec)).toEqual({
      text: `:rotating_light: Rollout shop/checkout: Aborted: ${aborted.message}`,
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: ':rotating_light: Rollout shop/checkout: Aborted' } },
        {
          type: 'section',
          fields: [
            { type: 'mrkdwn', text: '*Rollout*\nshop/checkout' },
            { type: 'mrkdwn', text: '*Revision*\n7f6b5c4d2' },
            { type: 'mrkdwn', text: '*Event*\nAborted' },
            { type: 'mrkdwn', text: '*Reason*\nAborted' },
          ],
        },
        { type: 'section', text: { type: 'mrkdwn', text: aborted.message } },
        {
          type: 'section',
          text: { type: 'mrkdwn', text: '*Failed metric* `error-rate`: 0.31 against `failure when result &gt;= 0.1`' },
        },
        {
          type: 'context',
          elements: [
            {
              type: 'mrkdwn',
              text: '<https://sluice.example.com/#/rollouts/shop/checkout|Dashboard> · <https://wiki.example.com/rollouts|Runbook>',
            },
          ],
        },
      ],
    });
  });

  it('escapes what Slack reads as markup, so a message cannot ping @channel through <!channel>', () => {
    expect(slackEscape('a <!channel> & b>')).toBe('a &lt;!channel&gt; &amp; b&gt;');
    const msg = slackMessage({ ...aborted, message: '<!channel> look' }, spec);
    expect(JSON.stringify(msg)).not.toContain('<!channel>');
  });

  it('posts JSON to the URL from the Secret', () => {
    const req = slackRequest(aborted, spec, 'https://hooks.slack.com/services/T/B/x');
    expect(req.url).toBe('https://hooks.slack.com/services/T/B/x');
    expect(req.headers).toEqual({ 'Content-Type': 'application/json' });
    expect(JSON.parse(req.body)).toEqual(slackMessage(aborted, spec));
  });
});
