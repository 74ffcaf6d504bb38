// `npm run soak`: the DynamoDB outage in every ingest mode and batch size (`npm test` runs one reading per message).
import '../twin/faults.test.ts';
