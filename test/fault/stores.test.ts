// Fault tests (issue 8): the private broker and cache restarted in the middle of a flow of 60 users; then the
// invariants of support/flow.ts. (The cache losing its data: cache-loss.test.ts.)
import { faultSuite } from './support/suite.js';
import { brokerRestart, cacheRestartKeepingData } from './support/faults.js';

faultSuite('stores', [
  { title: 'a broker restart during a flow of 60 users', fault: brokerRestart },
  { title: 'a cache restart keeping its data during a flow of 60 users', fault: cacheRestartKeepingData },
]);
