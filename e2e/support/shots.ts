import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../artifacts/screenshots');
let step = 0;

/** Saves a numbered full-page screenshot under e2e/artifacts/screenshots/. */
export async function shot(page: Page, name: string): Promise<void> {
  step += 1;
  await page.screenshot({
    path: path.join(dir, `${String(step).padStart(2, '0')}-${name}.png`),
    fullPage: true,
  });
}
