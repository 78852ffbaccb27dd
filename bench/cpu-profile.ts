/**
 * Reading a V8 CPU profile (`node --cpu-prof`) of a benchmark server: the self time of every
 * function, counted only for the samples taken while the load ran (the profile also covers
 * start-up and shut-down), divided by the number of requests answered in that window. What a
 * request costs, function by function, in microseconds of the server's one core.
 */
import { readFileSync } from 'fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Microseconds per request, by function (`name file:line`) and by where the code comes from. */
export interface PerRequestCost {
  byFunction: Map<string, number>;
  byOrigin: Map<string, number>;
  /** All sampled time in the window (idle included), per request. */
  total: number;
}

/**
 * `window`: the load's start and end on the profile's clock (microseconds of the monotonic clock,
 * what `process.hrtime` reads in any process on the machine).
 */
export function perRequestCost(file: string, window: { startUs: number; endUs: number }, requests: number): PerRequestCost {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const byFunction = new Map<string, number>();
  const byOrigin = new Map<string, number>();
  let total = 0;
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i];
    const next = profile.timeDeltas[i + 1] ?? 0; // a sample stands for the time until the next one
    if (at < window.startUs || at > window.endUs) continue;
    const frame = nodes.get(profile.samples[i])!.callFrame;
    const perRequest = next / requests;
    total += perRequest;
    add(byFunction, `${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}${frame.url ? `:${frame.lineNumber + 1}` : ''}`, perRequest);
    add(byOrigin, originOf(frame), perRequest);
  }
  return { byFunction, byOrigin, total };
}

function add(map: Map<string, number>, key: string, value: number): void {
  map.set(key, (map.get(key) ?? 0) + value);
}

/** `node_modules/typeorm/…` → `typeorm/…`; the library's own files → `lib/…`. */
function shortUrl(url: string): string {
  const inModules = url.lastIndexOf('node_modules/');
  if (inModules >= 0) return url.slice(inModules + 'node_modules/'.length);
  const inLibrary = url.indexOf('/dist/src/');
  if (inLibrary >= 0) return `lib/${url.slice(inLibrary + '/dist/src/'.length)}`;
  const inBench = url.indexOf('/dist/bench/');
  if (inBench >= 0) return `bench/${url.slice(inBench + '/dist/bench/'.length)}`;
  return url.replace(/^file:\/\//, '');
}

/** The package a frame's code belongs to, `this library`, Node's own modules, or V8's states (GC, idle). */
function originOf(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : `native: ${functionName}`;
  if (url.includes('/dist/src/')) return 'this library';
  if (url.includes('/dist/bench/')) return 'the bench app';
  const inModules = url.lastIndexOf('node_modules/');
  if (inModules >= 0) {
    const [scope, name] = url.slice(inModules + 'node_modules/'.length).split('/');
    return scope.startsWith('@') ? `${scope}/${name}` : scope;
  }
  if (url.startsWith('node:')) return url.startsWith('node:internal') ? 'node:internal' : url;
  return url;
}

/** The `top` largest entries, formatted as `  12.34 µs  name`. */
export function topLines(costs: Map<string, number>, top: number): string[] {
  return [...costs]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => `${us.toFixed(2).padStart(8)} µs  ${name}`);
}

/** Per-request differences `b − a`, largest first (by size), as `  +1.23 µs  (a 0.50, b 1.73)  name`. */
export function differenceLines(a: Map<string, number>, b: Map<string, number>, top: number): string[] {
  const names = new Set([...a.keys(), ...b.keys()]);
  return [...names]
    .map((name) => [name, (b.get(name) ?? 0) - (a.get(name) ?? 0)] as const)
    .sort((x, y) => Math.abs(y[1]) - Math.abs(x[1]))
    .slice(0, top)
    .map(([name, delta]) => {
      const sign = delta >= 0 ? '+' : '−';
      return `${(sign + Math.abs(delta).toFixed(2)).padStart(8)} µs  (${(a.get(name) ?? 0).toFixed(2)} → ${(b.get(name) ?? 0).toFixed(2)})  ${name}`;
    });
}
