import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { Kind } from 'graphql';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { operation, operationFiles } from '../../lib/client/operations';
import { eventually } from '../../lib/testing/eventually';
import { checkOut, newListing, newSeller, payByTestCard, signUp, type TestUser } from '../../lib/testing/marketplace';
import { ROOT } from '../../schema/subgraphs';
import { startTestStack, type TestStack } from '../../scripts/test-stack';

/**
 * The GraphiQL playground as a developer uses it, in a real headless Chromium: the router serves it
 * at GET /graphql, it loads nothing from any other host, and queries and subscriptions run with the
 * token typed into its headers editor. Runs only where a Chromium is installed (see jest.config.js).
 */
const ARTIFACTS = join(ROOT, 'test-artifacts');
// GraphiQL names each Monaco model after its editor
const QUERY_EDITOR = '.monaco-editor[data-uri$="-operation.graphql"]';
const HEADERS_EDITOR = '.monaco-editor[data-uri$="-request-headers.json"]';
const RESPONSE = '.monaco-editor[data-uri$="-response.json"]';
const RUN = '.graphiql-execute-button';

/** The few browser globals the page functions below use (this file is type-checked without the DOM library). */
interface PageElement {
  innerText: string;
  textContent: string | null;
  dispatchEvent(event: unknown): boolean;
}
interface PageGlobals {
  document: { activeElement: PageElement | null; querySelector(selector: string): PageElement | null; querySelectorAll(selector: string): { length: number } };
  DataTransfer: new () => { setData(format: string, data: string): void };
  ClipboardEvent: new (type: string, init: { clipboardData: unknown; bubbles: boolean; cancelable: boolean }) => unknown;
}

function chromiumBinary(): string {
  if (process.env.CHROME_PATH) return process.env.CHROME_PATH;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const name of ['chromium', 'chromium-browser']) {
      if (existsSync(join(dir, name))) return join(dir, name);
    }
  }
  throw new Error('no Chromium: install chromium or set CHROME_PATH');
}

let stack: TestStack;
let browser: Browser;
let page: Page;
let user: TestUser;
let routerHost: string;
/** Requests the page tried to send anywhere but the router: aborted, and there must be none. */
const elsewhere: string[] = [];
const sockets: string[] = [];
/** graphql-ws messages the page sent (their JSON text). */
const sentFrames: string[] = [];
const pageErrors: string[] = [];

beforeAll(async () => {
  const build = promisify(execFile)(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'build-playground.ts')], { cwd: ROOT });
  [stack] = await Promise.all([startTestStack(), build]);
  routerHost = new URL(stack.routerUrl).host;
  user = await signUp(stack.client, 'Playground Tester');
  browser = await puppeteer.launch({
    executablePath: chromiumBinary(),
    headless: true,
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'],
  });
  page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 900 });
  page.on('pageerror', (error) => pageErrors.push(String(error)));
  await page.setRequestInterception(true);
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (/^(https?|wss?):$/.test(url.protocol) && url.host !== routerHost) {
      elsewhere.push(request.url());
      void request.abort('blockedbyclient');
    } else {
      void request.continue();
    }
  });
  // WebSockets do not pass through request interception; the protocol still tells where they go
  const cdp = await page.createCDPSession();
  await cdp.send('Network.enable');
  cdp.on('Network.webSocketCreated', ({ url }) => sockets.push(url));
  cdp.on('Network.webSocketFrameSent', ({ response }) => sentFrames.push(response.payloadData));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const textOf = (selector: string) =>
  page.$eval(`${selector} .view-lines`, (lines) => (lines as unknown as PageElement).innerText.replace(/\u00a0/g, ' '));

async function waitForText(selector: string, wanted: string, timeout = 10_000) {
  await page
    .waitForFunction(
      (lines, text) => (globalThis as unknown as PageGlobals).document.querySelector(lines)?.innerText.replace(/\u00a0/g, ' ').includes(text),
      { timeout },
      `${selector} .view-lines`,
      wanted,
    )
    .catch(async (error: unknown) => {
      throw new Error(`"${wanted}" never showed in ${selector}; it shows:\n${await textOf(selector)}\n${String(error)}`);
    });
}

/** Replaces an editor's contents the way a developer does: click, select all, paste. */
async function paste(selector: string, text: string) {
  await page.click(`${selector} .view-lines`);
  await page.keyboard.down('Control');
  await page.keyboard.press('KeyA');
  await page.keyboard.up('Control');
  await page.keyboard.press('Backspace');
  // a paste, not typing: the editor would auto-close brackets and indent typed text
  await page.evaluate((content) => {
    const { document, DataTransfer, ClipboardEvent } = globalThis as unknown as PageGlobals;
    const clipboardData = new DataTransfer();
    clipboardData.setData('text/plain', content);
    document.activeElement!.dispatchEvent(new ClipboardEvent('paste', { clipboardData, bubbles: true, cancelable: true }));
  }, text);
}

/** Puts one operation into the operation editor and waits until GraphiQL has taken it in. */
async function enterOperation(name: string) {
  await paste(QUERY_EDITOR, operation(name));
  // the active tab is titled after the operation GraphiQL will send
  await page.waitForFunction(
    (title) => {
      const { document } = globalThis as unknown as PageGlobals;
      return document.querySelector('.graphiql-tab-active .graphiql-tab-button')?.textContent === title && !document.querySelector('.graphiql-execute-button[aria-haspopup]');
    },
    {},
    name,
  );
}

test('GET /graphql in a browser opens GraphiQL, from the router alone, with the example operations in tabs', async () => {
  const response = await page.goto(stack.routerUrl, { waitUntil: 'load' });
  expect(response?.status()).toBe(200);
  expect(response?.headers()['content-type']).toMatch(/^text\/html/);
  expect(await page.title()).toBe('Marketplace GraphQL playground');
  await page.waitForSelector(`${QUERY_EDITOR} .view-lines`);
  await page.waitForSelector(RESPONSE);

  // one tab per file of schema/operations, titled by its first operation, the headers editor hinting at the token
  const firstOperations = operationFiles().map(({ document }) => {
    const first = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
    return first?.kind === Kind.OPERATION_DEFINITION ? first.name?.value : undefined;
  });
  await page.waitForFunction((count) => (globalThis as unknown as PageGlobals).document.querySelectorAll('.graphiql-tab-button').length === count, {}, firstOperations.length);
  expect(await page.$$eval('.graphiql-tab-button', (tabs) => tabs.map((t) => t.textContent))).toEqual(firstOperations);
  await waitForText(QUERY_EDITOR, 'mutation SignUp(');
  await waitForText(HEADERS_EDITOR, '"Authorization": "Bearer <token from logIn or signUp>"');

  // the schema came through introspection: the documentation explorer lists the root types
  await page.click('.graphiql-sidebar button[aria-label="Show Documentation Explorer"]');
  await page.waitForSelector('.graphiql-doc-explorer ::-p-text(Subscription)');
  await page.click('.graphiql-sidebar button[aria-label="Hide Documentation Explorer"]');
});

test('a query that needs no token runs while the headers editor still holds the hint', async () => {
  await enterOperation('Categories');
  await page.click(RUN);
  await waitForText(RESPONSE, '"slug": "electronics"');
  expect(await textOf(RESPONSE)).not.toContain('"errors"');
});

test('the token set in the headers editor goes with queries', async () => {
  await paste(HEADERS_EDITOR, JSON.stringify({ Authorization: `Bearer ${user.client.token}` }, null, 2));
  await waitForText(HEADERS_EDITOR, user.client.token!.slice(-16));
  await enterOperation('Me');
  await page.click(RUN);
  await waitForText(RESPONSE, `"id": "${user.userId}"`);
  const result = await textOf(RESPONSE);
  expect(result).toContain('"displayName": "Playground Tester"');
  expect(result).not.toContain('"errors"');
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, 'playground.png') });
});

test('a subscription runs over the same host with the token of the headers editor, and hears the order being paid', async () => {
  const seller = await newSeller(stack.client, { shopName: 'Playground Prints' });
  const listing = await newListing(seller.client, { title: 'Playground poster' });
  const { orders, paymentId } = await checkOut(user, [listing]);

  await enterOperation('OrderStatusChanged');
  await page.click(RUN);
  // subscribed: the run button turns into a stop button, and no error shows
  await page.waitForSelector(`${RUN}[aria-label^="Stop"]`);
  await eventually(async () => expect(sentFrames.map((f) => JSON.parse(f) as { type: string })).toContainEqual(expect.objectContaining({ type: 'subscribe' })));
  // the socket carries the token as connectionParams.authorization
  expect(sentFrames.map((f) => JSON.parse(f) as unknown)).toContainEqual({ type: 'connection_init', payload: { authorization: `Bearer ${user.client.token}` } });
  await new Promise((resolve) => setTimeout(resolve, 500)); // let the subscription reach the orders subgraph
  expect(await textOf(RESPONSE)).not.toContain('"errors"');

  await payByTestCard(user, paymentId);
  await waitForText(RESPONSE, `"id": "${orders[0].id}"`);
  const event = await textOf(RESPONSE);
  expect(event).toContain('"previousStatus": "PENDING_PAYMENT"');
  expect(event).toContain('"status": "PAID"');
  expect(event).toContain('"shopName": "Playground Prints"');
  await page.screenshot({ path: join(ARTIFACTS, 'playground-subscription.png') });

  await page.click(RUN);
  await page.waitForSelector(`${RUN}[aria-label^="Execute"]`);
});

test('nothing was fetched from any other host, and the page raised no error', () => {
  expect(elsewhere).toEqual([]);
  expect(sockets.length).toBeGreaterThan(0);
  for (const url of sockets) expect(new URL(url).host).toBe(routerHost);
  expect(pageErrors).toEqual([]);
});
