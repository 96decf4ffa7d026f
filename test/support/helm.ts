import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { toolPath } from '#testing';
import { ROOT } from './paths.js';

const run = promisify(execFile);

export const CHART_DIR = join(ROOT, 'helm', 'nestjet');
export const CHART_PROFILES = join(CHART_DIR, 'ci');

/** A rendered Kubernetes object (loosely typed: tests read nested fields). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; annotations?: Record<string, string>; labels?: Record<string, string> }; [k: string]: any };

let chartCopy: string | undefined;

/**
 * The chart as tests render it: a temp copy whose Chart.yaml lacks the `nats`
 * dependency. Helm 4 refuses to lint or template a chart whose declared
 * dependency is missing from charts/, even when its condition is false, and the
 * official nats chart cannot be fetched here. Everything else is the real chart.
 * `files` adds or replaces files in the copy (e.g. rule files owned elsewhere); null removes one.
 */
export function chartWithoutNatsDependency(files: Record<string, string | null> = {}): string {
  if (!chartCopy || Object.keys(files).length > 0) {
    const dir = join(mkdtempSync(join(tmpdir(), 'nestjet-chart-')), 'nestjet');
    cpSync(CHART_DIR, dir, { recursive: true });
    const chartYaml = readFileSync(join(dir, 'Chart.yaml'), 'utf8');
    const stripped = chartYaml.replace(/^dependencies:[\s\S]*$/m, '');
    if (stripped === chartYaml) throw new Error('Chart.yaml has no dependencies block to strip');
    writeFileSync(join(dir, 'Chart.yaml'), stripped);
    for (const [path, content] of Object.entries(files)) {
      if (content === null) rmSync(join(dir, path), { force: true });
      else writeFileSync(join(dir, path), content);
    }
    if (Object.keys(files).length > 0) return dir;
    chartCopy = dir;
  }
  return chartCopy;
}

export interface HelmRenderOptions {
  /** Values files: names of profiles in helm/nestjet/ci (without -values.yaml) or absolute paths. */
  profiles?: string[];
  set?: Record<string, string | number | boolean>;
  release?: string;
  namespace?: string;
  chart?: string;
  extraArgs?: string[];
}

function valueArgs(o: HelmRenderOptions): string[] {
  const args: string[] = [];
  for (const p of o.profiles ?? []) args.push('-f', p.startsWith('/') ? p : join(CHART_PROFILES, `${p}-values.yaml`));
  for (const [k, v] of Object.entries(o.set ?? {})) args.push('--set', `${k}=${String(v)}`);
  return args;
}

export async function helm(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(toolPath('helm'), args, { maxBuffer: 32 * 1024 * 1024, timeout: 60_000 });
}

/** `helm template`: the rendered objects (hooks and tests included), parsed. */
export async function helmTemplate(o: HelmRenderOptions = {}): Promise<K8sObject[]> {
  const { stdout } = await helm([
    'template',
    o.release ?? 'nestjet',
    o.chart ?? chartWithoutNatsDependency(),
    '--namespace',
    o.namespace ?? 'apps',
    ...valueArgs(o),
    ...(o.extraArgs ?? []),
  ]);
  return parseManifests(stdout);
}

/** Runs `helm template` expecting failure; returns helm's error text. */
export async function helmTemplateError(o: HelmRenderOptions = {}): Promise<string> {
  try {
    await helmTemplate(o);
  } catch (err) {
    return String((err as { stderr?: string }).stderr ?? err);
  }
  throw new Error(`helm template succeeded with ${JSON.stringify(o)}; expected a failure`);
}

export async function helmLint(o: HelmRenderOptions = {}): Promise<string> {
  const { stdout } = await helm(['lint', '--strict', o.chart ?? chartWithoutNatsDependency(), ...valueArgs(o)]);
  return stdout;
}

export function parseManifests(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`invalid YAML in rendered output: ${d.errors[0]!.message}`);
      return d.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null && typeof o === 'object');
}

type Validatable = { validate(): void };
type ModelClass = new (data: unknown) => Validatable;

type Groups = Record<string, Record<string, Record<string, unknown>> | Record<string, unknown>>;

/** apiVersion/kind → the kubernetes-models class that validates it ("networking.k8s.io" → networkingK8sIo). */
function modelFor(packages: Groups[], apiVersion: string, kind: string): ModelClass | undefined {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const key = group!.replace(/\.([a-z])/g, (_, c: string) => c.toUpperCase());
  for (const pkg of packages) {
    const byVersion = (group === '' ? pkg : pkg[key]) as Record<string, Record<string, unknown>> | undefined;
    const model = byVersion?.[version!]?.[kind];
    if (typeof model === 'function') return model as ModelClass;
  }
  return undefined;
}

/**
 * Validates objects against the Kubernetes OpenAPI schema
 * (kubernetes-models) or the KEDA / Prometheus Operator CRD schemas. Throws with
 * the schema's message; an unknown apiVersion/kind is an error too.
 */
export async function validateObjects(objects: K8sObject[]): Promise<void> {
  // Loaded on demand: the model packages are large and most test files never need them.
  const packages = (await Promise.all([
    import('kubernetes-models'),
    import('@kubernetes-models/keda'),
    import('@kubernetes-models/prometheus-operator'),
  ])) as unknown as Groups[];
  for (const obj of objects) {
    const Model = modelFor(packages, obj.apiVersion, obj.kind);
    if (!Model) throw new Error(`no schema for ${obj.apiVersion} ${obj.kind} (${obj.metadata?.name})`);
    try {
      new Model(obj).validate();
    } catch (err) {
      throw new Error(`${obj.kind}/${obj.metadata?.name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

export function findObject(objects: K8sObject[], kind: string, nameSuffix: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind && o.metadata.name.endsWith(nameSuffix));
  if (found.length !== 1) throw new Error(`expected one ${kind} named *${nameSuffix}, found ${found.length}`);
  return found[0]!;
}

export function kindsOf(objects: K8sObject[]): string[] {
  return objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
}

/** The example shop's consumer groups (files/consumer-groups.json): the chart renders one Deployment each. */
export const CHART_CONSUMER_GROUPS = ['orders', 'ledger'];

/** The pod spec of a workload (or of a bare Pod). */
export const podSpec = (o: K8sObject) => (o.kind === 'Pod' ? o.spec : o.spec.template.spec);

/** The first container of a workload. */
export const containerOf = (o: K8sObject) => podSpec(o).containers[0];

/** A workload's environment by name: the literal value, or the `valueFrom` reference. */
export const envValues = (o: K8sObject): Record<string, unknown> =>
  Object.fromEntries((containerOf(o).env as Array<{ name: string; value?: string; valueFrom?: unknown }>).map((e) => [e.name, e.value ?? e.valueFrom]));
