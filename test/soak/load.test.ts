// `npm run soak`: the load test at soak size (SOAK=1 is set by the script).
import '../twin/load.test.ts';
