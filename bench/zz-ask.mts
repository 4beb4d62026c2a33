import pg from 'pg';
import { openStore } from '../src/store/open-store.js';
const orig = pg.Client.prototype.query as any;
let log: string[] = [];
(pg.Client.prototype as any).query = function (this: any, ...a: any[]) {
  const t = performance.now();
  const r = orig.apply(this, a);
  const text = typeof a[0] === 'string' ? a[0] : a[0]?.text;
  if (r && typeof r.then === 'function') r.then(() => log.push(`${(performance.now() - t).toFixed(2)} ${String(text).replace(/\s+/g, ' ').slice(0, 70)}`), () => {});
  return r;
};
const u = new URL(process.env.GRADTUNE_TEST_POSTGRES_URL!); u.searchParams.set('options', '-c search_path=zzask');
const c = new pg.Client(process.env.GRADTUNE_TEST_POSTGRES_URL); await c.connect(); await c.query('DROP SCHEMA IF EXISTS zzask CASCADE; CREATE SCHEMA zzask'); await c.end();
const store = await openStore(u.toString());
const study = await store.createStudy({ name: 'x', space: 'mlp', datasetName: 'd', datasetFingerprint: 'f', data: { builtin: 'iris', valSplit: 0.2, seed: 1 }, objective: { metric: 'val_accuracy', direction: 'max' }, algorithm: 'random', settings: {}, seed: 1, maxEpochs: 3 });
for (let i = 0; i < 5; i++) {
  log = [];
  const t = performance.now();
  const a = await store.ask(study.id, () => ({ kind: 'run', params: { i } }));
  const t1 = performance.now();
  await store.tell(study.id, (a as any).trial.number, { status: 'completed', score: 0.5, bestEpoch: 1, epochsRun: 1, history: [], backend: 'cpu', durationMs: 1, attempt: 1 });
  const t2 = performance.now();
  if (i === 4) { console.log(log.join('\n')); }
  console.log('ask', (t1 - t).toFixed(2), 'tell', (t2 - t1).toFixed(2), 'queries', log.length);
}
await store.close();
