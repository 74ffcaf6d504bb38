// `npm run soak`: the load test at soak size, in every ingest mode and batch size (`npm test`: batches of 10, a tenth the size).
import '../twin/load.test.ts';
