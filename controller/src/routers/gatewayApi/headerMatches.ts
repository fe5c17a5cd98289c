/**
 * Header matches between Sluice's form (exact | prefix | regex) and the Gateway API's (`Exact` | `RegularExpression`).
 * The Gateway API has no prefix match, so a prefix is written as the regular expression `^<escaped prefix>.*`, and
 * read back as a prefix. A regex of the user's that has that very form would then read back as a prefix, and the
 * step would wait forever for the router to confirm a regex: such a regex is written inside `(?:...)`, which means
 * the same to every regex engine, and unwrapped when read. Writing is thus one-to-one, and reading its inverse.
 */
import type { HeaderMatch } from '../managedRoutes.ts';

/** A header match of an HTTPRoute or GRPCRoute rule's match (both kinds share this shape). */
export interface GatewayHeaderMatch {
  type?: string;
  name?: string;
  value?: string;
}

const special = /[\\^$.|?*+()[\]{}]/g;

export function escapeRegex(literal: string): string {
  return literal.replace(special, '\\$&');
}

/** The literal a regex `^<escaped>.*` stands for, or undefined when the regex has another form. */
function prefixOf(regex: string): string | undefined {
  if (!regex.startsWith('^') || !regex.endsWith('.*') || regex.length < 4) return undefined;
  const body = regex.slice(1, -2);
  let literal = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '\\') {
      const next = body[i + 1];
      if (next === undefined || !/[\\^$.|?*+()[\]{}]/.test(next)) return undefined;
      literal += next;
      i++;
    } else if (/[\\^$.|?*+()[\]{}]/.test(c)) return undefined;
    else literal += c;
  }
  return literal.length > 0 && escapeRegex(literal) === body ? literal : undefined;
}

/** True for the regexes that would read back as something else if written as they are. */
function needsWrapping(regex: string): boolean {
  if (prefixOf(regex) !== undefined) return true;
  return regex.startsWith('(?:') && regex.endsWith(')') && needsWrapping(regex.slice(3, -1));
}

export function toGatewayHeader(match: HeaderMatch): Required<GatewayHeaderMatch> {
  const name = match.headerName.toLowerCase();
  const { exact, prefix, regex } = match.headerValue;
  if (exact !== undefined) return { type: 'Exact', name, value: exact };
  if (prefix !== undefined) return { type: 'RegularExpression', name, value: `^${escapeRegex(prefix)}.*` };
  const r = regex ?? '';
  return { type: 'RegularExpression', name, value: needsWrapping(r) ? `(?:${r})` : r };
}

/** Sluice's form of a header match the router wrote, or undefined when it is not one Sluice can have written. */
export function fromGatewayHeader(header: GatewayHeaderMatch): HeaderMatch | undefined {
  const { name, value } = header;
  if (typeof name !== 'string' || typeof value !== 'string') return undefined;
  const headerName = name.toLowerCase();
  // The API server defaults an omitted type to Exact.
  const type = header.type ?? 'Exact';
  if (type === 'Exact') return { headerName, headerValue: { exact: value } };
  if (type !== 'RegularExpression') return undefined;
  const prefix = prefixOf(value);
  if (prefix !== undefined) return { headerName, headerValue: { prefix } };
  if (value.startsWith('(?:') && value.endsWith(')') && needsWrapping(value.slice(3, -1)))
    return { headerName, headerValue: { regex: value.slice(3, -1) } };
  return { headerName, headerValue: { regex: value } };
}
