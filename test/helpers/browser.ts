/**
 * The browser tests' Chromium: Debian's `/usr/bin/chromium`, never a downloaded one. Under
 * `REQUIRE_BROWSER=1` (CI) a missing browser fails the run instead of skipping it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { chromium, type Browser, type Page } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
const LAUNCH_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];

/** Where screenshots go, to be looked at after a run. */
export const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url).pathname;

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 800 };

export const haveChromium = fs.existsSync(CHROMIUM);
if (!haveChromium && (process.env.REQUIRE_BROWSER === '1' || process.env.REQUIRE_SERVICES === '1')) {
  throw new Error(`REQUIRE_BROWSER=1 but there is no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);
}
if (!haveChromium) console.warn(`\n!!! No Chromium at ${CHROMIUM} (apt-get install -y chromium): SKIPPING the browser tests !!!\n`);

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS, timeout: 60_000 });
}

const problemsOf = new WeakMap<Page, string[]>();

/** A page in its own context (its own storage: another person), recording its uncaught errors and console errors. */
export async function openPage(browser: Browser, viewport = DESKTOP): Promise<Page> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const problems: string[] = [];
  problemsOf.set(page, problems);
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  return page;
}

/** The uncaught errors and console errors the page has had so far (a test ends expecting none). */
export function pageProblems(page: Page): string[] {
  return problemsOf.get(page) ?? [];
}

/** Signs a new musician up through the web app's form; resolves once they are in General and live. */
export async function signUpInBrowser(browser: Browser, url: string, name: string, viewport = DESKTOP): Promise<{ page: Page; username: string }> {
  const page = await openPage(browser, viewport);
  await page.goto(url);
  const username = `${name}${Math.floor(Math.random() * 1e6)}`;
  await page.getByLabel('Email').fill(`${username}@example.com`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill('correct horse battery');
  await page.getByLabel('Repeat password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.getByRole('heading', { name: /General/ }).waitFor({ timeout: 20_000 });
  await page.getByRole('status', { name: 'Connection: live' }).waitFor({ timeout: 20_000 });
  return { page, username };
}

/** What tests read in the page (the tests compile without the DOM's types). */
export interface PageGlobals {
  document: { documentElement: { scrollWidth: number } };
}

/** The page's width in CSS pixels, including anything overflowing sideways. */
export const pageWidth = (page: Page) => page.evaluate(() => (globalThis as unknown as PageGlobals).document.documentElement.scrollWidth);

export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
}

const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Runs axe-core in the page (evaluated, so the app's CSP does not apply) and returns the WCAG A/AA violations. */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const { axe, document } = globalThis as unknown as PageGlobals & { axe: { run(context: unknown, options: unknown): Promise<{ violations: Array<{ id: string; help: string; nodes: Array<{ target: unknown }> }> }> } };
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations.map((violation) => `${violation.id}: ${violation.help} (${violation.nodes.map((node) => JSON.stringify(node.target)).join(', ')})`);
  });
  return violations;
}
