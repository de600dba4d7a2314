// Fault test (issue 8, defect 2; fails until its fix lands): kill -9 of the device bridge in the middle of a flow
// of 60 users, started again at once as scripts/start does; then the invariants of support/flow.ts. On today's
// code the pile commands sent while the bridge is down (and to its dead replica's queue until the piles log in
// again) are lost: bills for sessions no pile started, piles charging other orders than the board shows.
import { faultSuite } from './support/suite.js';
import { killService } from './support/faults.js';

faultSuite('bridge', [{ title: 'kill -9 of device-bridge during a flow of 60 users', fault: killService('device-bridge') }]);
