/**
 * A rendered chart container's view of the pod, mapped onto this host for tests that start the CLI with the
 * container's args and env verbatim: each volumeMount's mountPath becomes a temp folder named after the volume, each
 * `--flag=host:containerPort` becomes `--flag=host:0` (the process reports the port it bound). `unmap` reverses
 * both, so a test can check that nothing else differs from the rendered manifest.
 */
import { join } from 'node:path';

export interface RenderedContainer {
  readonly command?: readonly string[];
  readonly args: readonly string[];
  readonly env?: readonly { readonly name: string; readonly value: string }[];
  readonly ports: readonly { readonly name: string; readonly containerPort: number }[];
  readonly volumeMounts: readonly { readonly name: string; readonly mountPath: string }[];
}

export interface PodView {
  map(text: string): string;
  unmap(text: string): string;
  /** The host folder of a volume. */
  folder(volume: string): string;
}

export function podView(container: RenderedContainer, root: string): PodView {
  const mounts = [...container.volumeMounts].sort((a, b) => b.mountPath.length - a.mountPath.length).map((m) => [m.mountPath, join(root, m.name)] as const);
  const alternatives = (paths: readonly string[]): RegExp => new RegExp(`(?:${paths.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})(?=/|"|$)`, 'g');
  // one pass each way: a host folder may itself lie under a mount path (/tmp)
  const toHost = alternatives(mounts.map(([from]) => from));
  const toPod = alternatives(mounts.map(([, to]) => to));
  const ports = container.ports.map((p) => p.containerPort);
  const portPattern = new RegExp(`^(--[\\w-]+=[^:]+):(${ports.join('|')})$`);
  const portOf = new Map<string, string>();
  return {
    map(text) {
      const port = portPattern.exec(text);
      if (port) {
        portOf.set(`${port[1] ?? ''}:0`, text);
        return `${port[1] ?? ''}:0`;
      }
      return text.replace(toHost, (from) => mounts.find(([f]) => f === from)?.[1] ?? from);
    },
    unmap(text) {
      const port = portOf.get(text);
      if (port !== undefined) return port;
      return text.replace(toPod, (to) => mounts.find(([, t]) => t === to)?.[0] ?? to);
    },
    folder(volume) {
      return join(root, volume);
    },
  };
}
