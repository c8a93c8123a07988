/**
 * The dashboard's one data model, fed live (the runner's row stream, the cluster's event hook) or
 * from a finished results folder (folder.ts): what ran (experiment, backend, arm × seed runs), the
 * tagged metric rows as in metrics.jsonl, the cluster's timeline events and validator reports, and
 * the run's status. Listeners get every change as a {@link DashboardUpdate}; a new page gets
 * {@link DashboardModel.snapshot} first, then the updates, so both modes draw the same way.
 * Wall-clock use is fine here: nothing in this layer feeds back into the results.
 */
import type { ValidatorRoundReport } from '../../cluster/reports.ts';
import type { MetricRow } from '../runner.ts';

/** One (arm, seed) run of the experiment. */
export interface DashboardRun {
  readonly arm: string;
  readonly seed: number;
  readonly rounds: number;
}

/** What is being shown. */
export interface DashboardMeta {
  readonly experiment: { readonly id: string; readonly question: string };
  readonly backend: 'sim' | 'cluster';
  /** 'live': fed while the run goes; 'folder': read from a finished results folder. */
  readonly source: 'live' | 'folder';
  /** The results folder (written at the end of a live run). */
  readonly outDir: string;
  readonly runs: readonly DashboardRun[];
}

/** A cluster happening on the timeline: a peer's phase, a chain event, churn. */
export interface TimelineEvent {
  readonly arm: string;
  readonly seed: number;
  /** Wall seconds since the run's orchestrator started. */
  readonly atS: number;
  readonly round: number;
  /** Peer uid; null for the validator and round-wide events. */
  readonly uid: number | null;
  readonly kind: 'trained' | 'committed' | 'synced' | 'fetched' | 'finalised' | 'joins' | 'leaves' | 'crashes';
}

/** A validator's round report, tagged with its run. */
export interface TaggedValidatorReport {
  readonly arm: string;
  readonly seed: number;
  readonly report: ValidatorRoundReport;
}

export type DashboardStatus = { readonly state: 'running' } | { readonly state: 'finished' } | { readonly state: 'failed'; readonly message: string };

export type DashboardUpdate =
  | { readonly kind: 'row'; readonly row: MetricRow }
  | { readonly kind: 'event'; readonly event: TimelineEvent }
  | { readonly kind: 'validator'; readonly report: TaggedValidatorReport }
  | { readonly kind: 'status'; readonly status: DashboardStatus };

export interface DashboardSnapshot {
  readonly meta: DashboardMeta;
  readonly rows: readonly MetricRow[];
  readonly events: readonly TimelineEvent[];
  readonly validatorReports: readonly TaggedValidatorReport[];
  readonly status: DashboardStatus;
}

const rowKey = (arm: string, seed: number, round: number): string => `${arm}\u0000${seed}\u0000${round}`;

/**
 * The model. Rows are keyed by (arm, seed, round): a second row for the same round replaces the
 * first (the cluster streams a provisional row per round while it runs, then the final rows built
 * from every report), and so do validator reports (a restarted validator redoes a round).
 *
 * @example
 * const model = new DashboardModel(meta);
 * const stop = model.subscribe((u) => send(u));
 * model.addRow(tagRow(exp.id, task, row));
 */
export class DashboardModel {
  readonly meta: DashboardMeta;
  #rows = new Map<string, MetricRow>();
  #events: TimelineEvent[] = [];
  #reports = new Map<string, TaggedValidatorReport>();
  #status: DashboardStatus = { state: 'running' };
  #listeners = new Set<(update: DashboardUpdate) => void>();

  constructor(meta: DashboardMeta) {
    this.meta = meta;
  }

  addRow(row: MetricRow): void {
    this.#rows.set(rowKey(row.arm, row.seed, row.round), row);
    this.#emit({ kind: 'row', row });
  }

  addEvent(event: TimelineEvent): void {
    this.#events.push(event);
    this.#emit({ kind: 'event', event });
  }

  addValidatorReport(report: TaggedValidatorReport): void {
    this.#reports.set(rowKey(report.arm, report.seed, report.report.round), report);
    this.#emit({ kind: 'validator', report });
  }

  setStatus(status: DashboardStatus): void {
    this.#status = status;
    this.#emit({ kind: 'status', status });
  }

  get status(): DashboardStatus {
    return this.#status;
  }

  /** Everything so far, rows in arrival order. */
  snapshot(): DashboardSnapshot {
    return { meta: this.meta, rows: [...this.#rows.values()], events: [...this.#events], validatorReports: [...this.#reports.values()], status: this.#status };
  }

  /** Calls `listener` with every later change; returns the unsubscribe function. */
  subscribe(listener: (update: DashboardUpdate) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(update: DashboardUpdate): void {
    for (const listener of this.#listeners) listener(update);
  }
}
