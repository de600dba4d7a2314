// Fault tests (issue 8): kill -9 of a service in the middle of a flow of 60 users, the service started again at
// once as scripts/start does; then the invariants of support/flow.ts. (The device bridge: bridge.test.ts.)
import { faultSuite } from './support/suite.js';
import { killService } from './support/faults.js';

faultSuite('svc', (['order', 'billing', 'scheduler', 'gateway', 'auth'] as const).map((name) => ({
  title: `kill -9 of ${name} during a flow of 60 users`,
  fault: killService(name),
})));
