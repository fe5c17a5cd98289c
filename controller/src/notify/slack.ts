/**
 * The Slack sink: an incoming-webhook message (https://api.slack.com/messaging/webhooks) with `text` for
 * notifications and clients without blocks, and blocks naming the rollout, the event, the reason, the metric that
 * failed (its value against its condition) and links to the dashboard and the runbook. The webhook URL is itself a
 * secret (it is the only credential): it comes from a Secret and is never logged.
 */
import type { NotificationChannelSpec } from '../api/types.ts';
import type { RolloutNotification } from './detect.ts';
import { rolloutPageURL, type OutgoingRequest } from './message.ts';

/** Slack's mrkdwn treats these three as control characters; everything else a user wrote stays as it is. */
export function slackEscape(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/**
 * Cuts text to at most `max` characters, the ellipsis included: Slack refuses a whole message (400 invalid_blocks,
 * never retried) whose header is over 150 characters or a section over 3,000, so one character over loses it.
 */
const cut = (text: string, max = 2900) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** Text in a code span: a backtick in it would close the span, so it is shown as a look-alike (U+02CB). */
const code = (text: string) => `\`${slackEscape(text).replaceAll('`', '\u02cb')}\``;

const icons: Record<string, string> = {
  Aborted: ':rotating_light:',
  AnalysisFailed: ':x:',
  Degraded: ':warning:',
  Paused: ':double_vertical_bar:',
  Promoted: ':white_check_mark:',
  StepCompleted: ':arrow_forward:',
};

export function slackMessage(n: RolloutNotification, channel: NotificationChannelSpec): Record<string, unknown> {
  const { namespace, name, revision } = n.rollout;
  const title = `${icons[n.event] ?? ''} Rollout ${namespace}/${name}: ${n.event}`.trim();
  const blocks: Record<string, unknown>[] = [
    { type: 'header', text: { type: 'plain_text', text: cut(title, 150) } },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Rollout*\n${slackEscape(`${namespace}/${name}`)}` },
        { type: 'mrkdwn', text: `*Revision*\n${slackEscape(revision)}` },
        { type: 'mrkdwn', text: `*Event*\n${n.event}` },
        { type: 'mrkdwn', text: `*Reason*\n${slackEscape(n.reason)}` },
      ],
    },
    { type: 'section', text: { type: 'mrkdwn', text: cut(slackEscape(n.message || n.reason)) } },
  ];
  if (n.failedMetric !== undefined) {
    const m = n.failedMetric;
    const against = m.condition === undefined ? '' : ` against ${code(m.condition)}`;
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: cut(`*Failed metric* ${code(m.name)}: ${slackEscape(m.value)}${against}`),
      },
    });
  }
  const links: string[] = [];
  if (channel.dashboardURL !== undefined)
    links.push(`<${rolloutPageURL(channel.dashboardURL, namespace, name)}|Dashboard>`);
  if (channel.runbookURL !== undefined) links.push(`<${channel.runbookURL}|Runbook>`);
  if (links.length > 0) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: links.join(' · ') }] });
  return { text: cut(slackEscape(`${title}: ${n.message || n.reason}`)), blocks };
}

export function slackRequest(
  n: RolloutNotification,
  channel: NotificationChannelSpec,
  webhookURL: string,
): OutgoingRequest {
  return {
    url: webhookURL,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(slackMessage(n, channel)),
  };
}
