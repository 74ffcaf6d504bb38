/**
 * Vitest global set-up of the integration project: one folder per run where
 * `sharedSynth` (`cdk-app.ts`) keeps each stack configuration it synthesizes,
 * so that the test files asking for the same configuration synthesize it (and
 * bundle its Lambdas) once per run, not once each. Under `cdk.out/` (git-ignored)
 * so that the bundles' external imports resolve from the project's node_modules.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The folder of this run's shared syntheses. */
    synthCacheDir: string;
  }
}

/** `cdk.out/` of the project (this file does not import `cdk-app.ts`: the CDK is not loaded in vitest's own process). */
const CDK_OUT = fileURLToPath(new URL('../../cdk.out/', import.meta.url));

export default function setup(project: TestProject): () => void {
  mkdirSync(CDK_OUT, { recursive: true });
  const dir = mkdtempSync(join(CDK_OUT, 'shared-'));
  project.provide('synthCacheDir', dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
