import { startUpstream } from './upstream.js';

/** `npm run example:upstream`: the walkthrough's stand-in on 127.0.0.1:9911 (PORT to change it). */
const upstream = await startUpstream(Number(process.env.PORT ?? 9911));
console.log(`weather stand-in listening on http://127.0.0.1:${upstream.port}/data/2.5/weather (Ctrl-C stops it)`);
process.on('SIGINT', () => void upstream.close().then(() => process.exit(0)));
process.on('SIGTERM', () => void upstream.close().then(() => process.exit(0)));
