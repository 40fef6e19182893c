import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { buildSchema, getVariableValues, Kind, type OperationDefinitionNode } from 'graphql';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { operation, operationFiles } from '../../lib/client/operations';
import { createLogger } from '../../lib/logger';
import { eventually } from '../../lib/testing/eventually';
import {
  checkOut,
  newListing,
  newSeller,
  payByTestCard,
  signUp,
  totpCode,
  turnOnTwoFactor,
  TEST_PASSWORD,
  type TestUser,
} from '../../lib/testing/marketplace';
import { ROOT } from '../../schema/subgraphs';
import { seedDemo } from '../../scripts/seed';
import { startTestStack, type TestStack } from '../../scripts/test-stack';
import { allExamples } from '../playground/src/examples';

/**
 * The GraphiQL playground as a developer uses it, in a real headless Chromium: the router serves it
 * at GET /graphql, it loads nothing from any other host, its tabs open with example variables made for
 * the demo data, and the sign-in bar logs in (with a two-factor code when asked), signs every request,
 * renews its token and logs out. Runs only where a Chromium is installed (see jest.config.js).
 */
const ARTIFACTS = join(ROOT, 'test-artifacts');
// GraphiQL names each Monaco model after its editor
const QUERY_EDITOR = '.monaco-editor[data-uri$="-operation.graphql"]';
const VARIABLES_EDITOR = '.monaco-editor[data-uri$="-variables.json"]';
const HEADERS_EDITOR = '.monaco-editor[data-uri$="-request-headers.json"]';
const RESPONSE = '.monaco-editor[data-uri$="-response.json"]';
const RUN = '.graphiql-execute-button';
const BAR = '.session-bar';
const DEMO_BUYER = { email: 'buyer@demo.market', password: 'demo-password', displayName: 'Demo Buyer' };

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

/** A GraphQL request the page sent over HTTP, and the answer it got. */
interface Exchange {
  operationName?: string;
  variables?: Record<string, unknown>;
  authorization?: string;
  answer?: { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };
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
const exchanges: Exchange[] = [];

// building the bundle, starting every service and seeding the demo data take a while on a busy machine
beforeAll(async () => {
  const build = promisify(execFile)(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'build-playground.ts')], { cwd: ROOT });
  [stack] = await Promise.all([startTestStack(), build]);
  // the demo data `npm start` gives a fresh stack: the examples and the bar are made for it
  await seedDemo(stack, createLogger());
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
  page.on('response', (response) => {
    const request = response.request();
    if (request.method() !== 'POST' || new URL(request.url()).pathname !== '/graphql') return;
    const { operationName, variables } = JSON.parse(request.postData() ?? '{}') as Exchange;
    const exchange: Exchange = { operationName, variables, authorization: request.headers().authorization };
    exchanges.push(exchange);
    response.json().then(
      (answer: Exchange['answer']) => (exchange.answer = answer),
      () => undefined,
    );
  });
  // WebSockets do not pass through request interception; the protocol still tells where they go
  const cdp = await page.createCDPSession();
  await cdp.send('Network.enable');
  cdp.on('Network.webSocketCreated', ({ url }) => sockets.push(url));
  cdp.on('Network.webSocketFrameSent', ({ response }) => sentFrames.push(response.payloadData));
}, 180_000);

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

const barText = () => page.$eval(BAR, (bar) => (bar as unknown as PageElement).textContent ?? '');

async function waitForBar(wanted: string, timeout = 10_000) {
  await page
    .waitForFunction(
      (bar, text) => (globalThis as unknown as PageGlobals).document.querySelector(bar)?.textContent?.includes(text),
      { timeout },
      BAR,
      wanted,
    )
    .catch(async (error: unknown) => {
      throw new Error(`"${wanted}" never showed in the sign-in bar; it shows:\n${await barText()}\n${String(error)}`);
    });
}

/** Replaces an editor's contents the way a developer does: click, select all, paste. */
async function paste(selector: string, text: string) {
  // on the first line, past the line numbers: the lines element is as wide as the longest line and scrolls
  // with the text, so its middle (or its corner) may lie under another pane
  await page.click(selector, { offset: { x: 90, y: 12 } });
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

/** Runs the operation of the editor and returns the exchange it made, once answered. */
async function run(name: string): Promise<Exchange> {
  const before = exchanges.length;
  await page.click(RUN);
  return eventually(async () => {
    const exchange = exchanges.slice(before).find((e) => e.operationName === name && e.answer);
    if (!exchange) throw new Error(`${name} was not answered`);
    return exchange;
  });
}

/** Types into the sign-in bar's field, replacing what it holds. */
async function fill(name: string, value: string) {
  const field = `${BAR} input[name="${name}"]`;
  await page.click(field, { count: 3 });
  await page.keyboard.press('Backspace');
  await page.type(field, value);
}

async function logInWithBar(email: string, password: string) {
  await fill('email', email);
  await fill('password', password);
  await page.click(`${BAR} button[type="submit"]`);
}

const lastOf = (name: string) => exchanges.filter((e) => e.operationName === name).at(-1);

/** Seconds between a JWT's iat and exp. */
function lifeOf(token: string): number {
  const { iat, exp } = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { iat: number; exp: number };
  return exp - iat;
}

test('GET /graphql in a browser opens GraphiQL, from the router alone: a public search first, then the example operations in tabs', async () => {
  const response = await page.goto(stack.routerUrl, { waitUntil: 'load' });
  expect(response?.status()).toBe(200);
  expect(response?.headers()['content-type']).toMatch(/^text\/html/);
  expect(await page.title()).toBe('Marketplace GraphQL playground');
  await page.waitForSelector(`${QUERY_EDITOR} .view-lines`);
  await page.waitForSelector(RESPONSE);

  // the first tab holds SearchListings alone; then one tab per file of schema/operations, titled by its first operation
  const firstOperations = operationFiles().map(
    ({ document }) => document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!,
  );
  const titles = ['SearchListings', ...firstOperations.map((op) => op.name?.value)];
  await page.waitForFunction(
    (count) => (globalThis as unknown as PageGlobals).document.querySelectorAll('.graphiql-tab-button').length === count,
    {},
    titles.length,
  );
  expect(await page.$$eval('.graphiql-tab-button', (tabs) => tabs.map((t) => t.textContent))).toEqual(titles);
  await waitForText(QUERY_EDITOR, 'query SearchListings(');
  await waitForText(VARIABLES_EDITOR, '"query": "wireless"');
  await waitForBar('Not signed in');

  // no Authorization header to begin with: the headers editor is empty
  await page.click('.graphiql-editor-tools button[data-name="headers"]');
  await page.waitForSelector(`${HEADERS_EDITOR} .view-lines`, { visible: true });
  expect((await textOf(HEADERS_EDITOR)).trim()).toBe('');
  await page.click('.graphiql-editor-tools button[data-name="variables"]');

  // every tab opens with the example variables of the operation it selects first
  const examples = allExamples({});
  const search = operationFiles()
    .flatMap(({ document }) => document.definitions)
    .find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION && d.name?.value === 'SearchListings')!;
  for (const [index, op] of [search, ...firstOperations].entries()) {
    await page.click(`#graphiql-session-tab-${index}`);
    const keys = Object.keys(examples[op.name!.value] ?? {});
    // the editor draws the lines in view only: the first variable tells which example it holds
    await page
      .waitForFunction(
        (lines, wanted) => {
          const text = (globalThis as unknown as PageGlobals).document.querySelector(lines)?.innerText.replace(/\u00a0/g, ' ') ?? '';
          return wanted ? text.includes(`"${wanted}"`) : text.trim() === '';
        },
        { timeout: 5_000 },
        `${VARIABLES_EDITOR} .view-lines`,
        keys[0] ?? '',
      )
      .catch(async (error: unknown) => {
        const shown = await textOf(VARIABLES_EDITOR);
        throw new Error(`tab ${index} (${op.name?.value}) should show variables ${keys.join(', ') || 'none'}; it shows:\n${shown}\n${String(error)}`);
      });
    for (const variable of op.variableDefinitions ?? []) {
      // a required variable without a default has an example
      if (variable.type.kind === Kind.NON_NULL_TYPE && !variable.defaultValue) expect(keys).toContain(variable.variable.name.value);
    }
  }
  await page.click('#graphiql-session-tab-0');
  await waitForText(VARIABLES_EDITOR, '"query": "wireless"');

  // the schema came through introspection: the documentation explorer lists the root types
  await page.click('.graphiql-sidebar button[aria-label="Show Documentation Explorer"]');
  await page.waitForSelector('.graphiql-doc-explorer ::-p-text(Subscription)');
  await page.click('.graphiql-sidebar button[aria-label="Hide Documentation Explorer"]');
});

test('every example fits its operation: known variables only, of the right types', () => {
  const schema = buildSchema(readFileSync(join(ROOT, 'schema', 'api.graphql'), 'utf8'));
  const operations = new Map(
    operationFiles().flatMap(({ document }) =>
      document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION).map((d) => [d.name!.value, d] as const),
    ),
  );
  const examples = allExamples({ listingId: 'a-listing', sellerId: 'a-seller' });
  // an operation that cannot run without variables has an example
  const wanting = [...operations.values()].filter((op) => op.variableDefinitions?.some((v) => v.type.kind === Kind.NON_NULL_TYPE && !v.defaultValue));
  expect(wanting.map((op) => op.name!.value).filter((name) => !examples[name])).toEqual([]);
  for (const [name, variables] of Object.entries(examples)) {
    const definition = operations.get(name);
    expect({ name, known: Boolean(definition) }).toEqual({ name, known: true });
    const defined = (definition!.variableDefinitions ?? []).map((v) => v.variable.name.value);
    expect({ name, unknown: Object.keys(variables).filter((key) => !defined.includes(key)) }).toEqual({ name, unknown: [] });
    const coerced = getVariableValues(schema, definition!.variableDefinitions ?? [], variables);
    expect({ name, errors: 'errors' in coerced ? coerced.errors?.map((e) => e.message) : [] }).toEqual({ name, errors: [] });
  }
});

test('the first run, with no sign-in, searches the demo catalogue', async () => {
  const search = await run('SearchListings');
  expect(search.authorization).toBeUndefined();
  expect(search.answer?.errors).toBeUndefined();
  const listings = search.answer?.data?.listings as { totalCount: number; edges: { node: { title: string } }[] };
  expect(listings.totalCount).toBeGreaterThan(0);
  for (const { node } of listings.edges) expect(node.title).toMatch(/wireless/i);
  await waitForText(RESPONSE, '"totalCount"');
  expect(await textOf(RESPONSE)).not.toContain('"errors"');

  // another operation brings its own example variables (none here) in place of the search's
  await enterOperation('Categories');
  await page.waitForFunction(
    (lines) => (globalThis as unknown as PageGlobals).document.querySelector(lines)?.innerText.trim() === '',
    {},
    `${VARIABLES_EDITOR} .view-lines`,
  );
  await page.click(RUN);
  await waitForText(RESPONSE, '"slug": "electronics"');
  expect(await textOf(RESPONSE)).not.toContain('"errors"');
});

test('logging in with the bar, as a demo account, signs every request (unless the headers editor has its own): me answers the demo buyer', async () => {
  await logInWithBar(DEMO_BUYER.email, DEMO_BUYER.password);
  await waitForBar(`Signed in as ${DEMO_BUYER.displayName}`);
  expect(lastOf('PlaygroundLogIn')?.variables).toEqual({ input: { email: DEMO_BUYER.email, password: DEMO_BUYER.password } });

  await enterOperation('Me');
  const me = await run('Me');
  expect(me.authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
  expect(me.answer).toEqual({ data: { me: expect.objectContaining({ email: DEMO_BUYER.email, displayName: DEMO_BUYER.displayName }) } });
  await waitForText(RESPONSE, `"email": "${DEMO_BUYER.email}"`);
  // what the bar says is what went: the token's end
  expect(await barText()).toContain(`Bearer …${me.authorization!.slice(-10)}`);
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, 'playground.png') });

  // an Authorization header typed into the headers editor wins over the bar's, as the bar says
  await page.click('.graphiql-editor-tools button[data-name="headers"]');
  await paste(HEADERS_EDITOR, JSON.stringify({ Authorization: `Bearer ${user.client.token}` }, null, 2));
  await waitForText(HEADERS_EDITOR, user.client.token!.slice(-16));
  const other = await run('Me');
  expect(other.authorization).toBe(`Bearer ${user.client.token}`);
  expect(other.answer).toEqual({ data: { me: expect.objectContaining({ id: user.userId }) } });
  await paste(HEADERS_EDITOR, '{}');
  await page.click('.graphiql-editor-tools button[data-name="variables"]');
  expect((await run('Me')).authorization).toBe(me.authorization);
});

test('a subscription runs over the same host with the token of the bar, and hears the order being paid', async () => {
  const { logIn } = await stack.client.ok<{ logIn: { token: string; user: { id: string } } }>('LogIn', {
    input: { email: DEMO_BUYER.email, password: DEMO_BUYER.password },
  });
  const buyer: TestUser = { client: stack.client.as(logIn.token), userId: logIn.user.id, email: DEMO_BUYER.email };
  const seller = await newSeller(stack.client, { shopName: 'Playground Prints' });
  const listing = await newListing(seller.client, { title: 'Playground poster' });
  const { orders, paymentId } = await checkOut(buyer, [listing]);
  const authorization = lastOf('Me')!.authorization;

  await enterOperation('OrderStatusChanged');
  await page.click(RUN);
  // subscribed: the run button turns into a stop button, and no error shows
  await page.waitForSelector(`${RUN}[aria-label^="Stop"]`);
  await eventually(async () => expect(sentFrames.map((f) => JSON.parse(f) as { type: string })).toContainEqual(expect.objectContaining({ type: 'subscribe' })));
  // the socket carries the token as connectionParams.authorization
  expect(sentFrames.map((f) => JSON.parse(f) as unknown)).toContainEqual({ type: 'connection_init', payload: { authorization } });
  await new Promise((resolve) => setTimeout(resolve, 500)); // let the subscription reach the orders subgraph
  expect(await textOf(RESPONSE)).not.toContain('"errors"');

  await payByTestCard(buyer, paymentId);
  await waitForText(RESPONSE, `"id": "${orders[0].id}"`);
  const event = await textOf(RESPONSE);
  expect(event).toContain('"previousStatus": "PENDING_PAYMENT"');
  expect(event).toContain('"status": "PAID"');
  expect(event).toContain('"shopName": "Playground Prints"');
  await page.screenshot({ path: join(ARTIFACTS, 'playground-subscription.png') });

  await page.click(RUN);
  await page.waitForSelector(`${RUN}[aria-label^="Execute"]`);
});

test('logging out ends the session: the router revokes it, requests go without a token, and me is null', async () => {
  const refreshToken = (lastOf('PlaygroundLogIn')!.answer!.data!.logIn as { refreshToken: string }).refreshToken;
  await page.click(`${BAR} ::-p-text(Log out)`);
  await waitForBar('Not signed in');
  await eventually(async () => expect(lastOf('PlaygroundLogOut')?.answer).toEqual({ data: { logOut: true } }));
  expect(lastOf('PlaygroundLogOut')!.variables).toEqual({ refreshToken });
  // the router no longer renews that session
  const again = await stack.client.op('RefreshSession', { refreshToken });
  expect(again.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

  await enterOperation('Me');
  const me = await run('Me');
  expect(me.authorization).toBeUndefined();
  expect(me.answer).toEqual({ data: { me: null } });
  await waitForText(RESPONSE, '"me": null');
});

test('an account with two-factor on is asked for a code, refused a wrong one, and gets in with a current one', async () => {
  const { secret } = await turnOnTwoFactor(user);
  await logInWithBar(user.email, TEST_PASSWORD);
  await waitForBar('enter the code from your authenticator app');
  await eventually(async () =>
    expect(lastOf('PlaygroundLogIn')!.answer?.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', twoFactorRequired: true }),
  );

  await fill('code', '000000');
  await page.click(`${BAR} button[type="submit"]`);
  await eventually(async () => {
    const attempt = lastOf('PlaygroundLogIn')!;
    expect(attempt.variables).toMatchObject({ input: { code: '000000' } });
    expect(attempt.answer?.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', twoFactorRequired: true });
  });
  await waitForBar('enter the code from your authenticator app');
  expect(await barText()).toContain('Not signed in');

  // the confirming code's time step is spent: the next one is accepted a step early
  await fill('code', await totpCode(secret, 1));
  await page.click(`${BAR} button[type="submit"]`);
  await waitForBar('Signed in as Playground Tester');
  expect(await barText()).toContain('two-factor on');

  await enterOperation('Me');
  const me = await run('Me');
  expect(me.answer).toEqual({ data: { me: expect.objectContaining({ id: user.userId, displayName: 'Playground Tester' }) } });
  await page.click(`${BAR} ::-p-text(Log out)`);
  await waitForBar('Not signed in');
});

test('the token is renewed before it expires, with the newest refresh token each time, and requests keep working', async () => {
  // renew a few seconds after each token is issued rather than a minute before it expires
  const lead = lifeOf(user.client.token!) - 3;
  await page.goto(`${stack.routerUrl}?refreshLeadSeconds=${lead}`, { waitUntil: 'load' });
  await page.waitForSelector(`${QUERY_EDITOR} .view-lines`);
  const renewalsBefore = exchanges.filter((e) => e.operationName === 'PlaygroundRefreshSession').length;
  await logInWithBar(DEMO_BUYER.email, DEMO_BUYER.password);
  await waitForBar(`Signed in as ${DEMO_BUYER.displayName}`);
  const logIn = await eventually(async () => lastOf('PlaygroundLogIn')!.answer!.data!.logIn as { token: string; refreshToken: string });

  const renewals = await eventually(
    async () => {
      const done = exchanges.filter((e) => e.operationName === 'PlaygroundRefreshSession' && e.answer).slice(renewalsBefore);
      expect(done.length).toBeGreaterThanOrEqual(2);
      return done;
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
  // each renewal spends the refresh token the one before brought (a spent one would end the session)
  const answers = renewals.map((r) => r.answer!.data!.refreshSession as { token: string; refreshToken: string });
  expect(renewals[0].variables).toEqual({ refreshToken: logIn.refreshToken });
  expect(renewals[1].variables).toEqual({ refreshToken: answers[0].refreshToken });
  for (const renewal of renewals) expect(renewal.answer!.errors).toBeUndefined();

  // requests carry a renewed token (renewals go on every few seconds), and it works
  const renewed = () =>
    exchanges
      .filter((e) => e.operationName === 'PlaygroundRefreshSession' && e.answer?.data)
      .map((e) => e.answer!.data!.refreshSession as { token: string; refreshToken: string });
  await enterOperation('Me');
  const me = await run('Me');
  expect(me.authorization).not.toBe(`Bearer ${logIn.token}`);
  expect(renewed().map((r) => `Bearer ${r.token}`)).toContain(me.authorization);
  expect(me.answer).toEqual({ data: { me: expect.objectContaining({ email: DEMO_BUYER.email }) } });
  // the bar shows the newest
  await eventually(async () => expect(await barText()).toContain(`Bearer …${renewed().at(-1)!.token.slice(-10)}`));

  // a new subscription opens its socket with a renewed token
  const framesBefore = sentFrames.length;
  await enterOperation('OrderStatusChanged');
  await page.click(RUN);
  await page.waitForSelector(`${RUN}[aria-label^="Stop"]`);
  const init = await eventually(async () => {
    const frame = sentFrames.slice(framesBefore).map((f) => JSON.parse(f) as { type: string; payload?: { authorization?: string } });
    const found = frame.find((f) => f.type === 'connection_init');
    expect(found).toBeDefined();
    return found!;
  });
  expect(init.payload!.authorization).not.toBe(`Bearer ${logIn.token}`);
  expect(renewed().map((r) => `Bearer ${r.token}`)).toContain(init.payload!.authorization);
  await page.click(RUN);
  await page.waitForSelector(`${RUN}[aria-label^="Execute"]`);
  await enterOperation('Me');

  // logging out revokes the newest refresh token, after a renewal under way if any
  await page.click(`${BAR} ::-p-text(Log out)`);
  await waitForBar('Not signed in');
  await eventually(async () => expect(lastOf('PlaygroundLogOut')?.variables).toEqual({ refreshToken: renewed().at(-1)!.refreshToken }));
  const renewalsAtLogOut = exchanges.filter((e) => e.operationName === 'PlaygroundRefreshSession').length;
  await new Promise((resolve) => setTimeout(resolve, 4_000));
  expect(exchanges.filter((e) => e.operationName === 'PlaygroundRefreshSession').length).toBe(renewalsAtLogOut);
  const afterLogOut = await run('Me');
  expect(afterLogOut.authorization).toBeUndefined();
  expect(afterLogOut.answer).toEqual({ data: { me: null } });
}, 90_000);

test('nothing was fetched from any other host, and the page raised no error', () => {
  expect(elsewhere).toEqual([]);
  expect(sockets.length).toBeGreaterThan(0);
  for (const url of sockets) expect(new URL(url).host).toBe(routerHost);
  expect(pageErrors).toEqual([]);
});
