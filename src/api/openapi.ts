import { z } from 'zod'
import { ROUTE_NAMES, ROUTES, type RouteDefinition } from './routes.ts'
import { ErrorSchema } from './schemas.ts'

// The OpenAPI 3.1 document of the API, generated from ROUTES: zod 4 writes JSON Schema
// (draft 2020-12, which OpenAPI 3.1 adopts whole), so the document is always what the server
// validates. Query and path parameters are described as they arrive (input), responses as they
// leave (output).

/** A JSON Schema object as zod writes it. */
type JsonSchema = Record<string, unknown>

/**
 * A schema as JSON Schema. Named schemas (`.meta({ id })`) come back as `$defs` with local refs;
 * they are moved to `components.schemas` (collected in `defs`) and the refs pointed there.
 */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output', defs: Record<string, unknown>): JsonSchema {
  const raw = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema
  const text = JSON.stringify(raw).replaceAll('"#/$defs/', '"#/components/schemas/')
  const { $schema: _, $defs, ...out } = JSON.parse(text) as JsonSchema
  if ($defs !== undefined) Object.assign(defs, $defs)
  return out
}

/** The parameters of a route's params or query object, one OpenAPI parameter per key. */
function parameters(
  schema: z.ZodObject | undefined,
  where: 'path' | 'query',
  defs: Record<string, unknown>,
): JsonSchema[] {
  if (schema === undefined) return []
  const js = jsonSchema(schema, 'input', defs)
  const props = (js.properties ?? {}) as Record<string, JsonSchema>
  const required = new Set((js.required ?? []) as string[])
  return Object.entries(props).map(([name, s]) => {
    const { description, ...rest } = s
    return {
      name,
      in: where,
      required: where === 'path' || required.has(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
      ...(Array.isArray(rest.anyOf) || rest.type === 'array' ? { explode: true } : {}),
    }
  })
}

function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z_]\w*)/g, '{$1}')
}

const ERROR_STATUSES: Readonly<Record<string, string>> = {
  '400': 'Malformed or invalid input; the message names the field, what was expected and what was found',
  '401': 'No token, or an unknown or revoked one',
  '403': 'The token lacks the role or the machine scope',
  '404': 'Nothing has that id or name',
  '409': 'The request contradicts stored state',
  '413': 'The body is over the size cap',
  '415': 'The body has a content type or encoding that is not accepted',
  '501': 'Not provided by this server yet',
}

function operation(name: string, def: RouteDefinition, defs: Record<string, unknown>): JsonSchema {
  const errorRef = { $ref: '#/components/responses/Error' }
  const errors: Record<string, unknown> = {}
  const relevant = ['400', '404']
  if (def.auth !== 'public') relevant.push('401', '403')
  if (def.bodyKind !== 'none') relevant.push('409', '413', '415')
  if (def.tag === 'changes') relevant.push('501')
  for (const status of relevant.sort()) errors[status] = { ...errorRef, description: ERROR_STATUSES[status] }
  const op: JsonSchema = {
    operationId: name,
    summary: def.summary,
    ...(def.description === undefined ? {} : { description: def.description }),
    tags: [def.tag],
    parameters: [...parameters(def.params, 'path', defs), ...parameters(def.query, 'query', defs)],
    responses: {
      [String(def.status)]: {
        description: def.summary,
        content:
          def.responseType === 'text'
            ? { 'text/plain': { schema: { type: 'string' } } }
            : { 'application/json': { schema: jsonSchema(def.response, 'output', defs) } },
      },
      ...errors,
    },
  }
  if (def.auth !== 'public') {
    op.security = [{ bearer: [] }]
    op['x-langperf-role'] = def.auth
  }
  if (def.body !== undefined && def.bodyKind !== 'none') {
    const schema = jsonSchema(def.body, 'input', defs)
    op.requestBody = {
      required: true,
      content:
        def.bodyKind === 'pyperf'
          ? {
              'application/json': { schema },
              'application/gzip': { schema: { type: 'string', format: 'binary' } },
            }
          : { 'application/json': { schema } },
    }
  }
  return op
}

/** Options of buildOpenApiDocument. */
export interface OpenApiOptions {
  /** The server's base URL, listed under `servers`; none when absent. */
  readonly serverUrl?: string
  /** The API's version string; `1` when absent. */
  readonly version?: string
}

/** The OpenAPI 3.1 document of every route in ROUTES. */
export function buildOpenApiDocument(options: OpenApiOptions = {}): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {}
  const defs: Record<string, unknown> = {}
  for (const name of ROUTE_NAMES) {
    const def: RouteDefinition = ROUTES[name]
    const path = openApiPath(def.path)
    paths[path] = { ...paths[path], [def.method.toLowerCase()]: operation(name, def, defs) }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'langperf API',
      version: options.version ?? '1',
      description:
        'Read runs, series, comparisons and changes of a langperf portal; write results with a token. See docs/api.md.',
    },
    ...(options.serverUrl === undefined ? {} : { servers: [{ url: options.serverUrl }] }),
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'A token from `langperf token create` (lp_…), as `Authorization: Bearer lp_…`',
        },
      },
      schemas: { ...defs, Error: jsonSchema(ErrorSchema, 'output', defs) },
      responses: {
        Error: {
          description: 'An error',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      },
    },
  }
}
