// The faults of issue 8's fault tests.
import type { ServiceName } from '../../../scripts/lib/platform.js';
import type { Fault } from './flow.js';



/** kill -9 of one service, started again at once as scripts/start does. */
export const killService = (name: ServiceName): Fault => ({
  name: `kill -9 ${name}`,
  run: (h, over) => h.killAndRespawn(name, over),
});

/** The broker stopped cleanly (rabbitmqctl stop), down for a moment, started again (~6-10 s to boot). */
export const brokerRestart: Fault = {
  name: 'broker restart',
  async run(h, over) {
    await h.rabbit.restart(1000);
    over();
  },
};

/** The cache shut down cleanly (its AOF written) and started again on the same data. */
export const cacheRestartKeepingData: Fault = {
  name: 'cache restart keeping its data',
  async run(h, over) {
    await h.redis.restartKeepingData(2000);
    over();
  },
};

/** The cache killed without warning, its data deleted, started again empty. */
export const cacheRestartLosingData: Fault = {
  name: 'cache restart losing its data',
  async run(h, over) {
    await h.redis.restartLosingData(2000);
    over();
  },
};


