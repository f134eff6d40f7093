/** Chromium for the browser tests: Debian's, launched headless; the tests never download a browser. */
import fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
const LAUNCH_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];

export const haveChromium = fs.existsSync(CHROMIUM);
if (!haveChromium && process.env.REQUIRE_SERVICES === '1') throw new Error(`REQUIRE_SERVICES=1 but there is no Chromium at ${CHROMIUM}`);
if (!haveChromium) console.warn(`\n!!! No Chromium at ${CHROMIUM} (apt-get install -y chromium): SKIPPING the browser tests !!!\n`);

export const launchChromium = (): Promise<Browser> => chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS, timeout: 60_000 });
