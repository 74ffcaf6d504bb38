import { defineConfig } from 'vitest/config';
import { unit } from './vitest.config.ts';

// What `npm run mutate` runs against each mutant (docs/guarantees.md, "Mutation testing"): the unit project and the
// operator API's test (in process, on the embedded DynamoDB), less the tests that read the git
// tree or node_modules rather than the code (Stryker runs in a copy of the tree with no git
// index, where they would test nothing). Instrumented code runs many times slower: the
// detector's million-reading test needs minutes, not the usual 30 s.
export default defineConfig({
  test: {
    ...unit,
    testTimeout: 600_000,
    hookTimeout: 60_000,
    include: [...unit.include, 'test/lambda/api/app.test.ts'],
    exclude: ['test/architecture.unit.test.ts', 'test/repo-hygiene.unit.test.ts', 'test/licences.unit.test.ts'],
  },
});
