/**
 * The audit's metrics (`signgate serve --kubernetes --audit-interval`), on the provider's registry: transitions of a
 * Pod image's outcome between cycles (pass -> fail is what alerting fires on), and each cycle's duration, images
 * verified and results.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export type AuditOutcomeLabel = 'pass' | 'fail' | 'error';

export interface AuditCycleFigures {
  readonly seconds: number;
  readonly verified: number;
  readonly results: Readonly<Record<AuditOutcomeLabel, number>>;
}

export class AuditMetrics {
  private readonly transitions: Counter<'from' | 'to'>;
  private readonly duration: Histogram;
  private readonly verified: Counter;
  private readonly results: Gauge<'result'>;
  private readonly lastCycle: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.transitions = new Counter({
      name: 'signgate_audit_transitions_total',
      help: 'Pod container images whose audit outcome changed between cycles, by from and to (pass, fail, error); pass -> fail also records a Warning Event on the Pod.',
      labelNames: ['from', 'to'],
      registers,
    });
    this.duration = new Histogram({
      name: 'signgate_audit_cycle_duration_seconds',
      help: 'Duration of audit cycles (verifications, PolicyReport writes, Events).',
      buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900],
      registers,
    });
    this.verified = new Counter({ name: 'signgate_audit_images_verified_total', help: 'Distinct images the audit verified (executor calls; images reused from the last cycle are not counted).', registers });
    this.results = new Gauge({ name: 'signgate_audit_results', help: 'Pod container images of the last audit cycle, by result (pass, fail, error).', labelNames: ['result'], registers });
    this.lastCycle = new Gauge({ name: 'signgate_audit_last_cycle_timestamp_seconds', help: 'When the last audit cycle finished (Unix time); alert when it stops moving.', registers });
  }

  transition(from: AuditOutcomeLabel, to: AuditOutcomeLabel): void {
    this.transitions.inc({ from, to });
  }

  cycle(figures: AuditCycleFigures, finishedAt: Date): void {
    this.duration.observe(figures.seconds);
    this.verified.inc(figures.verified);
    for (const [result, count] of Object.entries(figures.results)) this.results.set({ result }, count);
    this.lastCycle.set(finishedAt.getTime() / 1000);
  }
}
