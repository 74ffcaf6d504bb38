// `npm run soak`: the dashboard over 10,000 printers (`npm test`: 2,000).
import '../dashboard/fleet-scale.test.ts';
