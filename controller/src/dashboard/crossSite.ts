/**
 * Protection against cross-site requests for the action endpoints. Three layers, each enough on its own against
 * a forged form or fetch from another site:
 * - credentials only in the Authorization header: no cookie, so a browser never attaches them by itself, and a
 *   cross-origin request that sets the header needs a CORS preflight, which this server never approves (it sends
 *   no Access-Control-Allow-* header at all);
 * - Fetch Metadata: when the browser says where the request comes from (Sec-Fetch-Site), only same-origin passes;
 * - Origin: when a browser sends Origin without Sec-Fetch-Site (older browsers), its host must be the Host the
 *   request was sent to.
 * Clients that are not browsers (curl, scripts) send neither header and rely on the token alone.
 */

export type CrossSiteVerdict = { ok: true } | { ok: false; reason: string };

export interface RequestHeaders {
  host?: string | undefined;
  origin?: string | undefined;
  'sec-fetch-site'?: string | undefined;
}

export function checkSameOrigin(headers: RequestHeaders): CrossSiteVerdict {
  const site = headers['sec-fetch-site'];
  if (site !== undefined) {
    return site === 'same-origin'
      ? { ok: true }
      : { ok: false, reason: `the request came from another site (Sec-Fetch-Site: ${site})` };
  }
  const origin = headers.origin;
  if (origin === undefined) return { ok: true };
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    return { ok: false, reason: `the request's Origin is not a URL (${origin.slice(0, 100)})` };
  }
  if (headers.host !== undefined && originHost === headers.host) return { ok: true };
  return { ok: false, reason: `the request came from ${origin}, not from this dashboard` };
}

/** The token from `Authorization: Bearer <token>`, or undefined. */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const match = /^Bearer[ ]+([^\s]+)\s*$/i.exec(authorization);
  return match?.[1];
}
