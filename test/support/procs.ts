/**
 * Finding processes from outside, as an operator would: by scanning /proc for a command line that
 * holds every given piece (Linux only). The fault tests SIGKILL what this finds.
 */
import { readFileSync, readdirSync } from 'node:fs';

/** Pids (ascending) of live processes whose command line contains every string in `pieces`. */
export function pidsByCommandLine(...pieces: readonly string[]): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
    } catch {
      continue; // exited meanwhile
    }
    if (pieces.every((p) => cmdline.includes(p))) out.push(Number(entry));
  }
  return out.sort((a, b) => a - b);
}

/** SIGKILLs the one process matching `pieces`; throws unless exactly one matches. Returns its pid. */
export function killOne(...pieces: readonly string[]): number {
  const pids = pidsByCommandLine(...pieces);
  if (pids.length !== 1) throw new Error(`expected one process with ${JSON.stringify(pieces)} in its command line, found ${pids.length} (${pids.join(', ')})`);
  process.kill(pids[0]!, 'SIGKILL');
  return pids[0]!;
}
