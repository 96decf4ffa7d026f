// The Dockerfile taken apart, for the tests that hold other things to it (the
// image command run on the host, the Docker-less images' config).

export interface DockerfileStage { from: string; name?: string; lines: string[] }

export function parseDockerfile(text: string): { args: Record<string, string>; stages: DockerfileStage[] } {
  const logical = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const args: Record<string, string> = {};
  const stages: DockerfileStage[] = [];
  for (const line of logical) {
    const [instr, ...rest] = line.split(/\s+/);
    const rest1 = rest.join(' ');
    if (instr === 'ARG' && stages.length === 0) {
      const [k, v] = rest1.split('=');
      args[k!] = v ?? '';
    } else if (instr === 'FROM') {
      const m = rest1.match(/^(\S+)(?:\s+AS\s+(\S+))?$/i)!;
      // ${NAME} and ${NAME:?message} (required: Docker refuses to build while it is empty).
      stages.push({ from: m[1]!.replace(/\$\{(\w+)(?::\?[^}]*)?\}/g, (_, k: string) => args[k] ?? ''), name: m[2], lines: [] });
    } else if (stages.length > 0) {
      stages.at(-1)!.lines.push(line);
    }
  }
  return { args, stages };
}

/** Arguments of every `name` instruction of the stage, in order. */
export const instr = (stage: DockerfileStage, name: string) => stage.lines.filter((l) => l.startsWith(`${name} `)).map((l) => l.slice(name.length + 1).trim());

/** The last `name` instruction in exec (JSON array) form, as Docker applies it. */
export const execForm = (stage: DockerfileStage, name: string) => JSON.parse(instr(stage, name).at(-1)!) as string[];

/**
 * `key=value` pairs of every ENV or LABEL instruction (values double-quoted or
 * bare); `${ARG}` references are left as written, for the caller to fill in.
 */
export function keyValues(stage: DockerfileStage, name: 'ENV' | 'LABEL'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of instr(stage, name)) {
    for (const m of line.matchAll(/([\w.-]+)=("(?:[^"\\]|\\.)*"|\S+)/g)) {
      out[m[1]!] = m[2]!.startsWith('"') ? (JSON.parse(m[2]!) as string) : m[2]!;
    }
  }
  return out;
}

/** The runtime (last) stage's container config, in the words of an OCI image config. */
export function runtimeConfig(text: string) {
  const { stages } = parseDockerfile(text);
  const runtime = stages.at(-1)!;
  return {
    from: runtime.from,
    user: instr(runtime, 'USER').at(-1)!,
    entrypoint: execForm(runtime, 'ENTRYPOINT'),
    cmd: execForm(runtime, 'CMD'),
    workingDir: instr(runtime, 'WORKDIR').at(-1)!,
    exposedPorts: instr(runtime, 'EXPOSE').flatMap((l) => l.split(/\s+/)).map((p) => (p.includes('/') ? p : `${p}/tcp`)),
    env: keyValues(runtime, 'ENV'),
    labels: keyValues(runtime, 'LABEL'),
  };
}
