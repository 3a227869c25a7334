export {
  CortenClient,
  type AnswerOptions,
  type ClientOptions,
  type EventQuery,
  type WaitOptions,
  type EventStream,
  type TaskSearch,
  type TaskSummary,
  type Health,
  type OpenApiDocument,
} from './client.js';
export type { FollowOptions } from './event-follower.js';
export type { AnswerStream } from './answer-stream.js';
export type {
  Answered,
  AnswerProvenance,
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  ChatMessage,
  CompletionRequest,
  EmbeddingList,
  EmbeddingRequest,
  FailedAnswer,
  ModelObject,
  TextCompletion,
  TextCompletionChunk,
  Usage,
} from './openai-types.js';
export { SDK_OPERATIONS, type SdkMethod } from './sdk-operations.js';
export type { Stats } from '../protocol/index.js';
/** For webhook receivers: check a delivery's signature, read its headers and body. */
export {
  verifyWebhookSignature,
  WEBHOOK_HEADERS,
  WEBHOOK_KINDS,
  type CreatedWebhook,
  type OperatorStandingView,
  type WebhookDeliveryView,
  type WebhookKind,
  type WebhookPayload,
  type WebhookView,
} from '../protocol/index.js';
