// Stdio servers a tenant may run are defined by the operator, never by the tenant: each template
// fixes the exact argv, the environment variables and extra arguments a tenant may supply (each
// checked against the operator's pattern), what the sandbox may read, and resource limits.
// Tenants pick a template and fill in its declared values. Free-form command lines exist only in
// single-organization mode (STDIO_FREEFORM_ORGANIZATION), see resolveStdioLaunch.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be an environment variable name (letters, digits, _)');

/** An operator's pattern; always matched against the whole value. */
const pattern = z.string().refine((source) => {
  try {
    new RegExp(source, 'u');
    return true;
  } catch {
    return false;
  }
}, 'must be a valid regular expression');

const absolutePath = z
  .string()
  .refine(
    (p) => path.posix.isAbsolute(p) && path.posix.normalize(p) === p,
    'must be an absolute, normalized path',
  );

export const stdioLimitsSchema = z
  .object({
    /**
     * Writable memory of the process (RLIMIT_DATA: heap and private writable mappings), in MiB.
     * 2048 by default: Node 24 (our images' Node, and what most MCP servers run on) reserves its
     * code range per V8 isolate against this limit and cannot start a worker thread under 1024.
     */
    memoryMb: z.number().int().min(64).max(65_536).default(2048),
    /** Processes and threads the server may run (RLIMIT_NPROC, per sandbox user). */
    processes: z.number().int().min(1).max(4096).default(64),
    /** Open files (RLIMIT_NOFILE). */
    openFiles: z.number().int().min(16).max(65_536).default(256),
    /** CPU seconds over the process's life (RLIMIT_CPU); 0 for none. */
    cpuSeconds: z.number().int().min(0).max(1_000_000).default(0),
    /** Largest file the process may write (RLIMIT_FSIZE), in MiB. */
    fileSizeMb: z.number().int().min(0).max(65_536).default(64),
  })
  .strict();

export const stdioTemplateSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lower-case letters, digits and -'),
    name: z.string().min(1).max(100),
    description: z.string().max(500).default(''),
    /** Absolute path of the program (no PATH lookup). */
    command: absolutePath,
    args: z.array(z.string().max(4096)).max(100).default([]),
    /** Variables the operator sets for every server of this template (not secret from the operator). */
    env: z.record(envName, z.string().max(8192)).default({}),
    /** Variables a tenant may set (nothing else is accepted), each a full match of its pattern. */
    tenantEnv: z
      .record(
        envName,
        z
          .object({
            pattern: pattern.default('^[\\x20-\\x7e]{1,4096}$'),
            required: z.boolean().default(false),
            description: z.string().max(300).default(''),
          })
          .strict(),
      )
      .default({}),
    /** Extra arguments a tenant may append after `args`: at most `max`, each a full match of `pattern`. */
    tenantArgs: z
      .object({ max: z.number().int().min(0).max(32), pattern, description: z.string().max(300).default('') })
      .strict()
      .optional(),
    /** Host paths the sandbox may read (bound read-only at the same place); /usr is always readable. */
    readOnlyPaths: z.array(absolutePath).max(32).default([]),
    /** Host paths the sandbox may write (operator's choice; shared by every server of the template). */
    writablePaths: z.array(absolutePath).max(8).default([]),
    /** Whether the server reaches the network (its own loopback only, when false). */
    network: z.boolean().default(false),
    limits: stdioLimitsSchema.default(stdioLimitsSchema.parse({})),
  })
  .strict();

export type StdioTemplate = z.infer<typeof stdioTemplateSchema>;
export type StdioLimits = z.infer<typeof stdioLimitsSchema>;
export const DEFAULT_STDIO_LIMITS: StdioLimits = stdioLimitsSchema.parse({});

/**
 * Reads the operator's templates: STDIO_TEMPLATES (a JSON array) or STDIO_TEMPLATES_FILE (a JSON
 * file holding one). Throws a sentence naming the setting and the field on a bad definition.
 */
export function parseStdioTemplates(inline: string | undefined, file: string | undefined): StdioTemplate[] {
  let raw: unknown = [];
  let source = 'STDIO_TEMPLATES';
  if (file) {
    source = `STDIO_TEMPLATES_FILE (${file})`;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new Error(`${source} could not be read as JSON: ${(error as Error).message}`, { cause: error });
    }
  } else if (inline && inline.trim()) {
    try {
      raw = JSON.parse(inline);
    } catch (error) {
      throw new Error(`${source} is not valid JSON: ${(error as Error).message}`, { cause: error });
    }
  }
  const parsed = z.array(stdioTemplateSchema).max(200).safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${source}: /${issue.path.join('/')} ${issue.message}`);
  }
  const ids = new Set<string>();
  for (const template of parsed.data) {
    if (ids.has(template.id)) throw new Error(`${source}: template id "${template.id}" is defined twice`);
    ids.add(template.id);
  }
  return parsed.data;
}

/** What a tenant may see of a template (for the registration form and the REST API). */
export function describeTemplate(template: StdioTemplate) {
  return {
    id: template.id,
    name: template.name,
    description: template.description,
    env: Object.entries(template.tenantEnv).map(([name, spec]) => ({
      name,
      required: spec.required,
      description: spec.description,
    })),
    extraArgs: template.tenantArgs
      ? { max: template.tenantArgs.max, description: template.tenantArgs.description }
      : null,
  };
}

/** A refused stdio registration or launch; `field` points at the form field / JSON pointer to fix. */
export class StdioRefusedError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'StdioRefusedError';
  }
}

function fullMatch(source: string, value: string): boolean {
  return new RegExp(`^(?:${source})$`, 'u').test(value);
}

/** Checks a tenant's values against a template; throws StdioRefusedError naming the value. */
export function checkTenantValues(
  template: StdioTemplate,
  args: readonly string[],
  envNames: readonly string[],
  env?: Record<string, string>,
): void {
  const allowedArgs = template.tenantArgs;
  if (args.length > (allowedArgs?.max ?? 0)) {
    throw new StdioRefusedError(
      allowedArgs?.max
        ? `Template "${template.id}" takes at most ${allowedArgs.max} extra arguments.`
        : `Template "${template.id}" takes no extra arguments.`,
      'args',
    );
  }
  args.forEach((arg, i) => {
    if (!fullMatch(allowedArgs!.pattern, arg))
      throw new StdioRefusedError(
        `Argument ${i + 1} (${JSON.stringify(arg.slice(0, 80))}) is not allowed by template "${template.id}".`,
        `args/${i}`,
      );
  });
  for (const name of envNames) {
    const spec = Object.hasOwn(template.tenantEnv, name) ? template.tenantEnv[name] : undefined;
    if (!spec) {
      const declared = Object.keys(template.tenantEnv);
      throw new StdioRefusedError(
        `Environment variable ${name} is not one template "${template.id}" accepts${declared.length ? ` (it accepts ${declared.join(', ')})` : ' (it accepts none)'}.`,
        'env',
      );
    }
    if (env && !fullMatch(spec.pattern, env[name] ?? ''))
      throw new StdioRefusedError(
        `The value of ${name} does not have the form template "${template.id}" requires.`,
        'env',
      );
  }
  for (const [name, spec] of Object.entries(template.tenantEnv)) {
    if (spec.required && !envNames.includes(name))
      throw new StdioRefusedError(`Template "${template.id}" needs ${name}.`, 'env');
  }
}

/** Where free-form stdio command lines are allowed: one organization, and the argv allow-list. */
export interface StdioFreeform {
  organizationId: string;
  /** Allow-list entries, each a whole argv split on whitespace; a last word `*` allows further arguments. */
  commands: readonly string[];
}

export function stdioCommandAllowed(entries: readonly string[], argv: readonly string[]): boolean {
  return entries.some((entry) => {
    const words = entry.trim().split(/\s+/).filter(Boolean);
    if (words.length === 0) return false;
    const open = words[words.length - 1] === '*';
    const fixed = open ? words.slice(0, -1) : words;
    if (open ? argv.length < fixed.length : argv.length !== fixed.length) return false;
    return fixed.every((word, i) => word === argv[i]);
  });
}

/** What a stdio server row asks for. */
export interface StdioRequest {
  organizationId: string;
  template?: string | null;
  command?: string | null;
  args: readonly string[];
  env: Record<string, string>;
}

/** The process to start, before confinement. */
export interface StdioLaunch {
  command: string;
  args: string[];
  env: Record<string, string>;
  template: StdioTemplate | undefined;
}

/**
 * The argv and environment a stdio server row runs, checked against the operator's templates (or,
 * in single-organization mode, the free-form allow-list). Checked again at every launch, so a
 * template the operator narrows applies to servers registered before.
 */
export function resolveStdioLaunch(
  request: StdioRequest,
  templates: readonly StdioTemplate[],
  freeform: StdioFreeform | undefined,
): StdioLaunch {
  if (request.template) {
    const template = templates.find((t) => t.id === request.template);
    if (!template)
      throw new StdioRefusedError(
        `Stdio template "${request.template}" is not offered here (the operator's STDIO_TEMPLATES).`,
        'stdioTemplate',
      );
    checkTenantValues(template, request.args, Object.keys(request.env), request.env);
    return {
      command: template.command,
      args: [...template.args, ...request.args],
      env: { ...request.env, ...template.env },
      template,
    };
  }
  const command = request.command?.trim();
  if (!command)
    throw new StdioRefusedError('Pick one of the stdio templates this deployment offers.', 'stdioTemplate');
  if (!freeform || freeform.organizationId !== request.organizationId) {
    throw new StdioRefusedError(
      'Free-form stdio command lines are disabled here: pick one of the stdio templates the operator offers (STDIO_TEMPLATES).',
      'command',
    );
  }
  const argv = [command, ...request.args];
  if (!stdioCommandAllowed(freeform.commands, argv)) {
    const shown = argv.join(' ');
    throw new StdioRefusedError(
      `Command line ${JSON.stringify(shown.length > 200 ? `${shown.slice(0, 200)}…` : shown)} is not allowed by STDIO_COMMANDS.`,
      'command',
    );
  }
  return { command, args: [...request.args], env: { ...request.env }, template: undefined };
}
