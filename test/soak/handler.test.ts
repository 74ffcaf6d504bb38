// `npm run soak`: the detector handler's tests with 200 concurrent readings of one printer (`npm test`: 50).
import '../lambda/handler.test.ts';
