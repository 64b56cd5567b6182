// The recipe schema: what apps/<name>/recipe.json may say (docs/porting-an-app.md explains each key).

export interface Recipe {
  name: string;
  description?: string;
  source: { debian: string } | { dir: string };
  /** The file the build links (relative to the source tree), e.g. "objs/nginx". */
  program: string;
  patches?: { file: string; reason: string }[];
  configure?: string[];
  make?: string[];
  files?: Record<string, string>;
  templates?: Record<string, string>;
  cmdline: string[];
  env?: Record<string, string>;
  ports?: number[];
  memory?: string;
  network?: { mode: 'dhcp' } | { mode: 'static'; address: string; gateway?: string };
  disk?: { mount: string; fstype?: 'ext4' | 'vfat' };
  verify?: { console?: string; exitCode?: number; http?: { port: number; path: string; status: number; body?: string } };
}

const str = { type: 'string', minLength: 1 } as const;
const strMap = { type: 'object', additionalProperties: str } as const;

export const recipeSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'source', 'program', 'cmdline'],
  properties: {
    $schema: { type: 'string' },
    name: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]*$' },
    description: { type: 'string' },
    source: {
      oneOf: [
        { type: 'object', additionalProperties: false, required: ['debian'], properties: { debian: str } },
        { type: 'object', additionalProperties: false, required: ['dir'], properties: { dir: str } },
      ],
    },
    program: { type: 'string', pattern: '^[^/](.*[^/])?$' },
    patches: {
      type: 'array',
      items: { type: 'object', additionalProperties: false, required: ['file', 'reason'], properties: { file: str, reason: { type: 'string', minLength: 10 } } },
    },
    configure: { type: 'array', items: { type: 'string' } },
    make: { type: 'array', items: { type: 'string' } },
    files: strMap,
    templates: strMap,
    cmdline: { type: 'array', minItems: 1, items: { type: 'string' } },
    env: strMap,
    ports: { type: 'array', items: { type: 'integer', minimum: 1, maximum: 65535 } },
    memory: { type: 'string', pattern: '^[0-9]+[KMG]$' },
    network: {
      oneOf: [
        { type: 'object', additionalProperties: false, required: ['mode'], properties: { mode: { const: 'dhcp' } } },
        { type: 'object', additionalProperties: false, required: ['mode', 'address'], properties: { mode: { const: 'static' }, address: str, gateway: str } },
      ],
    },
    disk: { type: 'object', additionalProperties: false, required: ['mount'], properties: { mount: str, fstype: { enum: ['ext4', 'vfat'] } } },
    verify: {
      type: 'object',
      additionalProperties: false,
      properties: {
        console: { type: 'string' },
        exitCode: { type: 'integer', minimum: 0, maximum: 255 },
        http: {
          type: 'object',
          additionalProperties: false,
          required: ['port', 'path', 'status'],
          properties: { port: { type: 'integer' }, path: { type: 'string' }, status: { type: 'integer' }, body: { type: 'string' } },
        },
      },
    },
  },
} as const;
