import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import type { RouteHandler } from '../../lib/server/subgraph-server';
import type { AccountSecurity } from './account-security';
import { LINKS } from './one-time-links';

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function page(res: ServerResponse, status: number, heading: string, more = ''): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
  res.end(
    `<!doctype html><html><head><meta name="viewport" content="width=device-width"><title>${escapeHtml(heading)}</title></head>` +
      `<body style="font-family: sans-serif; max-width: 30em; margin: 2em auto"><h1>${escapeHtml(heading)}</h1>${more}</body></html>`,
  );
}

async function formOf(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/** What a person is told when the link or the form was refused: the error's own words when it is theirs. */
const refusal = (error: unknown) => (error instanceof AppError ? error.message : 'Something went wrong; try again later');

/**
 * The pages the emailed links open (any client can also call verifyEmail and resetPassword itself).
 * Opening a link changes nothing, as mail scanners open links: a button, or the new password's
 * form, posts the change.
 */
export function accountPages(security: AccountSecurity, logger: Logger): Record<string, RouteHandler> {
  const token = (req: IncomingMessage) => new URL(req.url ?? '/', 'http://localhost').searchParams.get('token') ?? '';
  return {
    [LINKS['verify-email'].path]: async (req, res) => {
      if (req.method !== 'POST') return page(res, 200, 'Verify your email address', '<form method="post"><button type="submit">Verify</button></form>');
      try {
        await security.verifyEmail(token(req));
        return page(res, 200, 'Your email address is verified');
      } catch (error) {
        if (!(error instanceof AppError)) logger.error('email verification failed', { error });
        return page(res, 400, refusal(error));
      }
    },
    [LINKS['reset-password'].path]: async (req, res) => {
      const form = (message = '') =>
        `${message ? `<p role="alert">${escapeHtml(message)}</p>` : ''}<form method="post">` +
        '<p><label>New password <input name="password" type="password" minlength="8" maxlength="256" required autocomplete="new-password"></label></p>' +
        '<p><label>Code from your authenticator app (if two-factor is on) <input name="code" autocomplete="one-time-code"></label></p>' +
        '<button type="submit">Set the new password</button></form>';
      if (req.method !== 'POST') return page(res, 200, 'Choose a new password', form());
      const fields = await formOf(req);
      try {
        await security.resetPassword(token(req), fields.get('password') ?? '', fields.get('code') || null);
        return page(res, 200, 'Your password is changed', '<p>Every other session has ended. Log in with the new password.</p>');
      } catch (error) {
        if (!(error instanceof AppError)) logger.error('password reset failed', { error });
        return page(res, 400, 'Choose a new password', form(refusal(error)));
      }
    },
  };
}
