// Fault test (issue 8, defect 3; fails until its fix lands): the cache killed, its data deleted and started again
// empty in the middle of a flow of 60 users; then the invariants of support/flow.ts. On today's code the station
// is gone ("unknown station default"), accepted orders stay stuck, bill numbers repeat and the piles keep charging.
import { faultSuite } from './support/suite.js';
import { cacheRestartLosingData } from './support/faults.js';

faultSuite('cacheloss', [{ title: 'a cache restart losing its data during a flow of 60 users', fault: cacheRestartLosingData }]);
