// device-bridge process: piles on the JSON protocol over WebSocket (/piles) and TCP (PILE_TCP_PORT).
import { startDeviceBridge } from './service.js';

await startDeviceBridge();
