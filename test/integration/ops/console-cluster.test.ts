// The web console against a cluster: two brokers on one throwaway PostgreSQL. Broker a's console
// (in headless Chromium) lists both brokers; a topic created through b's console API and a half
// message sent to b (raw gRPC, no producer online to check it) appear in a's console, where the
// transaction is rolled back through the confirm dialog; b sees the decision.
import { mkdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrowser, type TestBrowser } from '../../helpers/browser.js';
import { startTestBroker, uniqueName, waitFor, type TestBroker } from '../../helpers/broker.js';
import { send } from '../../helpers/cluster.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';
import { rawClient } from '../../helpers/raw-client.js';

const SHOTS = new URL('../../../test-results/console/', import.meta.url).pathname;

let pg: TestPostgres;
let a: TestBroker;
let b: TestBroker;
let browser: TestBrowser;

beforeAll(async () => {
  pg = await startPostgres();
  const store = `${await pg.createDatabase('console')}?schema=cluster`;
  const shared = { store, brokerHeartbeatIntervalMs: 200, brokerTtlMs: 2000, consoleSampleIntervalMs: 250 };
  a = await startTestBroker({ ...shared, brokerId: 'broker-a' });
  b = await startTestBroker({ ...shared, brokerId: 'broker-b' });
  browser = await startBrowser();
  await mkdir(SHOTS, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
  await b?.close();
  await a?.close();
  await pg?.stop();
});

const api = (tb: TestBroker, path: string, method = 'GET', body?: unknown) =>
  fetch(`http://127.0.0.1:${tb.broker.adminPort}/api/${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  }).then((r) => r.json() as Promise<any>);

describe('web console on a PostgreSQL cluster', () => {
  it("shows every broker and the cluster's transactions, and decides one made on another broker", async () => {
    const topic = uniqueName('ClusterTx');
    expect(await api(b, 'topics', 'POST', { name: topic, messageType: 'TRANSACTION' })).toMatchObject({ created: true });
    const c = rawClient(b.endpoint);
    const messageId = `0102${Date.now().toString(16).toUpperCase().padStart(28, '0')}`;
    try {
      expect(await send(c, topic, 'from b', {}, { type: 'TRANSACTION', messageId })).toBe('OK');
    } finally {
      c.close();
    }

    const page = await browser.context.newPage();
    await page.goto(`http://127.0.0.1:${a.broker.adminPort}/#/overview`);
    await waitFor(async () => ((await page.locator('[data-card=brokers] .value').textContent()) === '2' ? true : undefined), 15_000, 'two brokers');
    const brokers = await page.locator('main table').textContent();
    expect(brokers).toContain('broker-a');
    expect(brokers).toContain('broker-b');
    expect(await page.locator('main').textContent()).toContain('totals of the whole cluster');
    expect(await page.locator('[data-card=pending] .value').textContent()).toBe('1');
    await page.screenshot({ path: `${SHOTS}cluster-overview.png`, fullPage: true });

    await page.click('#nav a[href="#/topics"]');
    await page.locator(`tr[data-topic="${topic}"]`).waitFor();

    await page.click('#nav a[href="#/transactions"]');
    const row = page.locator(`tr[data-transaction="${messageId}"]`);
    await row.waitFor();
    expect(await row.locator('.state').textContent()).toBe('PENDING');
    await row.locator('button[data-action=rollback]').click();
    const dialog = page.locator('dialog#confirm');
    await dialog.waitFor({ state: 'visible' });
    expect(await dialog.locator('#confirm-text').textContent()).toContain(`Roll back transaction ${messageId}`);
    await dialog.locator('#confirm-ok').click();
    await row.waitFor({ state: 'detached' });
    await page.close();

    // Broker b reads the decision a made from the shared store.
    expect(await api(b, `transactions/${messageId}`)).toMatchObject({ transaction: { state: 'ROLLED_BACK', decidedBy: 'ADMIN' } });
  });
});
