import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`; .ci/run installs it): no browser download. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Quiet, offline, reproducible: no sandbox (CI runs as root), no GPU, no background traffic. */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Where screenshots of failed browser tests go (gitignored). */
export const ARTIFACTS_DIR = join(__dirname, '..', '..', '..', 'test-artifacts');

export interface HeadlessChromium {
  context: BrowserContext;
  newPage(): Promise<Page>;
  /** Saves a full-page screenshot of every open page under ARTIFACTS_DIR, named after `label`. */
  screenshotAll(label: string): Promise<string[]>;
  close(): Promise<void>;
}

/** A headless Chromium with a fresh profile (its own user-data-dir, removed on close). */
export async function launchChromium(): Promise<HeadlessChromium> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`The browser tests need Chromium at ${CHROMIUM_PATH}: apt-get install -y chromium (or set CHROMIUM_PATH).`);
  }
  const profile = mkdtempSync(join(tmpdir(), 'rca-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 900 },
  });
  return {
    context,
    newPage: () => context.newPage(),
    async screenshotAll(label) {
      mkdirSync(ARTIFACTS_DIR, { recursive: true });
      const saved: string[] = [];
      const safe = label.replace(/[^a-z0-9]+/gi, '-').slice(0, 100);
      for (const [index, page] of context.pages().entries()) {
        const path = join(ARTIFACTS_DIR, `${safe}-${index}.png`);
        try {
          await page.screenshot({ path, fullPage: true });
          saved.push(path);
        } catch {
          // A page that crashed or closed has nothing to show.
        }
      }
      return saved;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
