// Worker-thread entry for bench/bare-fit.ts (plain JS so Node loads it; tsx for the rest).
import { register } from 'tsx/esm/api';

register();
await import('./bare-fit.ts');
