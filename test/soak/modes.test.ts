// `npm run soak`: load and DynamoDB outages on the every-mode fleet in every ingest mode and batch size
// (`npm test` runs the loads of one reading per message and of the stream, and the stream's outage).
import '../twin/modes.test.ts';
