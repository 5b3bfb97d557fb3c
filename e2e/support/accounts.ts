// What several specs do first: an account made through the sign-up form and confirmed with the link
// from the stack's log, and the Twikit preset registered.
import { expect, type Page } from '@playwright/test';
import { verificationPath } from './mail-log.ts';

export interface NewAccount {
  name: string;
  email: string;
  password: string;
  organizationName: string;
}

/** Signs up on `page`, confirms the address, and returns the new organization's path (/o/<slug>). */
export async function signUpAndConfirm(page: Page, who: NewAccount): Promise<string> {
  await page.goto('/signup');
  await page.getByLabel('Name', { exact: true }).fill(who.name);
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByLabel('Organization name').fill(who.organizationName);
  await page.getByRole('button', { name: 'Create account' }).click();
  // Sign-up ends on the same page whether or not the address is taken; the link in the mail signs in.
  await expect(page).toHaveURL(/\/signup\/check-email$/);
  await page.goto(await verificationPath(who.email));
  await page.getByRole('button', { name: 'Confirm e-mail address' }).click();
  await expect(page).toHaveURL(/\/o\/[^/]+/);
  return new URL(page.url()).pathname.match(/^\/o\/[^/]+/)![0];
}

/** Registers the Twikit preset; returns the server's catalog path. Syncs by hand only if registering did not. */
export async function registerTwikitPreset(page: Page, orgPath: string): Promise<string> {
  await page.goto(`${orgPath}/servers`);
  await page.getByRole('button', { name: 'Use Twikit preset' }).click();
  await page.getByRole('button', { name: 'Register server' }).click();
  await expect(page).toHaveURL(/\/servers\/[^/]+$/, { timeout: 60_000 });
  if (!(await page.getByText('(62 tools)').isVisible())) {
    await page.getByRole('button', { name: 'Sync tools' }).click();
    await expect(page.getByRole('status').filter({ hasText: /Synced: 62 tools/ })).toBeVisible({
      timeout: 60_000,
    });
  }
  return new URL(page.url()).pathname;
}
