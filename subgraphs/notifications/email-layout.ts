import type { Content } from './templates';

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Links in plain text become links in HTML (only http(s), escaped). */
const linkify = (escaped: string) => escaped.replace(/https?:\/\/[^\s<]+/g, (url) => `<a href="${url}">${url}</a>`);

export interface EmailParts {
  subject: string;
  text: string;
  html: string;
}

/**
 * The one layout of every email, in text and HTML: the greeting, the notification's words, a link to
 * the marketplace, and, where the kind can be turned off, how to stop receiving it.
 */
export function renderEmail(content: Content, options: { name: string; appUrl: string; unsubscribeUrl: string | null }): EmailParts {
  const footer = options.unsubscribeUrl
    ? `You receive this because of your notification preferences. Unsubscribe: ${options.unsubscribeUrl}`
    : 'You receive this because it concerns your account or your money.';
  const text = [`Hello ${options.name},`, '', content.body, '', options.appUrl, '', '-- ', footer].join('\n');
  const paragraphs = content.body.split('\n').map((line) => `<p>${linkify(escapeHtml(line))}</p>`);
  const html = [
    '<!doctype html><html><body style="font-family: sans-serif; max-width: 36em">',
    `<h1 style="font-size: 1.2em">${escapeHtml(content.title)}</h1>`,
    `<p>Hello ${escapeHtml(options.name)},</p>`,
    ...paragraphs,
    `<p><a href="${escapeHtml(options.appUrl)}">Open the marketplace</a></p>`,
    `<hr><p style="color: #666; font-size: 0.85em">${linkify(escapeHtml(footer))}</p>`,
    '</body></html>',
  ].join('\n');
  return { subject: content.title, text, html };
}
