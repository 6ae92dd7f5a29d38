import { z } from 'zod';
import { idempotencyKeyPattern } from '../../domain/api/idempotency.js';
import { webhookPayloadSchemas } from '../../domain/webhooks/payload-schemas.js';
import { ATTEMPT_PAGE_MAX } from '../../domain/webhooks/list-attempts.js';
import { attachmentRules } from '../../domain/tickets/attachments.js';
import { jsonLimits } from '../middleware/bodies.js';
import { t, type Locale } from '../../i18n/i18n.js';
import {
  apiReplyInput,
  apiTicketInput,
  apiTicketListQuery,
  attachmentJson,
  attachmentListJson,
  einvoiceReceiptJson,
  errorJson,
  replyJson,
  ticketDetailJson,
  ticketJson,
  ticketListJson,
  ticketSummaryJson,
  timelineEntryJson,
} from './schemas.js';
import { serializeTicket } from './serialize.js';
import {
  apiEndpointInput,
  apiEndpointUpdate,
  apiSecretRotation,
  endpointJson,
  endpointListJson,
  endpointWithSecretJson,
} from './webhook-schemas.js';
import { apiReplayInput, attemptListJson, replayResultJson, testEventJson } from './webhook-ops-schemas.js';
import { maxRecordFileBytes, recordFileTypes } from '../../domain/quality/record-files.js';
import { recordExportQuery, recordImportJson } from './record-files.js';

/**
 * The API's description: one table of operations, from which both the OpenAPI 3.1 document
 * (GET /api/v1/openapi.json) and the rendered docs (GET /api/v1/docs) are made. Request and
 * response schemas are generated from the zod schemas the code validates and serializes with,
 * so the description cannot drift from the behaviour. Texts come from the catalogues (api.json).
 */

export const API_BASE = '/api/v1';

type JsonSchema = Record<string, unknown>;

interface ParamSpec {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: JsonSchema;
  /** Catalogue key of its description, when not api.params.<name>. */
  descriptionKey?: string;
}

interface ResponseSpec {
  /** Key under api.responses. */
  text: string;
  /** Component name, or an inline schema. */
  schema?: string | JsonSchema;
  contentType?: string;
  headers?: string[];
}

export interface OperationSpec {
  id: string;
  method: 'get' | 'post' | 'patch';
  /** Catalogue key of its summary and description, when not api.ops.<id>. */
  textKey?: string;
  /** Its tag, when not tickets (secured) or meta. */
  tag?: string;
  /** Express pattern under API_BASE, e.g. /tickets/:ref. */
  path: string;
  secured: boolean;
  params: ParamSpec[];
  body?: {
    contentType: string;
    schema: string | JsonSchema;
    examples?: Record<string, unknown>;
    encoding?: Record<string, { contentType: string }>;
    /** Further content types taking the same body (a raw file sent as any of them). */
    alsoAccepts?: string[];
  };
  responses: Record<string, ResponseSpec>;
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, {
    io,
    target: 'draft-2020-12',
    unrepresentable: 'any',
  }) as JsonSchema;
  if (io === 'input') statesTrimming(rest);
  return rest;
}

/**
 * Required texts are trimmed before their minimum length is checked (`"   "` is empty): a
 * pattern says so, so that a client never sends a text only the trimming refuses.
 */
function statesTrimming(node: unknown): void {
  const stack: unknown[] = [node];
  while (stack.length) {
    const n = stack.pop();
    if (!n || typeof n !== 'object') continue;
    if (Array.isArray(n)) {
      stack.push(...(n as unknown[]));
      continue;
    }
    const s = n as JsonSchema;
    const min = s.minLength;
    if (
      s.type === 'string' &&
      typeof min === 'number' &&
      min >= 1 &&
      !s.pattern &&
      !s.format &&
      !s.enum &&
      !('const' in s)
    ) {
      s.pattern = min === 1 ? '\\S' : `^\\s*\\S[\\s\\S]{${min - 2},}\\S\\s*$`;
    }
    stack.push(...Object.values(s));
  }
}

/** Named schemas of the document (components.schemas). */
const components: Record<string, { schema: z.ZodType; io: 'input' | 'output' }> = {
  TicketInput: { schema: apiTicketInput, io: 'input' },
  ReplyInput: { schema: apiReplyInput, io: 'input' },
  Ticket: { schema: ticketJson, io: 'output' },
  TicketSummary: { schema: ticketSummaryJson, io: 'output' },
  TicketDetail: { schema: ticketDetailJson, io: 'output' },
  TicketList: { schema: ticketListJson, io: 'output' },
  TimelineEntry: { schema: timelineEntryJson, io: 'output' },
  Reply: { schema: replyJson, io: 'output' },
  Attachment: { schema: attachmentJson, io: 'output' },
  AttachmentList: { schema: attachmentListJson, io: 'output' },
  EInvoiceReceipt: { schema: einvoiceReceiptJson, io: 'output' },
  Error: { schema: errorJson, io: 'output' },
  WebhookEndpointInput: { schema: apiEndpointInput, io: 'input' },
  WebhookEndpointUpdate: { schema: apiEndpointUpdate, io: 'input' },
  WebhookSecretRotation: { schema: apiSecretRotation, io: 'input' },
  WebhookEndpoint: { schema: endpointJson, io: 'output' },
  WebhookEndpointWithSecret: { schema: endpointWithSecretJson, io: 'output' },
  WebhookEndpointList: { schema: endpointListJson, io: 'output' },
  WebhookTestEvent: { schema: testEventJson, io: 'output' },
  WebhookAttemptList: { schema: attemptListJson, io: 'output' },
  WebhookReplayInput: { schema: apiReplayInput, io: 'input' },
  WebhookReplayResult: { schema: replayResultJson, io: 'output' },
};

/** Example request bodies, one per ticket type (a test checks they pass validation). */
export const ticketExamples = {
  data_entry: {
    type: 'data_entry',
    subject: 'Enter the March delivery notes',
    description: 'Scans are in the shared folder /deliveries/2026-03.',
    priority: 'normal',
    tags: ['march', 'warehouse-verona'],
    fields: {
      batchDescription: '412 delivery notes from the Verona warehouse',
      targetSystem: 'SAP S/4HANA',
      expectedRecordCount: 412,
    },
  },
  complaint: {
    type: 'complaint',
    subject: 'Parcel arrived damaged',
    description: 'The customer called on Monday; photos will follow as attachments.',
    priority: 'high',
    fields: {
      customerName: 'Mario Rossi',
      customerReference: 'ORD-2026-0042',
      channel: 'phone',
      category: 'Delivery',
      severity: 'medium',
      requestedRemedy: 'Replacement of the goods',
    },
  },
  invoice: {
    type: 'invoice',
    subject: 'Invoice 2026/118 from Nordic Paper',
    priority: 'normal',
    fields: {
      supplierName: 'Nordic Paper A/S',
      supplierVat: 'DK 12 34 56 74',
      invoiceNumber: '2026/118',
      issueDate: '2026-03-02',
      dueDate: '2026-04-01',
      amount: 1250.5,
      currency: 'EUR',
      poNumber: 'PO-7781',
    },
  },
} as const;

export const replyExample = { body: 'The photos of the damaged parcel are attached now.' };
const replyAndResolveExample = { body: 'Thanks, that settles it.', status: 'resolved' };

const sampleTicket = serializeTicket({
  _id: '65f1c0ffee0000000000a001',
  number: 'ACME-000123',
  type: 'invoice',
  subject: ticketExamples.invoice.subject,
  description: '',
  priority: 'normal',
  status: 'new',
  channel: 'api',
  tags: [],
  fields: { ...ticketExamples.invoice.fields, supplierVat: 'DK12345674' },
  duplicateOf: { number: 'ACME-000097' },
  requester: { name: 'Chiara Bianchi', email: 'admin@acme.example' },
  assignee: null,
  version: 1,
  createdAt: '2026-03-03T09:15:00.000Z',
  updatedAt: '2026-03-03T09:15:00.000Z',
  lastActivityAt: '2026-03-03T09:15:00.000Z',
});

const ref: ParamSpec = {
  name: 'ref',
  in: 'path',
  required: true,
  schema: { type: 'string', examples: ['ACME-000123'] },
};
const listQueryParams: ParamSpec[] = Object.entries(
  (jsonSchema(apiTicketListQuery, 'input').properties ?? {}) as Record<string, JsonSchema>,
).map(([name, schema]) => ({ name, in: 'query', required: false, schema }));
const idempotencyHeader: ParamSpec = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  schema: { type: 'string', minLength: 1, maxLength: 255, pattern: idempotencyKeyPattern.source },
};

const refusals = {
  '401': { text: 'unauthenticated', schema: 'Error', headers: ['WWW-Authenticate'] },
  '429': { text: 'rate_limited', schema: 'Error', headers: ['Retry-After'] },
} satisfies Record<string, ResponseSpec>;
const notFound: ResponseSpec = { text: 'not_found', schema: 'Error' };
const invalid: ResponseSpec = { text: 'validation', schema: 'Error' };
/** The database cannot be reached: any operation that reads or writes may answer this. */
const unavailable = {
  '503': { text: 'limits.responses.unavailable', schema: 'Error', headers: ['Retry-After'] },
} satisfies Record<string, ResponseSpec>;
/** A JSON body is refused before validation when it does not parse, nests too deep or is too large (middleware/bodies.ts). */
const jsonBodyRefusals = {
  '400': { text: 'limits.responses.bad_request', schema: 'Error' },
  '413': { text: 'limits.responses.payload_too_large', schema: 'Error' },
  '415': { text: 'limits.responses.unsupported_encoding', schema: 'Error' },
} satisfies Record<string, ResponseSpec>;
/** Response texts: a key under api.responses, or a full key (with a dot) of another catalogue. */
const responseText = (locale: Locale, text: string): string =>
  t(locale, text.includes('.') ? text : `api.responses.${text}`, {
    depth: jsonLimits.depth,
    kb: Math.round(jsonLimits.bytes / 1024),
  });

/** Endpoints of the token's company that receive its signed webhooks (server/domain/webhooks/). */
// Long function: declarations, one object per webhook-endpoint operation of the OpenAPI document.
function webhookOperations(): OperationSpec[] {
  const endpointId: ParamSpec = {
    name: 'endpointId',
    in: 'path',
    required: true,
    schema: { type: 'string', pattern: '^[0-9a-f]{24}$' },
    descriptionKey: 'webhooks.api.params.endpoint_id',
  };
  const common = { secured: true, tag: 'webhooks' } as const;
  const text = (id: string) => `webhooks.api.ops.${id}`;
  const response = (key: string) => `webhooks.api.responses.${key}`;
  return [
    {
      ...common,
      id: 'listWebhookEndpoints',
      textKey: text('list'),
      method: 'get',
      path: '/webhook-endpoints',
      params: [],
      responses: {
        '200': { text: response('list'), schema: 'WebhookEndpointList' },
        ...refusals,
        ...unavailable,
      },
    },
    {
      ...common,
      id: 'createWebhookEndpoint',
      textKey: text('create'),
      method: 'post',
      path: '/webhook-endpoints',
      params: [],
      body: {
        contentType: 'application/json',
        schema: 'WebhookEndpointInput',
        examples: {
          erp: {
            url: 'https://erp.acme.example/desk-events',
            description: 'ERP',
            events: ['ticket.created', 'ticket.status_changed'],
            orderedPerTicket: true,
          },
        },
      },
      responses: {
        '201': { text: response('created'), schema: 'WebhookEndpointWithSecret', headers: ['Location'] },
        ...jsonBodyRefusals,
        ...refusals,
        '422': invalid,
        ...unavailable,
      },
    },
    {
      ...common,
      id: 'getWebhookEndpoint',
      textKey: text('get'),
      method: 'get',
      path: '/webhook-endpoints/:endpointId',
      params: [endpointId],
      responses: {
        '200': { text: response('endpoint'), schema: 'WebhookEndpoint' },
        ...refusals,
        '404': notFound,
        ...unavailable,
      },
    },
    {
      ...common,
      id: 'updateWebhookEndpoint',
      textKey: text('update'),
      method: 'patch',
      path: '/webhook-endpoints/:endpointId',
      params: [endpointId],
      body: {
        contentType: 'application/json',
        schema: 'WebhookEndpointUpdate',
        examples: { pause: { state: 'disabled' } },
      },
      responses: {
        '200': { text: response('endpoint'), schema: 'WebhookEndpoint' },
        ...jsonBodyRefusals,
        ...refusals,
        '404': notFound,
        '409': { text: response('conflict'), schema: 'Error' },
        '422': invalid,
        ...unavailable,
      },
    },
    {
      ...common,
      id: 'rotateWebhookSecret',
      textKey: text('rotate'),
      method: 'post',
      path: '/webhook-endpoints/:endpointId/rotate-secret',
      params: [endpointId],
      body: {
        contentType: 'application/json',
        schema: 'WebhookSecretRotation',
        examples: { day: { overlapSeconds: 86400 } },
      },
      responses: {
        '200': { text: response('rotated'), schema: 'WebhookEndpointWithSecret' },
        ...jsonBodyRefusals,
        ...refusals,
        '404': notFound,
        '409': { text: response('conflict'), schema: 'Error' },
        '422': invalid,
        ...unavailable,
      },
    },
    ...webhookOpsOperations(endpointId),
  ];
}

/** The operable part (issue 19, item 4): test event, attempt history, replay. */
function webhookOpsOperations(endpointId: ParamSpec): OperationSpec[] {
  const common = { secured: true, tag: 'webhooks' } as const;
  const text = (id: string) => `webhook_ops.api.ops.${id}`;
  const response = (key: string) => `webhook_ops.api.responses.${key}`;
  return [
    {
      ...common,
      id: 'sendWebhookTestEvent',
      textKey: text('test'),
      method: 'post',
      path: '/webhook-endpoints/:endpointId/test',
      params: [endpointId],
      responses: {
        '202': { text: response('test'), schema: 'WebhookTestEvent' },
        ...refusals,
        '404': notFound,
        '409': { text: response('disabled'), schema: 'Error' },
        ...unavailable,
      },
    },
    {
      ...common,
      id: 'listWebhookAttempts',
      textKey: text('attempts'),
      method: 'get',
      path: '/webhook-endpoints/:endpointId/attempts',
      params: [
        endpointId,
        {
          name: 'before',
          in: 'query',
          required: false,
          schema: { type: 'string', pattern: '^[0-9a-f]{24}$' },
          descriptionKey: 'webhook_ops.api.params.before',
        },
        {
          name: 'limit',
          in: 'query',
          required: false,
          schema: { type: 'integer', minimum: 1, maximum: ATTEMPT_PAGE_MAX, default: 50 },
          descriptionKey: 'webhook_ops.api.params.limit',
        },
      ],
      responses: {
        '200': { text: response('attempts'), schema: 'WebhookAttemptList' },
        ...refusals,
        '404': notFound,
        '422': invalid,
        ...unavailable,
      },
    },
    {
      ...common,
      id: 'replayWebhookEvents',
      textKey: text('replay'),
      method: 'post',
      path: '/webhook-endpoints/:endpointId/replay',
      params: [endpointId],
      body: {
        contentType: 'application/json',
        schema: 'WebhookReplayInput',
        examples: {
          one: { eventId: '65f1c0de8b9e4a0012345678' },
          range: { from: '2026-03-01T00:00:00Z', to: '2026-03-02T00:00:00Z' },
        },
      },
      responses: {
        '200': { text: response('replay'), schema: 'WebhookReplayResult' },
        ...jsonBodyRefusals,
        ...refusals,
        '404': notFound,
        '409': { text: 'webhook_ops.replay_busy', schema: 'Error' },
        '422': invalid,
        ...unavailable,
      },
    },
  ];
}

/** The records of a data-entry ticket as CSV/XLSX files (issue #18; api/record-files.ts). */
function recordFileOperations(): OperationSpec[] {
  const text = (id: string) => `keying_files.api.ops.${id}`;
  const response = (key: string) => `keying_files.api.responses.${key}`;
  const file = { type: 'string', contentMediaType: 'application/octet-stream' };
  return [
    {
      id: 'importRecords',
      textKey: text('import'),
      method: 'post',
      path: '/tickets/:ref/records',
      secured: true,
      params: [ref],
      body: {
        // The file as it is: CSV text, or an XLSX workbook.
        contentType: 'text/csv',
        schema: { type: 'string', minLength: 1, maxLength: maxRecordFileBytes },
        alsoAccepts: [recordFileTypes.xlsx, 'application/octet-stream'],
      },
      responses: {
        '200': { text: response('imported'), schema: jsonSchema(recordImportJson, 'output') },
        ...refusals,
        '404': notFound,
        '409': { text: response('not_open'), schema: 'Error' },
        '413': { text: 'limits.responses.payload_too_large', schema: 'Error' },
        '415': { text: response('unsupported_type'), schema: 'Error' },
        '422': { text: response('refused'), schema: 'Error' },
        ...unavailable,
      },
    },
    {
      id: 'exportRecords',
      textKey: text('export'),
      method: 'get',
      path: '/tickets/:ref/records',
      secured: true,
      params: [
        ref,
        {
          name: 'format',
          in: 'query',
          required: false,
          schema: (jsonSchema(recordExportQuery, 'input').properties as Record<string, JsonSchema>).format!,
          descriptionKey: 'keying_files.api.params.format',
        },
      ],
      responses: {
        '200': {
          text: response('export'),
          contentType: 'text/csv',
          schema: file,
          headers: ['Content-Disposition'],
        },
        ...refusals,
        '404': notFound,
        '409': { text: response('not_open'), schema: 'Error' },
        '422': invalid,
        ...unavailable,
      },
    },
  ];
}

export const operations: OperationSpec[] = [
  {
    id: 'createTicket',
    method: 'post',
    path: '/tickets',
    secured: true,
    params: [idempotencyHeader],
    body: { contentType: 'application/json', schema: 'TicketInput', examples: ticketExamples },
    responses: {
      '201': { text: 'ticket_created', schema: 'Ticket', headers: ['Location', 'Idempotent-Replayed'] },
      ...jsonBodyRefusals,
      ...refusals,
      '409': { text: 'idempotency_conflict', schema: 'Error', headers: ['Retry-After'] },
      '422': invalid,
      ...unavailable,
    },
  },
  {
    id: 'receiveEInvoice',
    method: 'post',
    path: '/einvoices',
    secured: true,
    params: [
      { name: 'filename', in: 'query', required: false, schema: { type: 'string', maxLength: 200 } },
      { name: 'X-Filename', in: 'header', required: false, schema: { type: 'string', maxLength: 200 } },
    ],
    body: {
      // The file as it is: FatturaPA or UBL XML, a signed .p7m, or a ZIP of them.
      contentType: 'application/xml',
      schema: {
        type: 'string',
        contentMediaType: 'application/octet-stream',
        minLength: 1,
        maxLength: attachmentRules.maxBytes,
      },
      alsoAccepts: ['text/xml', 'application/pkcs7-mime', 'application/octet-stream', 'application/zip'],
    },
    responses: {
      '200': { text: 'einvoices.api.known', schema: 'EInvoiceReceipt' },
      '201': { text: 'einvoices.api.received', schema: 'EInvoiceReceipt' },
      '400': { text: 'limits.responses.bad_request', schema: 'Error' },
      ...refusals,
      '413': { text: 'limits.responses.payload_too_large', schema: 'Error' },
      '415': { text: 'einvoices.api.unsupported_type', schema: 'Error' },
      '422': { text: 'einvoices.api.unreadable', schema: 'Error' },
      ...unavailable,
    },
  },
  {
    id: 'listTickets',
    method: 'get',
    path: '/tickets',
    secured: true,
    params: listQueryParams,
    responses: {
      '200': { text: 'ticket_list', schema: 'TicketList' },
      ...refusals,
      '422': invalid,
      ...unavailable,
    },
  },
  {
    id: 'getTicket',
    method: 'get',
    path: '/tickets/:ref',
    secured: true,
    params: [ref],
    responses: {
      '200': { text: 'ticket_detail', schema: 'TicketDetail' },
      ...refusals,
      '404': notFound,
      ...unavailable,
    },
  },
  {
    id: 'addReply',
    method: 'post',
    path: '/tickets/:ref/replies',
    secured: true,
    params: [ref],
    body: {
      contentType: 'application/json',
      schema: 'ReplyInput',
      examples: { reply: replyExample, replyAndResolve: replyAndResolveExample },
    },
    responses: {
      '201': { text: 'reply_created', schema: 'Reply' },
      ...jsonBodyRefusals,
      ...refusals,
      '404': notFound,
      '409': { text: 'ticket_closed', schema: 'Error' },
      '422': invalid,
      ...unavailable,
    },
  },
  {
    id: 'uploadAttachments',
    method: 'post',
    path: '/tickets/:ref/attachments',
    secured: true,
    params: [ref],
    body: {
      contentType: 'multipart/form-data',
      schema: {
        type: 'object',
        required: ['file'],
        properties: {
          // Each file: not empty, at most the size cap, one of the accepted types (by content).
          file: {
            type: 'array',
            minItems: 1,
            maxItems: attachmentRules.maxFiles,
            items: {
              type: 'string',
              contentMediaType: 'application/octet-stream',
              minLength: 1,
              maxLength: attachmentRules.maxBytes,
            },
          },
        },
      },
      encoding: {
        file: {
          contentType: [...attachmentRules.binaryTypes.keys(), ...attachmentRules.textTypes.values()].join(
            ', ',
          ),
        },
      },
    },
    responses: {
      '201': { text: 'attachments_stored', schema: 'AttachmentList' },
      '400': { text: 'limits.responses.bad_multipart', schema: 'Error' },
      ...refusals,
      '404': notFound,
      '409': { text: 'ticket_closed', schema: 'Error' },
      '422': invalid,
      ...unavailable,
    },
  },
  {
    id: 'downloadAttachment',
    method: 'get',
    path: '/attachments/:id',
    secured: true,
    params: [
      { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^[0-9a-f]{24}$' } },
    ],
    responses: {
      '200': {
        text: 'attachment_bytes',
        contentType: 'application/octet-stream',
        schema: { type: 'string', contentMediaType: 'application/octet-stream' },
        headers: ['Content-Disposition'],
      },
      ...refusals,
      '404': notFound,
      ...unavailable,
    },
  },
  ...recordFileOperations(),
  ...webhookOperations(),
  {
    id: 'getOpenApi',
    method: 'get',
    path: '/openapi.json',
    secured: false,
    params: [],
    responses: { '200': { text: 'openapi', schema: { type: 'object' } } },
  },
  {
    id: 'getDocs',
    method: 'get',
    path: '/docs',
    secured: false,
    params: [],
    responses: { '200': { text: 'docs', contentType: 'text/html', schema: { type: 'string' } } },
  },
];

const opKey = (op: OperationSpec): string => op.textKey ?? `api.ops.${op.id}`;
const paramKey = (p: ParamSpec): string =>
  p.descriptionKey ?? `api.params.${p.name.toLowerCase().replace(/-/g, '_')}`;

/** Express pattern to OpenAPI path template: /tickets/:ref -> /tickets/{ref}. */
export const openApiPath = (path: string): string => path.replace(/:(\w+)/g, '{$1}');

const headerSchemas: Record<string, JsonSchema> = {
  Location: { type: 'string' },
  'Idempotent-Replayed': { type: 'string', enum: ['true'] },
  'Retry-After': { type: 'integer', minimum: 1 },
  'WWW-Authenticate': { type: 'string' },
  'Content-Disposition': { type: 'string' },
};

const schemaRef = (s: string | JsonSchema): JsonSchema =>
  typeof s === 'string' ? { $ref: `#/components/schemas/${s}` } : s;

const documents = new Map<Locale, JsonSchema>();

/** The OpenAPI 3.1 document, texts in the given locale. */
// Long function: the OpenAPI document assembled in one place.
export function openApiDocument(locale: Locale = 'en'): JsonSchema {
  const cached = documents.get(locale);
  if (cached) return cached;
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) {
    const path = openApiPath(op.path);
    paths[path] ??= {};
    paths[path][op.method] = {
      operationId: op.id,
      summary: t(locale, `${opKey(op)}.summary`),
      description: t(locale, `${opKey(op)}.description`, {
        max: attachmentRules.maxFiles,
        mb: attachmentRules.maxBytes / 1024 / 1024,
      }),
      tags: [op.tag ?? (op.secured ? 'tickets' : 'meta')],
      security: op.secured ? [{ bearerAuth: [] }] : [],
      parameters: op.params.map((p) => ({
        name: p.name,
        in: p.in,
        required: p.required,
        description: t(locale, paramKey(p)),
        schema: p.schema,
      })),
      ...(op.body
        ? {
            requestBody: {
              required: true,
              content: {
                ...Object.fromEntries(
                  (op.body.alsoAccepts ?? []).map((type) => [type, { schema: schemaRef(op.body!.schema) }]),
                ),
                [op.body.contentType]: {
                  schema: schemaRef(op.body.schema),
                  ...(op.body.encoding ? { encoding: op.body.encoding } : {}),
                  ...(op.body.examples
                    ? {
                        examples: Object.fromEntries(
                          Object.entries(op.body.examples).map(([name, value]) => [name, { value }]),
                        ),
                      }
                    : {}),
                },
              },
            },
          }
        : {}),
      responses: Object.fromEntries(
        Object.entries(op.responses).map(([status, r]) => [
          status,
          {
            description: responseText(locale, r.text),
            ...(r.headers
              ? {
                  headers: Object.fromEntries(
                    r.headers.map((h) => [h, { schema: headerSchemas[h] ?? { type: 'string' } }]),
                  ),
                }
              : {}),
            ...(r.schema
              ? {
                  content: {
                    [r.contentType ?? 'application/json']: {
                      schema: schemaRef(r.schema),
                      ...(op.id === 'createTicket' && status === '201' ? { example: sampleTicket } : {}),
                    },
                  },
                }
              : {}),
          },
        ]),
      ),
    };
  }
  const doc: JsonSchema = {
    openapi: '3.1.0',
    info: { title: t(locale, 'api.docs.title'), version: '1.0.0', description: t(locale, 'api.docs.intro') },
    servers: [{ url: API_BASE }],
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    tags: [
      { name: 'tickets', description: t(locale, 'api.docs.tag_tickets') },
      { name: 'webhooks', description: t(locale, 'webhooks.api.tag') },
      { name: 'meta', description: t(locale, 'api.docs.tag_meta') },
    ],
    paths,
    webhooks: webhooksSection(locale),
    components: {
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'bdk_…',
          description: t(locale, 'api.docs.auth_body'),
        },
      },
      schemas: Object.fromEntries(
        Object.entries(components).map(([name, c]) => [name, jsonSchema(c.schema, c.io)]),
      ),
    },
  };
  documents.set(locale, doc);
  return doc;
}

/**
 * The `webhooks` section (OpenAPI 3.1): one entry per event a client system can subscribe to,
 * its JSON body (generated from the schemas the delivery's payloads are tested against) and the
 * Standard Webhooks headers every request carries.
 */
function webhooksSection(locale: Locale): JsonSchema {
  const header = (name: string, key: string, schema: JsonSchema) => ({
    name,
    in: 'header',
    required: true,
    description: t(locale, `webhooks.doc.${key}`),
    schema,
  });
  return Object.fromEntries(
    Object.entries(webhookPayloadSchemas).map(([type, schema]) => [
      type,
      {
        post: {
          operationId: `webhook_${type.replace('.', '_')}`,
          summary: t(locale, `webhooks.events.${type.replace('.', '_')}`),
          description: t(locale, 'webhooks.doc.intro'),
          parameters: [
            header('webhook-id', 'header_id', { type: 'string', pattern: '^msg_' }),
            header('webhook-timestamp', 'header_timestamp', { type: 'string', pattern: '^[0-9]+$' }),
            header('webhook-signature', 'header_signature', {
              type: 'string',
              pattern: '^v1,[A-Za-z0-9+/=]+( v1,[A-Za-z0-9+/=]+)*$',
            }),
          ],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: jsonSchema(schema, 'output') } },
          },
          responses: {
            '2XX': { description: t(locale, 'webhooks.doc.response_ok') },
            '410': { description: t(locale, 'webhooks.doc.response_gone') },
            default: { description: t(locale, 'webhooks.doc.response_retry') },
          },
        },
      },
    ]),
  );
}

/** What the docs page shows of each operation, in the reader's locale. */
export function docsModel(locale: Locale) {
  return operations.map((op) => ({
    id: op.id,
    method: op.method.toUpperCase(),
    path: `${API_BASE}${openApiPath(op.path)}`,
    summary: t(locale, `${opKey(op)}.summary`),
    description: t(locale, `${opKey(op)}.description`, {
      max: attachmentRules.maxFiles,
      mb: attachmentRules.maxBytes / 1024 / 1024,
    }),
    secured: op.secured,
    params: op.params.map((p) => ({
      name: p.name,
      in: p.in,
      required: p.required,
      type: describeType(p.schema),
      description: t(locale, paramKey(p)),
    })),
    body: op.body
      ? {
          contentType: [op.body.contentType, ...(op.body.alsoAccepts ?? [])].join(', '),
          schemaName: typeof op.body.schema === 'string' ? op.body.schema : null,
          examples: Object.entries(op.body.examples ?? {}).map(([name, value]) => ({
            name,
            json: JSON.stringify(value, null, 2),
          })),
        }
      : null,
    responses: Object.entries(op.responses).map(([status, r]) => ({
      status,
      description: responseText(locale, r.text),
      schemaName: typeof r.schema === 'string' ? r.schema : null,
    })),
    responseExample: op.id === 'createTicket' ? JSON.stringify(sampleTicket, null, 2) : null,
  }));
}

function describeType(schema: JsonSchema): string {
  if (Array.isArray(schema.enum)) return (schema.enum as unknown[]).filter((v) => v !== '').join(' | ');
  if (Array.isArray(schema.anyOf))
    return (schema.anyOf as JsonSchema[]).map(describeType).filter(Boolean).join(' | ');
  return typeof schema.type === 'string' ? schema.type : 'string';
}
