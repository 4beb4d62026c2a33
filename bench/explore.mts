import { readFileSync } from 'node:fs';
import { decodeLenient } from '../src/store/codec.js';
import { expandReadings } from '../src/train/diagnostics.js';
import { CACHE, type Collection } from './diagnostics-accuracy-collect.js';
const c = decodeLenient<Collection>(readFileSync(CACHE, 'utf8'));
const [study, num] = process.argv.slice(2);
const t = c.trials.find((x) => x.study === study && x.number === Number(num))!;
console.log(t.config, t.params);
for (const r of expandReadings(t.readings!).slice(0, 60)) console.log(r.epoch, r.step, r.preflight ? 'P' : ' ', r.loss.toFixed(3), r.globalGrad.toExponential(2), r.layers.map((l) => `${l.kernelGrad.toExponential(1)}/${l.updateRatio.toExponential(1)}`).join(' '));
