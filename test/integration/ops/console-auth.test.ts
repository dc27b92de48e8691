// The web console against a broker started with --auth, in headless Chromium: the page itself
// loads without credentials, its first API call is refused (401) and opens the sign-in dialog; a
// super user's access key and secret then sign every call (the broker checks the MQv2 signature
// for real) and the page shows the broker's data; a wrong secret stays refused, and a user that is
// not a super user is refused with FORBIDDEN.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrowser, type TestBrowser } from '../../helpers/browser.js';
import { startTestBroker, uniqueName, type TestBroker } from '../../helpers/broker.js';

let tb: TestBroker;
let browser: TestBrowser;
let base: string;
const topic = uniqueName('ConsoleAuth');

beforeAll(async () => {
  tb = await startTestBroker({ auth: true, initUser: 'root:root-secret-1' });
  base = `http://127.0.0.1:${tb.broker.adminPort}`;
  await tb.broker.services.topics.create(topic, 'NORMAL');
  browser = await startBrowser();
});
afterAll(async () => {
  await browser?.close();
  await tb?.close();
});

async function signIn(page: Page, accessKey: string, secretKey: string): Promise<void> {
  const dialog = page.locator('dialog#login');
  await dialog.waitFor({ state: 'visible' });
  await page.fill('#login input[name=accessKey]', accessKey);
  await page.fill('#login input[name=secretKey]', secretKey);
  await page.click('#login button[value=ok]');
}

describe('web console with --auth', () => {
  it('serves the page to anyone but the API only to a super user', async () => {
    expect((await fetch(`${base}/`)).status).toBe(200);
    const refused = await fetch(`${base}/api/topics`);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ code: 40100, status: 'UNAUTHORIZED' });
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
  });

  it('asks for credentials, signs in with a super user and shows the topics', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${base}/#/topics`);
    await signIn(page, 'root', 'wrong-secret-1');
    // A wrong secret is refused by the broker: the sign-in dialog comes back.
    await signIn(page, 'root', 'root-secret-1');
    await page.locator(`text=${topic}`).first().waitFor();
    expect(await page.locator('#who').textContent()).toContain('signed in as root');
    await page.close();
  });

  it('refuses a user who is not a super user with FORBIDDEN', async () => {
    await tb.broker.services.auth.createUser('viewer', 'viewer-secret-1', false);
    const page = await browser.context.newPage();
    await page.goto(`${base}/#/topics`);
    const forbidden = page.waitForResponse((r) => r.url().includes('/api/') && r.status() === 403);
    await signIn(page, 'viewer', 'viewer-secret-1');
    const body = (await (await forbidden).json()) as { code: number; message: string };
    expect(body.code).toBe(40300);
    expect(body.message).toMatch(/viewer/);
    await page.close();
  });
});
