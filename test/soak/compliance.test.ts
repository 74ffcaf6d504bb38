// `npm run soak`: the compliance checks in every deploy mode (SOAK=1 is set by the script; `npm test` checks the default one).
import '../lib/compliance.test.ts';
