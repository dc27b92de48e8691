// The web console end to end in headless Chromium (playwright-core + Debian's chromium): create a
// TRANSACTION topic from the page, leave a transaction open with the official client (its checker
// answers UNKNOWN), watch it appear as pending with its audit trail, commit it from the page through
// the confirm dialog, see it committed and consumed, and reset the group from its row to consume it
// again; every page is screenshotted into test-results/console/. Also: the page signs its API calls
// with the credentials of its sign-in form, and the JSON API answers bad input with a RocketMQ code
// and a message.
import { createHmac } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { Producer, SimpleConsumer, type MessageView } from 'rocketmq-client-nodejs';
import { TransactionResolution } from 'rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition_pb.js';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrowser, type TestBrowser } from '../../helpers/browser.js';
import { quietClientLogger, startTestBroker, uniqueName, waitFor, type TestBroker } from '../../helpers/broker.js';
import { protoMessage, rawClient } from '../../helpers/raw-client.js';

const SHOTS = new URL('../../../test-results/console/', import.meta.url).pathname;

let tb: TestBroker;
let browser: TestBrowser;
let base: string;
const clients: { shutdown(): Promise<void> }[] = [];

beforeAll(async () => {
  tb = await startTestBroker({ consoleSampleIntervalMs: 250 });
  base = `http://127.0.0.1:${tb.broker.adminPort}`;
  browser = await startBrowser();
  await mkdir(SHOTS, { recursive: true });
});
afterAll(async () => {
  for (const c of clients) await c.shutdown().catch(() => undefined);
  await browser?.close();
  await tb?.close();
});

async function open(path: string): Promise<Page> {
  const page = await browser.context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(`${base}/#/${path}`);
  // The page's own scripts must run without errors (CSP violations included).
  (page as Page & { errors: string[] }).errors = errors;
  return page;
}

const pageErrors = (page: Page): string[] => (page as Page & { errors: string[] }).errors;

async function confirm(page: Page, expected: RegExp): Promise<void> {
  const dialog = page.locator('dialog#confirm');
  await dialog.waitFor({ state: 'visible' });
  expect(await dialog.locator('#confirm-text').textContent()).toMatch(expected);
  await dialog.locator('#confirm-ok').click();
  await dialog.waitFor({ state: 'hidden' });
}

async function receiveOne(c: SimpleConsumer): Promise<MessageView> {
  for (let i = 0; i < 20; i++) {
    const [m] = await c.receive(1, 10_000);
    if (m) return m;
  }
  throw new Error('no message received');
}

describe('web console in Chromium', () => {
  it('creates a topic, shows an open transaction as pending, commits it after a confirmation; the consumer gets it', async () => {
    const topic = uniqueName('ConsoleTx');
    const group = uniqueName('ConsoleG');
    const key = uniqueName('order');

    // Create the topic from the page.
    const page = await open('topics');
    await page.fill('#create-topic input[name=name]', topic);
    await page.selectOption('#create-topic select[name=messageType]', 'TRANSACTION');
    await page.click('#create-topic button[type=submit]');
    await confirm(page, new RegExp(`Create TRANSACTION topic ${topic}`));
    const row = page.locator(`tr[data-topic="${topic}"]`);
    await row.waitFor();
    expect(await row.locator('td').nth(1).textContent()).toContain('TRANSACTION');
    expect((await tb.broker.services.topics.describe(topic)).topic.messageType).toBe('TRANSACTION');
    await page.screenshot({ path: `${SHOTS}topics.png`, fullPage: true });

    // A transaction left open: the producer's checker only ever answers UNKNOWN.
    const producer = new Producer({
      endpoints: tb.endpoint,
      namespace: '',
      topic,
      logger: quietClientLogger,
      checker: { check: async () => TransactionResolution.TRANSACTION_RESOLUTION_UNSPECIFIED },
    });
    await producer.startup();
    clients.push(producer);
    const consumer = new SimpleConsumer({
      endpoints: tb.endpoint,
      namespace: '',
      consumerGroup: group,
      subscriptions: new Map([[topic, '*']]),
      awaitDuration: 1000,
      logger: quietClientLogger,
    });
    await consumer.startup();
    clients.push(consumer);
    const tx = producer.beginTransaction();
    const receipt = await producer.send({ topic, body: Buffer.from(JSON.stringify({ order: key, amount: 42 })), keys: [key], tag: 'paid' }, tx);

    // It appears as pending, with its audit trail.
    await page.click('#nav a[href="#/transactions"]');
    await page.fill('#tx-filter input[name=topic]', topic);
    await page.click('#tx-filter button[type=submit]');
    const txRow = page.locator(`tr[data-transaction="${receipt.transactionId}"]`);
    await txRow.waitFor();
    expect(await txRow.locator('.state').textContent()).toBe('PENDING');
    expect(await txRow.textContent()).toContain(key);
    // The broker checks (1 s in tests) and the checker answers UNKNOWN: the trail shows the check.
    await waitFor(async () => (await txRow.locator('li[data-kind=check]').count()) > 0 || undefined, 15_000, 'a check in the audit trail');
    await txRow.locator('summary').click();
    // An opened trail stays open when the list is reloaded.
    await page.click('#tx-filter button[type=submit]');
    await txRow.locator('li[data-kind=received]').waitFor();
    expect(await txRow.locator('details').getAttribute('open')).not.toBeNull();
    expect(await txRow.locator('li[data-kind=received]').textContent()).toContain('half message received');
    await page.screenshot({ path: `${SHOTS}transactions.png`, fullPage: true });

    // Commit it from the page (confirmed); nothing decided before the confirmation.
    await txRow.locator('button[data-action=commit]').click();
    expect((await tb.broker.services.transactions.describe(receipt.transactionId)).half?.state).toBe('PENDING');
    await confirm(page, new RegExp(`Commit transaction ${receipt.transactionId} of topic ${topic}`));
    await txRow.waitFor({ state: 'detached' });
    const { decision } = await tb.broker.services.transactions.describe(receipt.transactionId);
    expect(decision).toMatchObject({ state: 'COMMITTED', source: 'ADMIN' });

    // The consumer gets the committed message.
    const m = await receiveOne(consumer);
    expect(m.messageId).toBe(receipt.messageId);
    expect(JSON.parse(m.body.toString())).toEqual({ order: key, amount: 42 });
    await consumer.ack(m);

    // The message page finds it by key: body as JSON, its transaction committed by ADMIN.
    await page.click('#nav a[href="#/messages"]');
    await page.fill('#message-lookup input[name=key]', key);
    await page.click('#message-lookup button[type=submit]');
    const card = page.locator(`[data-message="${receipt.messageId}"]`);
    await card.waitFor();
    expect(await card.locator('pre.body').getAttribute('data-format')).toBe('json');
    expect(await card.locator('pre.body').textContent()).toContain('"amount": 42');
    expect(await card.textContent()).toContain('decided by ADMIN');
    expect(await card.locator('li[data-kind=decided]').textContent()).toMatch(/committed by ADMIN \(resolved in the web console\)/);
    await page.screenshot({ path: `${SHOTS}messages.png`, fullPage: true });

    // The group shows the topic consumed (lag 0) and its consumer online.
    await page.click('#nav a[href="#/groups"]');
    const groupRow = page.locator(`tr[data-group="${group}"][data-topic="${topic}"]`);
    await groupRow.waitFor();
    await waitFor(async () => ((await groupRow.locator('td').nth(3).textContent()) === '0' ? true : undefined), 10_000, 'lag 0');
    expect(await groupRow.locator('td').nth(6).textContent()).toBe('1');
    await page.screenshot({ path: `${SHOTS}groups.png`, fullPage: true });
    // Reset the group to the earliest message from its row (confirmed): the message is due again.
    await groupRow.locator('button[data-action=prefill-reset]').click();
    expect(await page.inputValue('#reset-offset input[name=topic]')).toBe(topic);
    await page.fill('#reset-offset input[name=to]', 'earliest');
    await page.click('#reset-offset button[type=submit]');
    await confirm(page, new RegExp(`Move group ${group} in topic ${topic} to earliest`));
    await waitFor(async () => ((await groupRow.locator('td').nth(3).textContent()) === '1' ? true : undefined), 10_000, 'lag 1 after the reset');
    const again = await receiveOne(consumer);
    expect(again.messageId).toBe(receipt.messageId);
    await consumer.ack(again);

    // Clients: the producer and the consumer, with their Telemetry streams.
    await page.click('#nav a[href="#/clients"]');
    await page.locator('tr[data-client]').first().waitFor();
    const clientsText = await page.locator('main').textContent();
    expect(clientsText).toContain('PRODUCER');
    expect(clientsText).toContain(group);
    await page.screenshot({ path: `${SHOTS}clients.png`, fullPage: true });

    // Overview: the committed transaction counted, the chart drawn from the sampled rates.
    await page.click('#nav a[href="#/overview"]');
    await waitFor(async () => ((await page.locator('[data-card=committed] .value').textContent()) === '1' ? true : undefined), 10_000, 'committed 1');
    expect(await page.locator('[data-card=pending] .value').textContent()).toBe('0');
    expect(await page.locator('[data-card=brokers] .value').textContent()).toBe('1');
    await waitFor(
      async () => ((await (await fetch(`${base}/api/overview`)).json()) as { traffic: { rates: unknown[] } }).traffic.rates.length > 2 || undefined,
      10_000,
      'rate samples',
    );
    await page.reload();
    await page.locator('[data-card=topics]').waitFor();
    await page.screenshot({ path: `${SHOTS}overview.png`, fullPage: true });
    expect(pageErrors(page)).toEqual([]);
    await page.close();
  });

  it('asks for credentials on 401 and signs its calls with them (MQv2-HMAC-SHA1 over x-mq-date-time)', async () => {
    const page = await open('overview');
    await page.locator('[data-card=topics]').waitFor();
    await page.click('#sign-in');
    await page.fill('#login input[name=accessKey]', 'ops');
    await page.fill('#login input[name=secretKey]', 's3cret');
    const signed = page.waitForRequest((r) => r.url().includes('/api/') && r.headers().authorization !== undefined);
    await page.click('#login button[value=ok]');
    const headers = (await signed).headers();
    const dateTime = headers['x-mq-date-time']!;
    expect(dateTime).toMatch(/^\d{8}T\d{6}Z$/);
    const signature = createHmac('sha1', 's3cret').update(dateTime).digest('hex').toUpperCase();
    expect(headers.authorization).toBe(`MQv2-HMAC-SHA1 Credential=ops, SignedHeaders=x-mq-date-time, Signature=${signature}`);
    expect(await page.locator('#who').textContent()).toContain('signed in as ops');

    // A 401 opens the sign-in form; new credentials are used for the retried call.
    await page.route('**/api/**', async (route) => {
      if (route.request().headers().authorization?.includes('Credential=admin,')) return route.continue();
      await route.fulfill({ status: 401, contentType: 'application/json', body: JSON.stringify({ code: 40100, status: 'UNAUTHORIZED', message: 'sign in' }) });
    });
    const login = page.locator('dialog#login');
    await login.waitFor({ state: 'visible', timeout: 10_000 });
    // Cancelled: the next calls fail visibly instead of asking again...
    await page.click('#login button[value=cancel]');
    await login.waitFor({ state: 'hidden' });
    const refused = page.waitForResponse((r) => r.url().endsWith('/api/topics') && r.status() === 401);
    await page.click('#nav a[href="#/topics"]');
    await refused;
    await page.locator('.error-line').waitFor();
    expect(await page.locator('.error-line').textContent()).toBe('Could not load: sign in');
    expect(await login.isVisible()).toBe(false);
    // ...until the operator signs in again.
    await page.click('#who button');
    await page.click('#sign-in');
    await login.waitFor({ state: 'visible' });
    await page.fill('#login input[name=accessKey]', 'admin');
    await page.fill('#login input[name=secretKey]', 'other');
    const retried = page.waitForResponse(
      (r) => r.url().endsWith('/api/topics') && r.status() === 200 && (r.request().headers().authorization ?? '').includes('Credential=admin,'),
    );
    await page.click('#login button[value=ok]');
    await retried;
    expect(await page.locator('#who').textContent()).toContain('signed in as admin');
    expect(pageErrors(page).filter((e) => !e.includes('401'))).toEqual([]);
    await page.close();
  });
});

describe('web console JSON API', () => {
  const call = (method: string, path: string, body?: unknown, type = 'application/json') =>
    fetch(`${base}${path}`, { method, headers: body === undefined ? {} : { 'content-type': type }, body: body === undefined ? undefined : JSON.stringify(body) });

  it('serves the page and its assets without external references', async () => {
    const res = await fetch(`${base}/`);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await res.text();
    expect(html).toContain('/assets/app.js');
    expect(html).not.toMatch(/https?:\/\//);
    expect((await fetch(`${base}/assets/app.js`)).headers.get('content-type')).toMatch(/javascript/);
    expect((await fetch(`${base}/assets/nope.js`)).status).toBe(404);
  });

  it('answers bad input with the RocketMQ code and what to fix', async () => {
    const missing = await call('POST', '/api/topics', {});
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ status: 'BAD_REQUEST', message: 'field "name" is missing: pass it as a string in the JSON body' });
    const badType = await call('POST', '/api/topics', { name: 'x1', messageType: 'WEIRD' });
    expect(((await badType.json()) as { message: string }).message).toMatch(/message type "WEIRD" is unknown/);
    const notJson = await call('POST', '/api/topics', { name: 'x2' }, 'text/plain');
    expect(((await notJson.json()) as { message: string }).message).toBe('POST /api/topics needs content-type: application/json');
    const unknownTx = await call('POST', '/api/transactions/nope/commit', {});
    expect(await unknownTx.json()).toMatchObject({ status: 'INVALID_TRANSACTION_ID' });
    const wrongMethod = await call('DELETE', '/api/overview', {});
    expect(((await wrongMethod.json()) as { message: string }).message).toBe('DELETE is not allowed on /api/overview: use GET');
    const badAge = await fetch(`${base}/api/transactions?minAgeMs=soon`);
    expect(((await badAge.json()) as { message: string }).message).toMatch(/minAgeMs="soon" must be a whole number/);
    const noQuery = await fetch(`${base}/api/messages`);
    expect(((await noQuery.json()) as { message: string }).message).toMatch(/needs a message id or a key/);
    const unknownApi = await fetch(`${base}/api/nothing`);
    expect(unknownApi.status).toBe(404);
  });

  it('looks messages up by id: a binary body as hex, a half message with its pending transaction, then rolled back', async () => {
    const topic = uniqueName('ConsoleLookup');
    const txTopic = uniqueName('ConsoleLookupTx');
    await tb.broker.services.topics.create(topic, 'NORMAL');
    await tb.broker.services.topics.create(txTopic, 'TRANSACTION');
    const c = rawClient(tb.endpoint);
    const binary = protoMessage(topic, '');
    binary.body = Buffer.from([0, 1, 2, 0xff]);
    (binary.system_properties as Record<string, unknown>).keys = ['bin-key'];
    binary.user_properties = { origin: 'test' };
    const half = protoMessage(txTopic, 'half body', { type: 'TRANSACTION' });
    try {
      expect((await c.unary('SendMessage', { messages: [binary] })).status.code).toBe('OK');
      expect((await c.unary('SendMessage', { messages: [half] })).status.code).toBe('OK');
    } finally {
      c.close();
    }
    const binaryId = (binary.system_properties as { message_id: string }).message_id;
    const halfId = (half.system_properties as { message_id: string }).message_id;

    const found = (await (await fetch(`${base}/api/messages?id=${binaryId}`)).json()) as any;
    expect(found.messages).toHaveLength(1);
    expect(found.messages[0]).toMatchObject({
      topic,
      keys: ['bin-key'],
      properties: { origin: 'test' },
      body: { size: 4, format: 'hex', preview: '00 01 02 ff' },
      transaction: null,
      deliveries: [],
    });
    expect(found.rolledBack).toEqual([]);

    const pending = (await (await fetch(`${base}/api/messages?id=${halfId}`)).json()) as any;
    expect(pending.messages).toEqual([]);
    expect(pending.pending[0]).toMatchObject({ topic: txTopic, body: { format: 'text', preview: 'half body' }, transaction: { state: 'PENDING', transactionId: halfId } });

    const recheck = await call('POST', `/api/transactions/${halfId}/recheck`, {});
    expect(((await recheck.json()) as { message: string }).message).toMatch(/is PENDING, not ABANDONED/);
    expect(await (await call('POST', `/api/transactions/${halfId}/rollback`, {})).json()).toMatchObject({
      applied: true,
      transaction: { state: 'ROLLED_BACK', decidedBy: 'ADMIN' },
    });
    expect(await (await fetch(`${base}/api/transactions/${halfId}`)).json()).toMatchObject({ transaction: { state: 'ROLLED_BACK' }, message: null });
  });

  it('deletes a topic and resets a group offset', async () => {
    const topic = uniqueName('ConsoleDel');
    expect(await (await call('POST', '/api/topics', { name: topic })).json()).toMatchObject({ created: true, topic: { name: topic, messageType: 'NORMAL' } });
    const group = uniqueName('ConsoleReset');
    await tb.broker.services.groups.create(group, {}, { maxDeliveryAttempts: 16, startFrom: 'earliest' });
    const reset = await call('POST', `/api/groups/${group}/reset-offset`, { topic, to: 'latest' });
    expect(await reset.json()).toMatchObject({ resets: [{ queueId: 0, newOffset: 0 }] });
    expect(await (await call('DELETE', `/api/topics/${topic}`, {})).json()).toEqual({ deleted: topic });
    expect(await (await call('DELETE', `/api/topics/${topic}`, {})).json()).toMatchObject({ status: 'TOPIC_NOT_FOUND' });
  });
});
