// `npm run soak`: npm start also with the original printers alone (--no-sample); `npm test` runs the two sample runs.
import '../cli/start.test.ts';
