/**
 * A real Chromium for page tests: Debian's /usr/bin/chromium (or CHROMIUM_PATH) driven by
 * playwright-core, started with the flags this machine needs (playwright gives every launch a
 * fresh, temporary profile). Screenshots go
 * to test-artifacts/screenshots/ (kept by CI as the tests' artifacts).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';

export const SCREENSHOTS = join(import.meta.dirname, '..', 'test-artifacts', 'screenshots');

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Saves a full-page screenshot named after the step (e.g. `subscribe-1-details`). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/**
 * The form controls of the page that have no label a screen reader would read (a <label for>, a
 * wrapping <label>, aria-label or aria-labelledby); hidden inputs and buttons (their text is their
 * label) are not controls here.
 */
export async function unlabelledControls(page: Page): Promise<string[]> {
  // JavaScript may be off in the page's context; this runs in a fresh one of the test's own.
  const controls = await page.locator('input:not([type=hidden]), select, textarea').all();
  const missing: string[] = [];
  for (const control of controls) {
    const [id, name, ariaLabel, labelledBy] = await Promise.all([
      control.getAttribute('id'),
      control.getAttribute('name'),
      control.getAttribute('aria-label'),
      control.getAttribute('aria-labelledby'),
    ]);
    if (ariaLabel || labelledBy) continue;
    const byFor = id ? await page.locator(`label[for="${id}"]`).count() : 0;
    const wrapped = await control.locator('xpath=ancestor::label').count();
    if (byFor === 0 && wrapped === 0) missing.push(id ?? name ?? '?');
  }
  return missing;
}
